import * as tf from '@tensorflow/tfjs-core';
import { newVariable } from '@flows/core';
import { VectorField } from '../vector-field.js';

/** What a {@link LinearVectorField} saves. */
export type LinearVectorFieldConfig = { size: number };

/**
 * A plugin-style field written only against the public API, with no forward-mode products (its
 * divergence comes from reverse-mode autodiff): `v(x, t) = A x + b`, with A and b variables. With
 * `A = s I + ω J` (J the rotation generator) and b = 0 its flow is `x(t) = e^{st} R(ωt) x(0)`, so a
 * standard-normal base gives `log p₁(x) = log N(e^{−s} R(−ω) x) − 2s`: a closed form to test against.
 */
export class LinearVectorField extends VectorField<LinearVectorFieldConfig> {
  static override readonly className: string = 'LinearVectorField';
  readonly eventShape: readonly number[];
  readonly matrix: tf.Variable;
  readonly shift: tf.Variable;

  constructor(config: LinearVectorFieldConfig) {
    super();
    this.eventShape = [config.size];
    this.matrix = newVariable(() => tf.zeros([config.size, config.size]));
    this.shift = newVariable(() => tf.zeros([config.size]));
  }

  /** Sets A = s I + ω J (2-D) and b = 0. */
  setScaleAndRotation(scale: number, omega: number): this {
    tf.tidy(() => {
      this.matrix.assign(
        tf.tensor2d([
          [scale, -omega],
          [omega, scale],
        ]),
      );
      this.shift.assign(tf.zeros([2]));
    });
    return this;
  }

  override get trainableVariables(): tf.Variable[] {
    return [this.matrix, this.shift];
  }

  apply(x: tf.Tensor): tf.Tensor {
    return tf.add(tf.matMul(x as tf.Tensor2D, this.matrix as tf.Tensor2D, false, true), this.shift);
  }

  getConfig(): LinearVectorFieldConfig {
    return { size: this.eventShape[0] };
  }

  static fromConfig(config: LinearVectorFieldConfig): LinearVectorField {
    return new LinearVectorField(config);
  }
}

/** The closed-form log-density of the flow of `A = s I + ω J` from a 2-D standard normal, at each point. */
export function linearFlowLogDensity(points: number[][], scale: number, omega: number): number[] {
  return points.map(([x, y]) => {
    const c = Math.cos(-omega);
    const s = Math.sin(-omega);
    const z0 = Math.exp(-scale) * (c * x - s * y);
    const z1 = Math.exp(-scale) * (s * x + c * y);
    return -0.5 * (z0 * z0 + z1 * z1) - Math.log(2 * Math.PI) - 2 * scale;
  });
}
