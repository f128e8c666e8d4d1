import * as tf from '@tensorflow/tfjs-core';
import { Random } from '@flows/core';
import { describe, expect, it } from 'vitest';
import { splineBin } from './rational-quadratic-bins.js';

/**
 * The plain reference of splineBin: the bin is the number of interior knots t with value ≥ t,
 * found element by element in JavaScript, and its knots are read by index.
 */
function referenceBin(values: Float32Array, positions: Float32Array, sizes: Float32Array, derivatives: Float32Array, k: number) {
  const fields = { xLeft: [] as number[], width: [] as number[], deltaLeft: [] as number[], deltaRight: [] as number[] };
  values.forEach((value, e) => {
    let bin = 0;
    for (let j = 1; j < k; j++) if (value >= positions[e * (k + 1) + j]) bin++;
    fields.xLeft.push(positions[e * (k + 1) + bin]);
    fields.width.push(sizes[e * k + bin]);
    fields.deltaLeft.push(derivatives[e * (k + 1) + bin]);
    fields.deltaRight.push(derivatives[e * (k + 1) + bin + 1]);
  });
  return fields;
}

describe('splineBin', () => {
  it('finds the bin of every value as the plain comparison does, values on the knots and at the ends included', () => {
    const k = 6;
    const random = new Random(11);
    const [n, d] = [40, 3];
    // Increasing knots from −2 to 2 per element, and derivatives, all float32.
    const positions = new Float32Array(n * d * (k + 1));
    const derivatives = new Float32Array(n * d * (k + 1));
    for (let e = 0; e < n * d; e++) {
      const steps = Array.from({ length: k }, () => 0.05 + random.uniform());
      const total = steps.reduce((a, b) => a + b, 0);
      let at = -2;
      for (let j = 0; j <= k; j++) {
        positions[e * (k + 1) + j] = j === k ? 2 : at;
        if (j < k) at += (4 * steps[j]) / total;
        derivatives[e * (k + 1) + j] = 0.1 + 2 * random.uniform();
      }
    }
    const sizes = new Float32Array(n * d * k);
    for (let e = 0; e < n * d; e++) for (let j = 0; j < k; j++) sizes[e * k + j] = positions[e * (k + 1) + j + 1] - positions[e * (k + 1) + j];
    // Values: exactly on a knot (every knot in turn, ends included), the float just below a knot, or anywhere.
    const values = new Float32Array(n * d);
    for (let e = 0; e < n * d; e++) {
      const knot = positions[e * (k + 1) + (e % (k + 1))];
      const kind = Math.floor(e / (k + 1)) % 3;
      values[e] = kind === 0 ? knot : kind === 1 ? Math.max(-2, knot - Math.abs(knot) * 2 ** -23 - 2 ** -126) : -2 + 4 * random.uniform();
    }
    const result = tf.tidy(() => {
      const positionsTensor = tf.tensor3d(positions, [n, d, k + 1]);
      const knots = { positions: positionsTensor, sizes: tf.tensor3d(sizes, [n, d, k]) };
      const bin = splineBin(tf.tensor2d(values, [n, d]), positionsTensor, knots, knots, tf.tensor3d(derivatives, [n, d, k + 1]));
      return [bin.xLeft, bin.width, bin.deltaLeft, bin.deltaRight].map((t) => Array.from(t.dataSync()));
    });
    const expected = referenceBin(values, positions, sizes, derivatives, k);
    expect(result).toEqual([expected.xLeft, expected.width, expected.deltaLeft, expected.deltaRight]);
  });
});
