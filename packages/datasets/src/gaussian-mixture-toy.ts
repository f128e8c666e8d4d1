import * as tf from '@tensorflow/tfjs-core';
import type { Random } from '@flows/core';
import { LOG_2PI } from '@flows/distributions';
import { ToyDistribution } from './toy.js';

/** An isotropic 2-D Gaussian mixture component. */
export interface Component2D {
  weight: number;
  mean: [number, number];
  std: number;
}

/**
 * A 2-D mixture of isotropic Gaussians with an exact log-density
 * `log p(x) = logsumexp_k [log w_k − log(2π σ_k²) − |x − μ_k|² / (2σ_k²)]`
 * and an entropy by quadrature on a fine grid (accurate to about 1e-6 nats).
 */
export class GaussianMixtureToy extends ToyDistribution {
  static override readonly className: string = 'GaussianMixtureToy';
  readonly eventShape = [2];
  readonly hasExactDensity = true;
  readonly components: readonly Component2D[];
  private cachedEntropy: number | null = null;

  constructor(
    readonly name: string,
    readonly description: string,
    components: Component2D[],
    readonly plotRange: [[number, number], [number, number]],
  ) {
    super();
    const total = components.reduce((s, c) => s + c.weight, 0);
    if (Math.abs(total - 1) > 1e-12) throw new Error(`${name}: component weights must sum to 1, got ${total}`);
    this.components = components;
  }

  protected logProbImpl(x: tf.Tensor): tf.Tensor1D {
    const terms = this.components.map((c) => {
      const squared = tf.sum(tf.square(tf.sub(x, tf.tensor1d(c.mean))), 1);
      return tf.sub(tf.mul(squared, -0.5 / (c.std * c.std)), -Math.log(c.weight) + LOG_2PI + 2 * Math.log(c.std));
    });
    return tf.logSumExp(tf.stack(terms, 1), 1) as tf.Tensor1D;
  }

  protected sampleImpl(n: number, random: Random): tf.Tensor {
    return this.sampleLabelled(n, random).x;
  }

  /**
   * Samples with the index of the component each came from (the label of a conditional flow):
   * `x` `[n, 2]` and `labels` `[n]` in 0…K−1, from the same generator stream as `sample`.
   */
  sampleLabelled(n: number, random: Random): { x: tf.Tensor2D; labels: Int32Array } {
    const labels = new Int32Array(n);
    const out = new Float32Array(2 * n);
    const cumulative: number[] = [];
    let acc = 0;
    for (const c of this.components) {
      acc += c.weight;
      cumulative.push(acc);
    }
    for (let i = 0; i < n; i++) {
      const u = random.uniform();
      let k = cumulative.findIndex((c) => u < c);
      if (k < 0) k = this.components.length - 1;
      const c = this.components[k];
      labels[i] = k;
      out[2 * i] = c.mean[0] + c.std * random.normal();
      out[2 * i + 1] = c.mean[1] + c.std * random.normal();
    }
    return { x: tf.tensor2d(out, [n, 2]), labels };
  }

  /** `H(X | label) = Σ_k w_k (1 + log(2π σ_k²))`: the lowest conditional NLL a label-conditioned model can reach. */
  get conditionalEntropy(): number {
    return this.components.reduce((s, c) => s + c.weight * (1 + Math.log(2 * Math.PI * c.std * c.std)), 0);
  }

  /** The exact density at one point, in float64 (for quadrature and tests). */
  density(x: number, y: number): number {
    let p = 0;
    for (const c of this.components) {
      const d2 = (x - c.mean[0]) ** 2 + (y - c.mean[1]) ** 2;
      p += (c.weight / (2 * Math.PI * c.std * c.std)) * Math.exp(-d2 / (2 * c.std * c.std));
    }
    return p;
  }

  override entropy(): number {
    if (this.cachedEntropy === null) this.cachedEntropy = this.quadratureEntropy();
    return this.cachedEntropy;
  }

  /** The mean and covariance in closed form. */
  moments(): { mean: [number, number]; covariance: [[number, number], [number, number]] } {
    let mx = 0;
    let my = 0;
    for (const c of this.components) {
      mx += c.weight * c.mean[0];
      my += c.weight * c.mean[1];
    }
    let sxx = 0;
    let syy = 0;
    let sxy = 0;
    for (const c of this.components) {
      sxx += c.weight * (c.std ** 2 + (c.mean[0] - mx) ** 2);
      syy += c.weight * (c.std ** 2 + (c.mean[1] - my) ** 2);
      sxy += c.weight * (c.mean[0] - mx) * (c.mean[1] - my);
    }
    return {
      mean: [mx, my],
      covariance: [
        [sxx, sxy],
        [sxy, syy],
      ],
    };
  }

  private quadratureEntropy(): number {
    // Midpoint rule over a box reaching 9 standard deviations past every component.
    const reach = Math.max(...this.components.map((c) => 9 * c.std));
    const x0 = Math.min(...this.components.map((c) => c.mean[0])) - reach;
    const x1 = Math.max(...this.components.map((c) => c.mean[0])) + reach;
    const y0 = Math.min(...this.components.map((c) => c.mean[1])) - reach;
    const y1 = Math.max(...this.components.map((c) => c.mean[1])) + reach;
    const minStd = Math.min(...this.components.map((c) => c.std));
    const h = minStd / 12;
    const nx = Math.ceil((x1 - x0) / h);
    const ny = Math.ceil((y1 - y0) / h);
    let entropy = 0;
    for (let i = 0; i < nx; i++) {
      const x = x0 + (i + 0.5) * h;
      for (let j = 0; j < ny; j++) {
        const p = this.density(x, y0 + (j + 0.5) * h);
        if (p > 0) entropy -= p * Math.log(p);
      }
    }
    return entropy * h * h;
  }
}

/**
 * TwoGaussians, the project's first toy: weights 1/5 and 4/5, means (0.75, 0.75) and (0.25, 0.25),
 * standard deviation 0.1 in each coordinate, not truncated. Entropy ≈ −1.268 nats.
 */
export function twoGaussians(): GaussianMixtureToy {
  return new GaussianMixtureToy(
    'two-gaussians',
    'A mixture of two isotropic Gaussians (weights 1/5, 4/5; means (0.75,0.75), (0.25,0.25); std 0.1)',
    [
      { weight: 1 / 5, mean: [0.75, 0.75], std: 0.1 },
      { weight: 4 / 5, mean: [0.25, 0.25], std: 0.1 },
    ],
    [
      [0, 1],
      [0, 1],
    ],
  );
}

/** Eight equally weighted Gaussians (std 0.1) on a circle of radius 2, the usual flow benchmark. */
export function eightGaussians(): GaussianMixtureToy {
  const components: Component2D[] = Array.from({ length: 8 }, (_, k) => ({
    weight: 1 / 8,
    mean: [2 * Math.cos((k * Math.PI) / 4), 2 * Math.sin((k * Math.PI) / 4)] as [number, number],
    std: 0.1,
  }));
  return new GaussianMixtureToy('eight-gaussians', 'Eight equally weighted Gaussians (std 0.1) on a circle of radius 2', components, [
    [-3, 3],
    [-3, 3],
  ]);
}
