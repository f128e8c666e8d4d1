// The kit must catch what it claims to: each broken field below fails the check named for it, and
// passes the others that do not concern its defect.
import * as tf from '@tensorflow/tfjs-core';
import { isRegistered } from '@flows/core';
import { describe, expect, it } from 'vitest';
import { MLPVectorField } from '../mlp-vector-field.js';
import { LinearVectorField } from '../test-support/linear-field.js';
import { VectorField } from '../vector-field.js';
import { registerVectorField } from '../vector-field-registry.js';
import { logAbsDeterminant, runContinuousCheck } from './index.js';

if (!isRegistered('conditioner', LinearVectorField.className)) registerVectorField(LinearVectorField);

/** The MLP field with its forward-mode products scaled by 1.5: a plugin's wrong jvp. */
class WrongJvpField extends MLPVectorField {
  override jvp(x: tf.Tensor, t: number | tf.Tensor1D, tangents: tf.Tensor, context?: tf.Tensor): { value: tf.Tensor; products: tf.Tensor } {
    const { value, products } = super.jvp(x, t, tangents, context);
    return { value, products: tf.mul(products, 1.5) };
  }
}

/** The MLP field (tanh) without its jvp: TF.js differentiates its reverse-mode trace wrongly the second time. */
class ReverseModeTanhField extends VectorField {
  static override readonly className: string = 'ReverseModeTanhField';
  readonly inner = new MLPVectorField({ size: 2, hidden: [8], activation: 'tanh', seed: 2 });
  readonly eventShape = [2];
  override get trainableVariables(): tf.Variable[] {
    return this.inner.trainableVariables;
  }
  apply(x: tf.Tensor, t: number | tf.Tensor1D): tf.Tensor {
    return this.inner.apply(x, t);
  }
  getConfig(): Record<string, unknown> {
    return {};
  }
}

/** A linear field that keeps a tensor from every call. */
class LeakyField extends LinearVectorField {
  override apply(x: tf.Tensor): tf.Tensor {
    tf.keep(tf.zeros([1]));
    return super.apply(x);
  }
}

/** A linear field that changes with each call: forward and backward solves do not undo each other. */
class DriftingField extends LinearVectorField {
  private calls = 0;
  override apply(x: tf.Tensor): tf.Tensor {
    this.calls += 1;
    return tf.add(super.apply(x), this.calls * 1e-3);
  }
}

/** A linear field that saves the wrong size. */
class ForgetfulField extends LinearVectorField {
  static override readonly className: string = 'ForgetfulField';
  override getConfig() {
    return { size: 3 };
  }
}

describe('the continuous-flow kit catches broken fields', () => {
  it('a wrong jvp fails divergence and logDensityJacobian (and Hutchinson, which agrees with it, passes)', () => {
    const make = () => new WrongJvpField({ size: 2, hidden: [8], seed: 1 });
    expect(() => runContinuousCheck('divergence', make)).toThrow(
      /failed divergence: at t = 0.1, row 0: the divergence is .*finite differences of the field give/,
    );
    expect(() => runContinuousCheck('logDensityJacobian', make)).toThrow(/failed logDensityJacobian/);
    expect(() => runContinuousCheck('hutchinson', make)).not.toThrow();
  });

  it("a reverse-mode tanh field fails likelihoodGradients (TF.js's second-order gradient), not gradients", () => {
    expect(() => runContinuousCheck('likelihoodGradients', () => new ReverseModeTanhField())).toThrow(/failed likelihoodGradients: .*give the field a jvp/);
    expect(() => runContinuousCheck('gradients', () => new ReverseModeTanhField())).not.toThrow();
    expect(() => runContinuousCheck('divergence', () => new ReverseModeTanhField())).not.toThrow();
  });

  it('a leak fails memory', () => {
    expect(() => runContinuousCheck('memory', () => new LeakyField({ size: 2 }))).toThrow(/failed memory: .*leaked \d+ tensors/);
  });

  it('a field that changes between calls fails roundTrip', () => {
    expect(() => runContinuousCheck('roundTrip', () => new DriftingField({ size: 2 }))).toThrow(/failed roundTrip: base → data → base returns points off by/);
  });

  it('a configuration that does not rebuild the field fails serialization', () => {
    if (!isRegistered('conditioner', 'ForgetfulField')) registerVectorField(ForgetfulField);
    expect(() => runContinuousCheck('serialization', () => new ForgetfulField({ size: 2 }))).toThrow(
      /failed serialization: the flow does not rebuild from its own toJSON: .*the field.s \[3\] differ/,
    );
  });

  it('logAbsDeterminant is log|det| (a pivot and a negative determinant)', () => {
    expect(logAbsDeterminant([0, 2, 3, 1], 2)).toBeCloseTo(Math.log(6), 12);
    expect(logAbsDeterminant([2, 0, 0, 0, 0.5, 0, 0, 0, 4], 3)).toBeCloseTo(Math.log(4), 12);
  });
});
