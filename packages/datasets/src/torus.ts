import * as tf from '@tensorflow/tfjs-core';
import type { Random } from '@flows/core';
import { sampleVonMises, vonMisesLogNormalizer } from '@flows/distributions';
import { ToyDistribution } from './toy.js';

/** One component of {@link TorusVonMisesMixture}: a product of two von Mises angles. */
export interface TorusComponent {
  weight: number;
  /** Mean directions (μ₁, μ₂) in radians. */
  mean: [number, number];
  /** Concentrations (κ₁, κ₂) > 0. */
  concentration: [number, number];
}

/** π rounded to float32 (just above Math.PI). */
const PI_FLOAT32 = Math.fround(Math.PI);

/**
 * A density on the torus [−π, π)²: a mixture of products of von Mises distributions,
 *
 * `p(θ₁, θ₂) = Σ_k w_k Π_i exp(κ_ki cos(θ_i − μ_ki)) / (2π I₀(κ_ki))`,
 *
 * exact, smooth and 2π-periodic in each angle (the default puts a component across the corner
 * ±π, so a flow must wrap to fit it), and 0 outside the square (log-density −∞), so that it is
 * also a density on the plane. Sampling draws a component, then each angle by Best and Fisher's
 * sampler; the entropy is a midpoint-rule quadrature on the torus (spectrally accurate for a
 * periodic integrand).
 */
export class TorusVonMisesMixture extends ToyDistribution {
  static override readonly className: string = 'TorusVonMisesMixture';
  readonly eventShape = [2];
  readonly hasExactDensity = true;
  readonly plotRange: [[number, number], [number, number]] = [
    [-Math.PI, Math.PI],
    [-Math.PI, Math.PI],
  ];
  readonly name: string;
  readonly description: string;
  readonly components: readonly TorusComponent[];
  private readonly logNormalizers: number[][];
  private cachedEntropy: number | null = null;

  constructor(
    components: TorusComponent[] = [
      { weight: 0.45, mean: [2.8, -2.9], concentration: [4, 6] },
      { weight: 0.35, mean: [-1.2, 1.0], concentration: [2, 10] },
      { weight: 0.2, mean: [1.0, 0.6], concentration: [12, 1.5] },
    ],
    name = 'torus',
  ) {
    super();
    const total = components.reduce((s, c) => s + c.weight, 0);
    if (!(components.length > 0) || Math.abs(total - 1) > 1e-12) throw new RangeError(`${name}: component weights must sum to 1, got ${total}`);
    for (const c of components) {
      if (!c.concentration.every((k) => k > 0 && Number.isFinite(k))) throw new RangeError(`${name}: concentrations must be positive, got ${c.concentration}`);
    }
    this.components = components;
    this.name = name;
    this.logNormalizers = components.map((c) => c.concentration.map(vonMisesLogNormalizer));
    this.description = `A mixture of ${components.length} products of von Mises distributions on the torus [-pi, pi)^2 (one across the corner)`;
  }

  protected logProbImpl(x: tf.Tensor): tf.Tensor1D {
    const [a, b] = tf.split(x, 2, 1).map((t) => tf.reshape(t, [-1]));
    const terms = this.components.map((c, k) =>
      tf.add(
        tf.add(tf.mul(tf.cos(tf.sub(a, c.mean[0])), c.concentration[0]), tf.mul(tf.cos(tf.sub(b, c.mean[1])), c.concentration[1])),
        Math.log(c.weight) - this.logNormalizers[k][0] - this.logNormalizers[k][1],
      ),
    );
    const logDensity = tf.logSumExp(tf.stack(terms, 1), 1);
    const inside = tf.logicalAnd(
      tf.logicalAnd(tf.greaterEqual(a, -PI_FLOAT32), tf.lessEqual(a, PI_FLOAT32)),
      tf.logicalAnd(tf.greaterEqual(b, -PI_FLOAT32), tf.lessEqual(b, PI_FLOAT32)),
    );
    return tf.where(inside, logDensity, tf.fill([x.shape[0]], -Infinity)) as tf.Tensor1D;
  }

  protected sampleImpl(n: number, random: Random): tf.Tensor {
    const out = new Float32Array(2 * n);
    for (let i = 0; i < n; i++) {
      const u = random.uniform();
      let acc = 0;
      let k = 0;
      for (; k < this.components.length - 1; k++) {
        acc += this.components[k].weight;
        if (u < acc) break;
      }
      const c = this.components[k];
      for (let j = 0; j < 2; j++) {
        // float32 can round an angle just below π up to π: keep [−π, π).
        const angle = Math.fround(sampleVonMises(random, c.mean[j], c.concentration[j]));
        out[2 * i + j] = angle >= PI_FLOAT32 ? -PI_FLOAT32 : angle;
      }
    }
    return tf.tensor2d(out, [n, 2]);
  }

  /** The exact density at one point of the torus, in float64 (0 outside [−π, π]²). */
  density(x: number, y: number): number {
    if (!(Math.abs(x) <= Math.PI && Math.abs(y) <= Math.PI)) return 0;
    let p = 0;
    this.components.forEach((c, k) => {
      p +=
        c.weight *
        Math.exp(
          c.concentration[0] * Math.cos(x - c.mean[0]) + c.concentration[1] * Math.cos(y - c.mean[1]) - this.logNormalizers[k][0] - this.logNormalizers[k][1],
        );
    });
    return p;
  }

  /** `−∫ p log p` by the midpoint rule on a 600 × 600 grid of the torus. */
  override entropy(): number {
    if (this.cachedEntropy === null) {
      const cells = 600;
      const h = (2 * Math.PI) / cells;
      let sum = 0;
      for (let i = 0; i < cells; i++) {
        for (let j = 0; j < cells; j++) {
          const p = this.density(-Math.PI + (i + 0.5) * h, -Math.PI + (j + 0.5) * h);
          if (p > 0) sum -= p * Math.log(p);
        }
      }
      this.cachedEntropy = sum * h * h;
    }
    return this.cachedEntropy;
  }
}
