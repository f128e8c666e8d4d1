import * as tf from '@tensorflow/tfjs-core';
import type { Random } from '@flows/core';
import { LOG_2PI } from '@flows/distributions';
import { ToyDistribution } from './toy.js';

/**
 * Concentric rings as a radial mixture: the angle is uniform, the radius is `|N(r_k, σ²)|` with
 * ring k chosen with weight w_k. The radius density is a folded normal mixture
 * `p_R(r) = Σ_k w_k [φ_σ(r − r_k) + φ_σ(r + r_k)]` for r ≥ 0, and the exact 2-D density is
 * `p(x) = p_R(|x|) / (2π|x|)`. The density is infinite at the origin itself (an integrable
 * singularity); `logProb` clamps |x| to 1e-20 there. The entropy is a 1-D quadrature:
 * `H = −∫ p_R(r) log(p_R(r) / (2πr)) dr`.
 */
export class Rings extends ToyDistribution {
  static override readonly className: string = 'Rings';
  readonly name = 'rings';
  readonly eventShape = [2];
  readonly hasExactDensity = true;
  readonly plotRange: [[number, number], [number, number]] = [
    [-1.2, 1.2],
    [-1.2, 1.2],
  ];
  readonly description = 'Four concentric rings (radii 0.25, 0.5, 0.75, 1; radial std 0.04; mass proportional to radius)';
  readonly radii = [0.25, 0.5, 0.75, 1];
  readonly std = 0.04;
  readonly weights: number[];
  private cachedEntropy: number | null = null;

  constructor() {
    super();
    const total = this.radii.reduce((a, b) => a + b, 0);
    this.weights = this.radii.map((r) => r / total);
  }

  /** The radius density p_R(r), float64. */
  radialDensity(r: number): number {
    let p = 0;
    const norm = 1 / (Math.sqrt(2 * Math.PI) * this.std);
    this.radii.forEach((rk, k) => {
      p += this.weights[k] * norm * (Math.exp(-((r - rk) ** 2) / (2 * this.std ** 2)) + Math.exp(-((r + rk) ** 2) / (2 * this.std ** 2)));
    });
    return p;
  }

  protected logProbImpl(x: tf.Tensor): tf.Tensor1D {
    const r = tf.maximum(tf.sqrt(tf.sum(tf.square(x), 1)), 1e-20);
    const logNorm = -0.5 * LOG_2PI - Math.log(this.std);
    const terms: tf.Tensor[] = [];
    this.radii.forEach((rk, k) => {
      for (const shifted of [tf.sub(r, rk), tf.add(r, rk)]) {
        terms.push(tf.add(tf.mul(tf.square(shifted), -0.5 / this.std ** 2), Math.log(this.weights[k]) + logNorm));
      }
    });
    const logRadial = tf.logSumExp(tf.stack(terms, 1), 1);
    return tf.sub(logRadial, tf.log(tf.mul(r, 2 * Math.PI))) as tf.Tensor1D;
  }

  protected sampleImpl(n: number, random: Random): tf.Tensor {
    const out = new Float32Array(2 * n);
    for (let i = 0; i < n; i++) {
      let u = random.uniform();
      let k = 0;
      while (k < this.weights.length - 1 && u >= this.weights[k]) u -= this.weights[k++];
      const r = Math.abs(this.radii[k] + this.std * random.normal());
      const angle = 2 * Math.PI * random.uniform();
      out[2 * i] = r * Math.cos(angle);
      out[2 * i + 1] = r * Math.sin(angle);
    }
    return tf.tensor2d(out, [n, 2]);
  }

  override entropy(): number {
    if (this.cachedEntropy === null) {
      const rMax = Math.max(...this.radii) + 10 * this.std;
      const h = this.std / 200;
      let entropy = 0;
      for (let r = h / 2; r < rMax; r += h) {
        const p = this.radialDensity(r);
        if (p > 0) entropy -= p * Math.log(p / (2 * Math.PI * r));
      }
      this.cachedEntropy = entropy * h;
    }
    return this.cachedEntropy;
  }

  /** E|x|² in closed form: Σ w_k (r_k² + σ²). */
  meanSquaredRadius(): number {
    return this.radii.reduce((s, rk, k) => s + this.weights[k] * (rk * rk + this.std ** 2), 0);
  }
}
