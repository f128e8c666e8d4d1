// The example of docs/writing-a-bijector.md, kept runnable (the code blocks, in order).
import * as tf from '@tensorflow/tfjs-core';
import { Bijector, sumEventAxes, assertInside, registerBijector } from './index.js';

/**
 * y = exp(x), elementwise.
 * - forward log-det: Σ_i x_i
 * - inverse: x = log y for y > 0; log-det −Σ_i log y_i
 */
export class Exp extends Bijector {
  readonly className = 'Exp'; // stable: saved models refer to it
  readonly eventShape = null; // elementwise: any event shape

  protected forwardImpl(x: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
    return [tf.exp(x), sumEventAxes(x)];
  }

  protected override inverseImpl(y: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
    const x = tf.log(y);
    return [x, tf.neg(sumEventAxes(x))];
  }

  // Out-of-domain input gets a clear error instead of NaN.
  override inverseAndLogDet(y: tf.Tensor, context?: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
    assertInside(y, 0, Infinity, 'Exp.inverse');
    return super.inverseAndLogDet(y, context);
  }

  getConfig() {
    return {}; // everything needed to rebuild it (not the weights)
  }

  static fromConfig(): Exp {
    return new Exp();
  }
}

export function register(): void {
  registerBijector('Exp', () => new Exp());
}

import { describeBijectorConformance } from './testing/vitest.js';
register(); // the kit's JSON round trip goes through the registry
describeBijectorConformance('Exp', () => new Exp(), { eventShape: [3] });
