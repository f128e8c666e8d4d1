import * as tf from '@tensorflow/tfjs-core';
import { distributionFromJSON, type FactorOutDistribution, type TransformedDistribution } from '@flows/distributions';
import { describe, expect, it } from 'vitest';
import { multiScaleFlow } from './multi-scale-flow.js';

const images = (n: number, seed: number) => tf.randomNormal([n, 8, 8, 1], 0, 1, 'float32', seed) as tf.Tensor4D;

/** Sets every variable of the flow to small random values, so that no part is the identity or a standard normal. */
function perturb(flow: TransformedDistribution, seed: number): void {
  tf.tidy(() => flow.trainableVariables.forEach((v, i) => v.assign(tf.add(v, tf.randomUniform(v.shape, -0.05, 0.05, 'float32', seed + i)))));
}

describe("multiScaleFlow with prior: 'conditional' (Glow's learned priors)", () => {
  it('starts as the flow with standard priors: the same layers, and priors that are standard normals', () => {
    const x = images(3, 1);
    const standard = multiScaleFlow({ shape: [8, 8, 1], levels: 3, stepsPerLevel: 1, hidden: [4], seed: 2 });
    const conditional = multiScaleFlow({ shape: [8, 8, 1], levels: 3, stepsPerLevel: 1, hidden: [4], priorHidden: [3], seed: 2, prior: 'conditional' });
    const expected = Array.from(standard.logProb(x).dataSync());
    expect(Array.from(conditional.logProb(x).dataSync())).toEqual(expected.map((v) => expect.closeTo(v, 3)));
    standard.dispose();
    conditional.dispose();
    x.dispose();
  });

  it('nests a level per factor-out, and every prior changes the density once trained', () => {
    const flow = multiScaleFlow({ shape: [8, 8, 1], levels: 2, stepsPerLevel: 1, hidden: [4], seed: 3, prior: 'conditional' });
    const top = flow.base as FactorOutDistribution;
    expect(top.className).toBe('FactorOutDistribution');
    expect(top.factored.className).toBe('ConvConditionalNormal');
    expect(top.factored.eventShape).toEqual([4 * 4 * 2]);
    expect(top.factored.contextSize).toBe(4 * 4 * 2);
    const next = top.kept as TransformedDistribution;
    expect(next.base.className).toBe('DiagonalNormal');
    expect(next.base.eventShape).toEqual([2 * 2 * 8]);
    const x = images(4, 4);
    flow.logProb(x).dispose(); // ActNorm's data-dependent start
    const before = flow.logProb(x).arraySync() as number[];
    perturb(flow, 5);
    const after = flow.logProb(x).arraySync() as number[];
    expect(after.every((v, i) => Math.abs(v - before[i]) > 1e-3)).toBe(true);
    // The gradient reaches every layer of the factored prior's network and the last level's learned normal.
    const priorVariables = [...top.factored.trainableVariables, ...next.base.trainableVariables];
    expect(priorVariables).toHaveLength(6);
    const { grads } = tf.variableGrads(() => tf.neg(tf.mean(flow.logProb(x))) as tf.Scalar, priorVariables);
    for (const [name, grad] of Object.entries(grads)) expect(tf.max(tf.abs(grad)).dataSync()[0], name).toBeGreaterThan(0);
    tf.dispose(grads);
    flow.dispose();
    x.dispose();
  });

  it('samples at a temperature, scores its samples as sampleAndLogProb does, and saves and loads to the same density', () => {
    const flow = multiScaleFlow({ shape: [8, 8, 1], levels: 2, stepsPerLevel: 2, hidden: [4], seed: 6, prior: 'conditional' });
    const x = images(3, 7);
    flow.logProb(x).dispose();
    perturb(flow, 8);
    const [samples, logProb] = flow.sampleAndLogProb(5, { random: 9, temperature: 0.8 });
    expect(samples.shape).toEqual([5, 8, 8, 1]);
    expect(Array.from(flow.logProb(samples).dataSync())).toEqual(Array.from(logProb.dataSync()).map((v) => expect.closeTo(v, 2)));
    const copy = distributionFromJSON(flow.toJSON()) as TransformedDistribution;
    flow.variables.forEach((v, i) => copy.variables[i].assign(v));
    expect(Array.from(copy.logProb(x).dataSync())).toEqual(Array.from(flow.logProb(x).dataSync()).map((v) => expect.closeTo(v, 4)));
    tf.dispose([samples, logProb, x]);
    flow.dispose();
    copy.dispose();
  });

  it('leaves no tensor behind', () => {
    const flow = multiScaleFlow({ shape: [8, 8, 1], levels: 2, stepsPerLevel: 1, hidden: [4], seed: 6, prior: 'conditional' });
    const x = images(2, 1);
    flow.logProb(x).dispose();
    const before = tf.memory().numTensors;
    flow.logProb(x).dispose();
    flow.sample(2, { random: 1 }).dispose();
    expect(tf.memory().numTensors).toBe(before);
    flow.dispose();
    x.dispose();
  });

  it('refuses a context, priorHidden without the conditional prior, an unknown prior, and a base of the wrong size, naming each', () => {
    const shape: [number, number, number] = [8, 8, 1];
    expect(() => multiScaleFlow({ shape, prior: 'conditional', contextSize: 2 })).toThrow(/takes the context in its couplings only; use prior: 'standard'/);
    expect(() => multiScaleFlow({ shape, priorHidden: [4] })).toThrow(/priorHidden applies to prior: 'conditional' only/);
    expect(() => multiScaleFlow({ shape, prior: 'learned' as never })).toThrow(/prior must be 'standard' or 'conditional', got 'learned'/);
    const before = tf.memory().numTensors;
    expect(() =>
      multiScaleFlow({ shape, levels: 2, prior: 'conditional', base: distributionFromJSON({ className: 'StandardNormal', config: { eventShape: [64] } }) }),
    ).toThrow(/the base has events of shape \[64\]; the last level's base side has \[32\]/);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe("multiScaleFlow with conditioner: 'gated-residual' (Flow++'s coupling networks)", () => {
  it('puts gated residual networks of hidden[0] channels and `blocks` blocks in every coupling, and saves and loads to the same density', () => {
    const flow = multiScaleFlow({ shape: [8, 8, 1], levels: 2, stepsPerLevel: 2, hidden: [6], conditioner: 'gated-residual', blocks: 3, seed: 4 });
    const x = images(3, 2);
    flow.logProb(x).dispose(); // ActNorm's data-dependent start
    const networks = flow.bijector.toJSON();
    const found = JSON.stringify(networks).match(/"className":"GatedResidualConvNet","config":\{[^}]*\}/g) ?? [];
    // 2 levels × 2 steps × (scale, translation).
    expect(found).toHaveLength(8);
    for (const network of found) expect(network).toMatch(/"channels":6,"blocks":3/);
    perturb(flow, 3);
    const copy = distributionFromJSON(JSON.parse(JSON.stringify(flow.toJSON()))) as TransformedDistribution;
    flow.variables.forEach((v, i) => copy.variables[i].assign(v));
    const expected = Array.from(flow.logProb(x).dataSync());
    expect(expected.every(Number.isFinite)).toBe(true);
    expect(Array.from(copy.logProb(x).dataSync())).toEqual(expected.map((v) => expect.closeTo(v, 4)));
    // Its own samples come back through the inverse: the couplings are invertible with these networks.
    const [samples, logProb] = flow.sampleAndLogProb(4, { random: 5, temperature: 0.7 });
    expect(Array.from(flow.logProb(samples).dataSync())).toEqual(Array.from(logProb.dataSync()).map((v) => expect.closeTo(v, 2)));
    tf.dispose([x, samples, logProb]);
    flow.dispose();
    copy.dispose();
  });

  it('keeps the ConvNet flow as it was (the same seeds), and refuses options that do not belong together', () => {
    const shape: [number, number, number] = [8, 8, 1];
    expect(() => multiScaleFlow({ shape, blocks: 2 })).toThrow(/blocks applies to conditioner: 'gated-residual' only/);
    expect(() => multiScaleFlow({ shape, conditioner: 'gated-residual', hidden: [8, 8] })).toThrow(/hidden is one entry/);
    expect(() => multiScaleFlow({ shape, conditioner: 'resnet' as never })).toThrow(/conditioner must be 'conv' or 'gated-residual', got 'resnet'/);
    const plain = multiScaleFlow({ shape, levels: 2, stepsPerLevel: 1, hidden: [4], seed: 9 });
    const named = multiScaleFlow({ shape, levels: 2, stepsPerLevel: 1, hidden: [4], seed: 9, conditioner: 'conv' });
    expect(JSON.stringify(named.toJSON())).toBe(JSON.stringify(plain.toJSON()));
    plain.dispose();
    named.dispose();
  });
});
