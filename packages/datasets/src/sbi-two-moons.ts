import * as tf from '@tensorflow/tfjs-core';
import { type Random, toRandom } from '@flows/core';
import { checkDraws, checkObservation, checkParameters, type SimulationTask } from './simulation-task.js';

const MEAN_RADIUS = 0.1;
const RADIUS_SCALE = 0.01;
const OFFSET = 0.25;

/**
 * The largest value of the crescent's density in the plane, `N(r; 0.1, 0.01²)/(π r)` at its
 * maximum over r: where `r² − 0.1 r + 0.01² = 0` (the derivative of its logarithm vanishes).
 */
const RADIUS_AT_MAXIMUM = (MEAN_RADIUS + Math.sqrt(MEAN_RADIUS ** 2 - 4 * RADIUS_SCALE ** 2)) / 2;

/**
 * The "two moons" task of the SBI benchmark (Greenberg et al. 2019; Lueckmann et al. 2021):
 * θ ~ U([−1, 1]²); a ~ U(−π/2, π/2), r ~ N(0.1, 0.01²), p = (r cos a + 0.25, r sin a), and
 *
 * `x = p + (−|θ₁ + θ₂|/√2, (−θ₁ + θ₂)/√2)`.
 *
 * The absolute value makes the posterior two crescents (mirror images across θ₁ + θ₂ = 0), thin
 * (width about 0.01·√2) and curved: a hard shape for a flow, which is why the benchmark has it.
 * The likelihood has a closed form (p in polar coordinates around (0.25, 0): the density of r
 * over π, divided by r), so the reference posterior is exact: rejection sampling from the prior
 * with the likelihood's maximum as the bound. The observation is x_o = (0, 0) unless given.
 */
export class SbiTwoMoons implements SimulationTask {
  readonly name = 'two-moons';
  readonly parameterSize = 2;
  readonly dataSize = 2;
  readonly observation: readonly number[];

  constructor(observation: readonly number[] = [0, 0]) {
    checkObservation('SbiTwoMoons', observation, 2);
    this.observation = [...observation];
  }

  samplePrior(n: number, random?: Random | number): tf.Tensor2D {
    checkDraws('SbiTwoMoons.samplePrior', n);
    return tf.tensor2d(toRandom(random).fillUniform(new Float32Array(2 * n), -1, 1), [n, 2]);
  }

  inPriorSupport(theta: ArrayLike<number>): boolean {
    return Math.abs(theta[0]) <= 1 && Math.abs(theta[1]) <= 1;
  }

  simulate(theta: tf.Tensor2D, random?: Random | number): tf.Tensor2D {
    checkParameters('SbiTwoMoons.simulate', theta, 2);
    const generator = toRandom(random);
    const values = theta.dataSync();
    const n = theta.shape[0];
    const out = new Float32Array(2 * n);
    for (let i = 0; i < n; i++) {
      const a = (generator.uniform() - 0.5) * Math.PI;
      const r = MEAN_RADIUS + RADIUS_SCALE * generator.normal();
      const [t1, t2] = [values[2 * i], values[2 * i + 1]];
      out[2 * i] = r * Math.cos(a) + OFFSET - Math.abs(t1 + t2) / Math.SQRT2;
      out[2 * i + 1] = r * Math.sin(a) + (t2 - t1) / Math.SQRT2;
    }
    return tf.tensor2d(out, [n, 2]);
  }

  /** `log p(x | θ)` (natural log; −∞ where x is on the wrong side of the crescent's centre). */
  logLikelihood(x: readonly number[], theta: ArrayLike<number>): number {
    const ux = x[0] - OFFSET + Math.abs(theta[0] + theta[1]) / Math.SQRT2;
    const uy = x[1] - (theta[1] - theta[0]) / Math.SQRT2;
    if (!(ux > 0)) return Number.NEGATIVE_INFINITY;
    return logCrescent(Math.hypot(ux, uy));
  }

  referencePosterior(n: number, options: { observation?: readonly number[]; random?: Random | number } = {}): tf.Tensor2D {
    checkDraws('SbiTwoMoons.referencePosterior', n);
    const observation = options.observation ?? this.observation;
    checkObservation('SbiTwoMoons.referencePosterior', observation, 2);
    const generator = toRandom(options.random);
    const bound = logCrescent(RADIUS_AT_MAXIMUM);
    const out = new Float32Array(2 * n);
    const theta = [0, 0];
    // About one proposal in 300 is kept at x_o = (0, 0); a cap keeps a hopeless observation from looping forever.
    const cap = 10_000 * n + 1_000_000;
    let kept = 0;
    for (let tries = 0; kept < n; tries++) {
      if (tries > cap)
        throw new RangeError(
          `SbiTwoMoons.referencePosterior: fewer than ${n} of ${cap} prior draws accepted; is the observation ${JSON.stringify(observation)} reachable from the prior?`,
        );
      theta[0] = generator.uniform() * 2 - 1;
      theta[1] = generator.uniform() * 2 - 1;
      if (Math.log(generator.uniform()) < this.logLikelihood(observation, theta) - bound) {
        out[2 * kept] = theta[0];
        out[2 * kept + 1] = theta[1];
        kept++;
      }
    }
    return tf.tensor2d(out, [n, 2]);
  }
}

/** Log-density in the plane of the crescent at distance r from its centre: `log N(r; 0.1, 0.01²) − log π − log r`. */
function logCrescent(r: number): number {
  const z = (r - MEAN_RADIUS) / RADIUS_SCALE;
  return -0.5 * z * z - Math.log(RADIUS_SCALE * Math.sqrt(2 * Math.PI)) - Math.log(Math.PI) - Math.log(r);
}
