import * as tf from '@tensorflow/tfjs-core';
import type { Random } from '@flows/core';
import { NoExactDensityError, ToyDistribution } from './toy.js';

/** A toy defined by its sampling recipe alone (`hasExactDensity: false`; `entropy()` throws). */
export class SampleOnlyToy extends ToyDistribution {
  static override readonly className: string = 'SampleOnlyToy';
  readonly eventShape = [2];
  readonly hasExactDensity = false;

  constructor(
    readonly name: string,
    readonly description: string,
    readonly plotRange: [[number, number], [number, number]],
    private readonly draw: (random: Random) => [number, number],
  ) {
    super();
  }

  protected logProbImpl(): tf.Tensor1D {
    throw new NoExactDensityError(this.name);
  }

  override logProb(): tf.Tensor1D {
    throw new NoExactDensityError(this.name);
  }

  protected sampleImpl(n: number, random: Random): tf.Tensor {
    const out = new Float32Array(2 * n);
    for (let i = 0; i < n; i++) [out[2 * i], out[2 * i + 1]] = this.draw(random);
    return tf.tensor2d(out, [n, 2]);
  }
}

/** Two interleaved half circles (as scikit-learn's make_moons), Gaussian noise std 0.1. */
export function twoMoons(): SampleOnlyToy {
  return new SampleOnlyToy(
    'two-moons',
    'Two interleaved half circles of radius 1, centres (0,0) and (1,0.5), noise std 0.1',
    [
      [-1.5, 2.5],
      [-1, 1.5],
    ],
    (random) => {
      const t = Math.PI * random.uniform();
      const upper = random.uniform() < 0.5;
      const x = upper ? Math.cos(t) : 1 - Math.cos(t);
      const y = upper ? Math.sin(t) : 0.5 - Math.sin(t);
      return [x + 0.1 * random.normal(), y + 0.1 * random.normal()];
    },
  );
}

/**
 * Five spiral arms (Johnson et al. 2016's pinwheel): a point at radius ~N(1, 0.3²), tangential
 * spread 0.05, rotated by 0.25·exp(radius) plus its arm's angle.
 */
export function pinwheel(): SampleOnlyToy {
  const arms = 5;
  return new SampleOnlyToy(
    'pinwheel',
    'Five spiral arms (radial std 0.3, tangential std 0.05, rate 0.25)',
    [
      [-4, 4],
      [-4, 4],
    ],
    (random) => {
      const arm = random.int(arms);
      const radius = 1 + 0.3 * random.normal();
      const tangential = 0.05 * random.normal();
      const angle = (2 * Math.PI * arm) / arms + 0.25 * Math.exp(radius);
      const x0 = radius + 1;
      const y0 = tangential;
      return [Math.cos(angle) * x0 - Math.sin(angle) * y0, Math.sin(angle) * x0 + Math.cos(angle) * y0];
    },
  );
}

/** A 2-D swiss roll: t ~ U[1.5π, 4.5π], point t·(cos t, sin t)/5, noise std 0.1. */
export function swissRoll(): SampleOnlyToy {
  return new SampleOnlyToy(
    'swiss-roll',
    'A 2-D swiss roll t(cos t, sin t)/5, t ~ U[1.5pi, 4.5pi], noise std 0.1',
    [
      [-3.5, 3.5],
      [-3.5, 3.5],
    ],
    (random) => {
      const t = 1.5 * Math.PI * (1 + 2 * random.uniform());
      return [(t * Math.cos(t)) / 5 + 0.1 * random.normal(), (t * Math.sin(t)) / 5 + 0.1 * random.normal()];
    },
  );
}

/** Two interleaved spirals, point symmetric: n ~ sqrt(U)·3π, (−n cos n, n sin n)/3 and its negation, noise std 0.1. */
export function twoSpirals(): SampleOnlyToy {
  return new SampleOnlyToy(
    'two-spirals',
    'Two interleaved spirals, mirror images through the origin, noise std 0.1',
    [
      [-4, 4],
      [-4, 4],
    ],
    (random) => {
      const n = Math.sqrt(random.uniform()) * 3 * Math.PI;
      const sign = random.uniform() < 0.5 ? 1 : -1;
      return [(sign * (-Math.cos(n) * n)) / 3 + 0.1 * random.normal(), (sign * (Math.sin(n) * n)) / 3 + 0.1 * random.normal()];
    },
  );
}
