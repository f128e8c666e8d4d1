import * as tf from '@tensorflow/tfjs-core';
import { assertKnownOptions, assertPositiveInteger, Bijector, newVariable, optionNames, Random } from '@flows/core';

export interface PlanarOptions {
  size: number;
  u?: ArrayLike<number>;
  w?: ArrayLike<number>;
  b?: number;
  /**
   * `reparameterize` (default) uses `û = u + (m(wᵀu) − wᵀu) w/|w|²`, m(a) = −1 + softplus(a), so that
   * `wᵀû ≥ −1` and the map is invertible for any u; `none` uses u as given (invertible only when wᵀu ≥ −1).
   */
  invertibility?: 'reparameterize' | 'none';
  seed?: number;
  /** Bisection steps of the numerical inverse (default 60: the bracket shrinks below float32 resolution). */
  inverseSteps?: number;
}

/** Every option Planar takes; others are rejected with a message that names them. */
const PLANAR_OPTION_NAMES = optionNames<PlanarOptions>()(['size', 'u', 'w', 'b', 'invertibility', 'seed', 'inverseSteps']);

/** What a {@link Planar} saves. */
export type PlanarConfig = Required<Pick<PlanarOptions, 'size' | 'invertibility' | 'inverseSteps'>>;

/**
 * A planar flow (Rezende and Mohamed, "Variational Inference with Normalizing Flows", 2015):
 *
 * - forward: `y = x + û tanh(wᵀx + b)`; log-det `log|1 + (1 − tanh²(wᵀx + b)) ûᵀw|`
 * - inverse (numerical): with a = wᵀx, `wᵀy = a + wᵀû tanh(a + b)` is increasing in a when
 *   wᵀû ≥ −1; a is found by bisection (to float32 resolution), then `x = y − û tanh(a + b)`;
 *   log-det = −(forward log-det at x). Its gradient comes from the implicit function theorem.
 */
export class Planar extends Bijector<PlanarConfig> {
  static override readonly className: string = 'Planar';
  readonly eventShape: readonly number[];
  readonly u: tf.Variable;
  readonly w: tf.Variable;
  readonly b: tf.Variable;
  readonly invertibility: 'reparameterize' | 'none';
  private readonly inverseSteps: number;

  constructor(options: PlanarOptions) {
    assertKnownOptions(options, PLANAR_OPTION_NAMES, 'Planar');
    super();
    assertPositiveInteger(options.size, 'Planar', 'size');
    const size = options.size;
    this.eventShape = [size];
    this.invertibility = options.invertibility ?? 'reparameterize';
    this.inverseSteps = options.inverseSteps ?? 60;
    const random = new Random(options.seed ?? 0);
    const init = (values: ArrayLike<number> | undefined, name: string) => {
      if (values && values.length !== size) throw new RangeError(`Planar: ${name} must have length ${size}`);
      const data = values ? Float32Array.from(values) : random.fillNormal(new Float32Array(size), 0, 0.1);
      return newVariable(() => tf.tensor1d(data));
    };
    this.u = init(options.u, 'u');
    this.w = init(options.w, 'w');
    this.b = newVariable(() => tf.scalar(options.b ?? 0));
  }

  override get trainableVariables(): tf.Variable[] {
    return [this.u, this.w, this.b];
  }

  /** û, the u actually used. */
  effectiveU(): tf.Tensor1D {
    if (this.invertibility === 'none') return this.u as tf.Tensor1D;
    const wu = tf.sum(tf.mul(this.w, this.u));
    const m = tf.sub(tf.softplus(wu), 1);
    return tf.add(this.u, tf.mul(tf.div(tf.sub(m, wu), tf.sum(tf.square(this.w))), this.w)) as tf.Tensor1D;
  }

  private logDetAt(activation: tf.Tensor, uHat: tf.Tensor1D): tf.Tensor1D {
    const derivative = tf.sub(1, tf.square(tf.tanh(activation)));
    return tf.log(tf.abs(tf.add(1, tf.mul(derivative, tf.sum(tf.mul(uHat, this.w)))))) as tf.Tensor1D;
  }

  protected forwardImpl(x: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
    const uHat = this.effectiveU();
    const activation = tf.add(tf.sum(tf.mul(x, this.w), 1), this.b);
    const y = tf.add(x, tf.mul(tf.expandDims(tf.tanh(activation), 1), uHat));
    return [y, this.logDetAt(activation, uHat)];
  }

  protected override inverseImpl(y: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
    const uHat = this.effectiveU();
    const wy = tf.sum(tf.mul(y, this.w), 1);
    const wu = tf.sum(tf.mul(this.w, uHat));
    const a = this.solve(wy, wu, this.b as tf.Tensor);
    const x = tf.sub(y, tf.mul(tf.expandDims(tf.tanh(tf.add(a, this.b)), 1), uHat));
    return [x, tf.neg(this.logDetAt(tf.add(a, this.b), uHat))];
  }

  /**
   * The root a of `a + wu·tanh(a + b) = wy` by bisection, with the gradient of the implicit
   * function (F(a) = 0, D = ∂F/∂a = 1 + wu(1 − tanh²(a + b))): ∂a/∂wy = 1/D, ∂a/∂wu = −tanh(a + b)/D,
   * ∂a/∂b = −wu(1 − tanh²(a + b))/D. So the inverse is differentiable although found numerically.
   */
  private readonly solve = tf.customGrad((...args: unknown[]) => {
    const [wy, wu, b, save] = args as [tf.Tensor, tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    // |wu·tanh| ≤ |wu| brackets the root.
    const reach = tf.add(tf.abs(wu), 1);
    let low: tf.Tensor = tf.sub(wy, reach);
    let high: tf.Tensor = tf.add(wy, reach);
    for (let step = 0; step < this.inverseSteps; step++) {
      const middle = tf.mul(tf.add(low, high), 0.5);
      const above = tf.greater(tf.sub(tf.add(middle, tf.mul(wu, tf.tanh(tf.add(middle, b)))), wy), 0);
      low = tf.where(above, low, middle);
      high = tf.where(above, middle, high);
    }
    const value = tf.mul(tf.add(low, high), 0.5);
    save([value, wu, b]);
    const gradFunc = (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
      const [a, savedWu, savedB] = saved;
      const t = tf.tanh(tf.add(a, savedB));
      const derivative = tf.sub(1, tf.square(t));
      const d = tf.add(1, tf.mul(savedWu, derivative));
      const upstream = tf.div(dy as tf.Tensor, d);
      return [upstream, tf.sum(tf.mul(upstream, tf.neg(t))), tf.sum(tf.mul(upstream, tf.neg(tf.mul(savedWu, derivative))))];
    };
    return { value, gradFunc };
  }) as unknown as (wy: tf.Tensor, wu: tf.Tensor, b: tf.Tensor) => tf.Tensor;

  getConfig(): PlanarConfig {
    return { size: this.eventShape[0], invertibility: this.invertibility, inverseSteps: this.inverseSteps };
  }

  static fromConfig(config: PlanarConfig): Planar {
    return new Planar(config);
  }
}
