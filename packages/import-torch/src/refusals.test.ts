// What cannot be imported exactly is refused with an error that names the library's class and
// what is missing; a malformed description gets an error that says where. Nothing leaks.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { ArchitectureError, UnsupportedArchitectureError } from './errors.js';
import { importTorchFlow } from './import-flow.js';
import { readSafetensors, writeSafetensors } from './safetensors.js';
import { FIXTURES, readFixture } from './test-support.js';

type Json = Record<string, unknown> & { transforms: Record<string, unknown>[] };

/** A fixture's description, edited. */
function edited(name: string, edit: (description: Json) => void): { weights: Uint8Array; description: Json } {
  const { weights, description } = readFixture(name);
  const copy = structuredClone(description) as Json;
  edit(copy);
  return { weights, description: copy };
}

/** The error importing throws; checks that a refused import leaves no tensor or variable behind. */
function refusal(weights: Uint8Array, description: unknown): Error {
  const tensors = tf.memory().numTensors;
  const variables = Object.keys(tf.engine().registeredVariables).length;
  let caught: unknown;
  try {
    importTorchFlow(weights, description).model.dispose();
  } catch (error) {
    caught = error;
  }
  expect(caught, 'the import should have been refused').toBeInstanceOf(Error);
  expect(tf.memory().numTensors, 'tensors left by a refused import').toBe(tensors);
  expect(Object.keys(tf.engine().registeredVariables).length, 'variables left by a refused import').toBe(variables);
  return caught as Error;
}

describe('refused with the class and what is missing', () => {
  it('a zuko univariate transform without a counterpart', () => {
    const { weights, description } = edited('zuko-nsf', (d) => (d.transforms[1].univariate = 'BernsteinTransform'));
    const error = refusal(weights, description);
    expect(error).toBeInstanceOf(UnsupportedArchitectureError);
    expect((error as UnsupportedArchitectureError).className).toBe('zuko.BernsteinTransform');
    expect(error.message).toMatch(/no counterpart in the flows project/);
  });

  it('zuko masks that no degrees reproduce (a custom adjacency)', () => {
    const { weights, description } = readFixture('zuko-maf');
    const file = readSafetensors(weights);
    const tensors: Parameters<typeof writeSafetensors>[0] = {};
    for (const name of file.names) {
      const entry = file.entry(name);
      const values = Array.from(file.float64(name));
      // Hidden unit 0 of the first layer also reads feature 1, which the second layer's units it feeds must not see.
      if (name === 'transform.transforms.0.hyper.0.mask') values[1] = 1;
      tensors[name] = { dtype: entry.dtype === 'BOOL' ? 'BOOL' : entry.dtype === 'I64' ? 'I64' : 'F32', shape: [...entry.shape], values };
    }
    const error = refusal(writeSafetensors(tensors), description);
    expect(error).toBeInstanceOf(UnsupportedArchitectureError);
    expect(error.message).toMatch(/^zuko\.MaskedAutoregressiveTransform: its masks are not those of degrees/);
  });

  it('a transform class the importer does not read, in each library', () => {
    for (const [fixture, type] of [
      ['zuko-maf', 'zuko.UnconstrainedNeuralAutoregressiveTransform'],
      ['nflows-maf', 'nflows.SVDLinear'],
      ['normflows-realnvp', 'normflows.Planar'],
    ]) {
      const { weights, description } = edited(fixture, (d) => (d.transforms[d.transforms.length - 1].type = type));
      const error = refusal(weights, description);
      expect(error, fixture).toBeInstanceOf(UnsupportedArchitectureError);
      expect((error as UnsupportedArchitectureError).className).toBe(type);
    }
  });

  it('settings without an exact counterpart: a clamped nflows scale, normflows Glow scale map, floors of 1/bins', () => {
    const nflows = edited('nflows-affine-coupling', (d) => (d.transforms[0].scale = 'general'));
    expect(refusal(nflows.weights, nflows.description).message).toMatch(/^nflows\.AffineCouplingTransform: scale activation 'general'/);
    const glow = edited('normflows-affine-coupling-block', (d) => (d.transforms[0].scaleMap = 'sigmoid'));
    expect(refusal(glow.weights, glow.description).message).toMatch(/^normflows\.AffineCouplingBlock: scale_map 'sigmoid'/);
    const floors = edited('nflows-nsf-ar-context', (d) => (d.transforms[0].minBinWidth = 0.2));
    expect(refusal(floors.weights, floors.description).message).toMatch(
      /^nflows\.MaskedPiecewiseRationalQuadraticAutoregressiveTransform: minimal bin sizes of 1\/bins or more/,
    );
  });

  it('a network whose layers use different activations', () => {
    const { weights, description } = edited('zuko-realnvp', (d) => {
      const steps = (d.transforms[0].network as { steps: { activation?: string }[] }).steps;
      steps[3].activation = 'tanh';
    });
    const error = refusal(weights, description);
    expect(error).toBeInstanceOf(UnsupportedArchitectureError);
    expect(error.message).toMatch(/different activations between layers \(relu, tanh\)/);
  });

  it('the refusals export_flow.py gives in Python name the class too (recorded by make_fixtures.py)', () => {
    const recorded = JSON.parse(readFileSync(join(FIXTURES, 'refusals.json'), 'utf8')) as Record<string, { className: string; message: string } | null>;
    for (const [what, refused] of Object.entries(recorded)) {
      expect(refused, `${what} was exported instead of refused`).not.toBeNull();
      expect(refused!.message.startsWith(`${refused!.className}: `), what).toBe(true);
    }
  });
});

describe('malformed descriptions say where', () => {
  const { weights, description } = readFixture('nflows-maf');
  const cases: [string, (d: Json) => void, RegExp][] = [
    ['another format', (d) => (d.format = 'flows-model'), /description\.format: is "flows-model", not 'flows-torch-architecture'/],
    ['a newer version', (d) => (d.formatVersion = 9), /description\.formatVersion: is 9, newer than this importer reads \(1\)/],
    ['an unknown library', (d) => (d.library = 'pyro'), /description\.library: must be one of zuko, nflows, normflows, got 'pyro'/],
    [
      'a weight the file lacks',
      (d) => (((d.transforms[0].network as Json).initial as Json).weight = 'nowhere'),
      /initial\.weight: names 'nowhere', which the weights file does not hold/,
    ],
    ['a wrong width', (d) => (((d.transforms[0].network as Json).initial as Json).outputs = 5), /has shape \[24, 2\], expected \[5, 2\]/],
    ['a wrong context size', (d) => (d.context = 3), /description\.context: is 3, but the networks read a context of 0/],
    ['no transforms', (d) => (d.transforms = []), /description\.transforms: is empty/],
    ['a permutation with repeats', (d) => (d.transforms[1].permutation = [0, 0]), /permutation: must list distinct features/],
  ];
  for (const [what, edit, message] of cases) {
    it(what, () => {
      const copy = structuredClone(description) as Json;
      edit(copy);
      const error = refusal(weights, copy);
      expect(error).toBeInstanceOf(ArchitectureError);
      expect(error.message).toMatch(message);
    });
  }

  it('a damaged weights file', () => {
    expect(refusal(weights.subarray(0, 100), description).message).toMatch(/header length \d+ exceeds/);
  });
});
