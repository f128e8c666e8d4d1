import { describe, expect, it } from 'vitest';
import { commandFor, describeOrigin, modelOrigin } from './model-origin.js';

/** The parts of the descriptions the apps write that tell them apart (the real files are made and read in the apps' tests). */
const integerFlow = {
  className: 'TransformedDistribution',
  config: {
    base: { className: 'MixtureOfDiscretizedLogistics', config: { size: 4 } },
    bijector: { className: 'Chain', config: { bijectors: [{ className: 'IntegerAdditiveCoupling', config: { mask: [1, 0, 1, 0] } }] } },
  },
};
const realNvp = {
  className: 'TransformedDistribution',
  config: {
    base: { className: 'StandardNormal', config: {} },
    bijector: { className: 'Chain', config: { bijectors: [{ className: 'MaskedAffineCoupling' }] } },
  },
};
const model = (tree: unknown, metadata?: unknown) => ({ format: 'flows-model', formatVersion: 2, model: tree, weights: [], metadata });
const checkpoint = (tree: unknown, settings: unknown) => ({ format: 'flows-checkpoint', model: model(tree), extra: { settings } });

describe('modelOrigin', () => {
  it('names the app that made a model, from its record or its structure and settings', () => {
    const codec = modelOrigin(model(integerFlow, { app: 'flow-codec', settings: { components: 5 } }));
    expect(codec).toMatchObject({ app: 'flow-codec', kind: 'integer-flow', settings: { components: 5 } });
    expect(describeOrigin(codec)).toBe('a flow-codec integer discrete flow (integer couplings on 8-bit pixels)');
    expect(commandFor(codec, 'run/model')).toBe('flow-codec compress --model run/model');
    // A checkpoint records no app: the integer layers, a VAE and each app's settings tell.
    expect(modelOrigin(checkpoint(integerFlow, { layers: 4 }))).toMatchObject({ app: 'flow-codec', kind: 'integer-flow' });
    const vae = modelOrigin(checkpoint({ className: 'VAE', config: {} }, { prior: 'flow', latent: 10 }));
    expect(vae).toMatchObject({ app: 'vae-eval', kind: 'vae' });
    expect(commandFor(vae, 'x')).toMatch(/^vae-eval evaluate --out/);
    expect(modelOrigin(checkpoint(realNvp, { logit: null, mask: 'random', layers: 2 }))).toMatchObject({ app: 'mnist-flow', kind: 'density' });
    expect(modelOrigin(checkpoint(realNvp, { flow: 'realnvp', dataset: 'banana' })).app).toBe('toy-flow');
    const toy = modelOrigin(model(realNvp, { app: 'toy-flow' }));
    expect(describeOrigin(toy)).toBe('a model made by toy-flow');
    expect(commandFor(toy, 'm')).toBe('toy-flow sample --model m (or logprob)');
  });

  it('an unknown or unprintable maker is no maker; a malformed description is a density of no app', () => {
    const library = modelOrigin(model(realNvp));
    expect(library).toMatchObject({ app: null, kind: 'density' });
    expect(describeOrigin(library)).toMatch(/records no app/);
    expect(commandFor(library, 'm')).toBeNull();
    expect(modelOrigin(model(realNvp, { app: '\u001b[2Jmnist-flow' })).app).toBeNull();
    expect(modelOrigin(model(integerFlow, { app: 'x'.repeat(500) })).app).toBe('flow-codec');
    for (const junk of [null, 3, 'text', [], { model: [[[]]] }]) expect(modelOrigin(junk)).toMatchObject({ app: null, kind: 'density' });
    // Deep nesting does not overflow the stack.
    let deep: unknown = { className: 'IntegerAdditiveCoupling' };
    for (let i = 0; i < 100_000; i++) deep = { config: deep };
    expect(modelOrigin(model(deep)).kind).toBe('integer-flow');
  });
});
