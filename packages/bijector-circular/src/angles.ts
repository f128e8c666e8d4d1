import * as tf from '@tensorflow/tfjs-core';

/**
 * Angles taken to [−π, π): `a − 2π ⌊(a + π) / 2π⌋`. Its derivative is 1 (floor's is 0), so a
 * map composed with it keeps its Jacobian; the jump at ±π is where the circle is cut, not a
 * discontinuity of the map on the circle.
 */
export function wrapAngles(a: tf.Tensor): tf.Tensor {
  return tf.sub(a, tf.mul(tf.floor(tf.div(tf.add(a, Math.PI), 2 * Math.PI)), 2 * Math.PI));
}
