import * as tf from '@tensorflow/tfjs-core';
import { assertKnownOptions, assertPositiveInteger, Bijector, newVariable, optionNames, perRow, Random } from '@flows/core';

export interface InvertibleLinearOptions {
  size: number;
  /** Seed of the fixed permutation P (default 0). */
  seed?: number;
  /** Use the identity for P instead of a random permutation. */
  identityPermutation?: boolean;
}

/** Every option InvertibleLinear takes; others are rejected with a message that names them. */
const INVERTIBLE_LINEAR_OPTION_NAMES = optionNames<InvertibleLinearOptions>()(['size', 'seed', 'identityPermutation']);

/** What an {@link InvertibleLinear} saves: the size, the seed of its initial weights and whether its permutation is the identity. */
export type InvertibleLinearConfig = { size: number; seed: number; identityPermutation: boolean };

/**
 * A learnable invertible linear map in LU form (Glow's parameterisation, Kingma and Dhariwal 2018),
 * `W = P L U` with a fixed permutation P, L unit lower triangular, U upper triangular with diagonal
 * `sign ⊙ exp(logScale)` (signs fixed):
 *
 * - forward: `y = W x` (per row: y = x Wᵀ); log-det `log|det W| = Σ_i logScale_i`
 * - inverse: `x = W⁻¹ y`; log-det `−Σ_i logScale_i`.
 *
 * The inverse matrix is computed in float64 on the host from the current parameters, so the inverse
 * direction is exact but not differentiable in the parameters (training uses the forward direction
 * for sampling-based losses, or wrap it in `Invert` to train on densities).
 */
export class InvertibleLinear extends Bijector<InvertibleLinearConfig> {
  static override readonly className: string = 'InvertibleLinear';
  readonly eventShape: readonly number[];
  readonly permutation: number[];
  readonly lower: tf.Variable;
  readonly upper: tf.Variable;
  readonly logScale: tf.Variable;
  private readonly signs!: tf.Tensor1D;
  private readonly lowerMask!: tf.Tensor2D;
  private readonly upperMask!: tf.Tensor2D;
  private readonly permutationMatrix!: tf.Tensor2D;
  private readonly seed: number;

  constructor(options: InvertibleLinearOptions) {
    assertKnownOptions(options, INVERTIBLE_LINEAR_OPTION_NAMES, 'InvertibleLinear');
    super();
    assertPositiveInteger(options.size, 'InvertibleLinear', 'size');
    const n = options.size;
    this.eventShape = [n];
    this.seed = options.seed ?? 0;
    this.permutation = options.identityPermutation ? Array.from({ length: n }, (_, i) => i) : new Random(this.seed).permutation(n);
    this.lower = newVariable(() => tf.zeros([n, n]));
    this.upper = newVariable(() => tf.zeros([n, n]));
    this.logScale = newVariable(() => tf.zeros([n]));
    const p = new Float32Array(n * n);
    this.permutation.forEach((source, row) => (p[row * n + source] = 1));
    [this.signs, this.lowerMask, this.upperMask, this.permutationMatrix] = tf.tidy(() => [
      tf.ones([n]) as tf.Tensor1D,
      tf.sub(tf.linalg.bandPart(tf.ones([n, n]), -1, 0), tf.eye(n)) as tf.Tensor2D,
      tf.sub(tf.linalg.bandPart(tf.ones([n, n]), 0, -1), tf.eye(n)) as tf.Tensor2D,
      tf.tensor2d(p, [n, n]),
    ]);
  }

  override get trainableVariables(): tf.Variable[] {
    return [this.lower, this.upper, this.logScale];
  }

  /** W = P L U. */
  weight(): tf.Tensor2D {
    const n = this.eventShape[0];
    const l = tf.add(tf.mul(this.lower, this.lowerMask), tf.eye(n));
    // eye ⊙ row vector puts the vector on the diagonal (tf.diag has no gradient).
    const u = tf.add(tf.mul(this.upper, this.upperMask), tf.mul(tf.eye(n), tf.mul(this.signs, tf.exp(this.logScale))));
    return tf.matMul(this.permutationMatrix, tf.matMul(l, u)) as tf.Tensor2D;
  }

  protected forwardImpl(x: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
    return [tf.matMul(x as tf.Tensor2D, this.weight(), false, true), perRow(tf.sum(this.logScale), x.shape[0])];
  }

  protected override inverseImpl(y: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
    const n = this.eventShape[0];
    const w = this.weight();
    const inverse = invertMatrix(Float64Array.from(w.dataSync()), n);
    return [tf.matMul(y as tf.Tensor2D, tf.tensor2d(Float32Array.from(inverse), [n, n]), false, true), perRow(tf.neg(tf.sum(this.logScale)), y.shape[0])];
  }

  getConfig(): InvertibleLinearConfig {
    return { size: this.eventShape[0], seed: this.seed, identityPermutation: this.permutation.every((p, i) => p === i) };
  }

  static fromConfig(config: InvertibleLinearConfig): InvertibleLinear {
    return new InvertibleLinear(config);
  }

  override dispose(): void {
    super.dispose();
    tf.dispose([this.signs, this.lowerMask, this.upperMask, this.permutationMatrix]);
  }
}

/** The inverse of a row-major n × n matrix by Gauss-Jordan elimination with partial pivoting (float64). */
export function invertMatrix(matrix: Float64Array, n: number): Float64Array {
  const a = Float64Array.from(matrix);
  const inverse = new Float64Array(n * n);
  for (let i = 0; i < n; i++) inverse[i * n + i] = 1;
  for (let k = 0; k < n; k++) {
    let pivot = k;
    for (let i = k + 1; i < n; i++) if (Math.abs(a[i * n + k]) > Math.abs(a[pivot * n + k])) pivot = i;
    if (a[pivot * n + k] === 0) throw new Error('invertMatrix: the matrix is singular');
    if (pivot !== k) {
      for (let j = 0; j < n; j++) {
        [a[k * n + j], a[pivot * n + j]] = [a[pivot * n + j], a[k * n + j]];
        [inverse[k * n + j], inverse[pivot * n + j]] = [inverse[pivot * n + j], inverse[k * n + j]];
      }
    }
    const d = a[k * n + k];
    for (let j = 0; j < n; j++) {
      a[k * n + j] /= d;
      inverse[k * n + j] /= d;
    }
    for (let i = 0; i < n; i++) {
      if (i === k) continue;
      const f = a[i * n + k];
      if (f === 0) continue;
      for (let j = 0; j < n; j++) {
        a[i * n + j] -= f * a[k * n + j];
        inverse[i * n + j] -= f * inverse[k * n + j];
      }
    }
  }
  return inverse;
}
