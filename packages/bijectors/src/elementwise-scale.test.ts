import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { ElementwiseScale } from './elementwise-scale.js';

describe('ElementwiseScale', () => {
  it('scales by exp(logScale) with log-det Σ logScale', () => {
    const b = new ElementwiseScale({ size: 2, logScale: [Math.log(2), Math.log(0.25)] });
    const [y, logDet] = b.forwardAndLogDet(
      tf.tensor2d([
        [1, 4],
        [3, 8],
      ]),
    );
    expect(Array.from(y.dataSync()).map((v) => +v.toFixed(5))).toEqual([2, 1, 6, 2]);
    Array.from(logDet.dataSync()).forEach((v) => expect(v).toBeCloseTo(Math.log(0.5), 6));
    tf.dispose([y, logDet]);
    b.dispose();
  });
});
