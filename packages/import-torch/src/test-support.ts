// Shared by the tests: the fixtures the real libraries made, and the base-to-data map of given base points.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { ConditionalDiagonalNormal, DiagonalNormal, type Distribution, EmbeddedContext, StandardNormal, TransformedDistribution } from '@flows/distributions';

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');

/** What make_fixtures.py recorded for one flow. */
export interface Expected {
  name: string;
  library: string;
  features: number;
  context: number;
  inputs: number[][];
  contexts: number[][] | null;
  logProb32: number[];
  logProb64: number[];
  basePoints: number[][];
  samples32: number[][];
  samples64: number[][];
}

export function fixtureNames(): string[] {
  return readdirSync(FIXTURES, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.'))
    .map((entry) => entry.name)
    .sort();
}

export function readFixture(name: string): { weights: Uint8Array; description: unknown; expected: Expected } {
  const directory = join(FIXTURES, name);
  return {
    weights: new Uint8Array(readFileSync(join(directory, 'flow.safetensors'))),
    description: JSON.parse(readFileSync(join(directory, 'flow.json'), 'utf8')),
    expected: JSON.parse(readFileSync(join(directory, 'expected.json'), 'utf8')),
  };
}

/**
 * The data points the model's sampler makes of standard-normal draws `noise` (the libraries'
 * base-to-data map, with the base's own location and scale): noise → base → bijector forward.
 */
export function baseToData(model: Distribution, noise: tf.Tensor2D, context?: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    let flow = model;
    let c = context;
    if (flow instanceof EmbeddedContext) {
      c = flow.embedding.apply(c as tf.Tensor2D);
      flow = flow.distribution;
    }
    if (!(flow instanceof TransformedDistribution)) throw new Error(`baseToData: a ${flow.className}`);
    const base = flow.base;
    let z: tf.Tensor = noise;
    if (base instanceof DiagonalNormal) z = tf.add(tf.mul(noise, tf.exp(base.logScale)), base.mean);
    else if (base instanceof ConditionalDiagonalNormal) {
      const [mean, logScale] = tf.split(base.network.apply(c as tf.Tensor2D), 2, 1);
      z = tf.add(tf.mul(noise, tf.exp(logScale)), mean);
    } else if (!(base instanceof StandardNormal)) throw new Error(`baseToData: a ${base.className} base`);
    return flow.bijector.forward(z, flow.bijector.contextSize > 0 ? c : undefined) as tf.Tensor2D;
  });
}

/** The largest |a − b| / max(1, |b|) over two lists. */
export function largestRelativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]) / Math.max(1, Math.abs(expected[i])));
  return worst;
}
