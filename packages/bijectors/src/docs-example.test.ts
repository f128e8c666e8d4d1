// The example of docs/writing-a-bijector.md, kept runnable (the code blocks, in order).
import * as tf from '@tensorflow/tfjs-core';
import { assertInside } from '@flows/core';
import { Bijector, sumEventAxes, registerBijector } from './index.js';

/**
 * y = exp(x) − 1, elementwise: R → (−1, ∞).
 * - forward log-det: Σ_i x_i (dy/dx = exp(x))
 * - inverse: x = log(1 + y) for y > −1; log-det −Σ_i log(1 + y_i)
 */
export class Expm1 extends Bijector {
  static override readonly className: string = 'Expm1'; // stable: saved models refer to it
  readonly eventShape = null; // elementwise: any event shape

  protected forwardImpl(x: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
    return [tf.expm1(x), sumEventAxes(x)];
  }

  protected override inverseImpl(y: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
    const x = tf.log1p(y);
    return [x, tf.neg(sumEventAxes(x))];
  }

  // Out-of-domain input gets a clear error instead of NaN.
  override inverseAndLogDet(y: tf.Tensor, context?: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
    assertInside(y, -1, Infinity, 'Expm1.inverse');
    return super.inverseAndLogDet(y, context);
  }

  getConfig() {
    return {}; // everything needed to rebuild it (not the weights)
  }

  static fromConfig(): Expm1 {
    return new Expm1();
  }
}

export function register(): void {
  registerBijector('Expm1', () => new Expm1());
}

import { describeBijectorConformance } from './testing/vitest.js';
register(); // the kit's JSON round trip goes through the registry
describeBijectorConformance('Expm1', () => new Expm1(), { eventShape: [3] });
