import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { beforeAll, describe, expect, it } from 'vitest';
import { type ConvolutionActivation, convolutionBackward, referenceConvolutionBackward } from './convolution-backward.js';
import { convolutionLayer } from './convolution-layer.js';

/** Autodiff of the stock layer a(conv2d(x, W, 1, 'same') + b), weighted by g: the gradients of x, W and b. */
function autodiff(x: tf.Tensor4D, filter: tf.Tensor4D, bias: tf.Tensor1D, g: tf.Tensor4D, activation: ConvolutionActivation): tf.Tensor[] {
  return tf.grads((a: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => {
    const z = tf.add(tf.conv2d(a as tf.Tensor4D, w as tf.Tensor4D, 1, 'same'), b);
    return tf.sum(tf.mul(activation === 'relu' ? tf.relu(z) : z, g));
  })([x, filter, bias]);
}

function expectClose(got: tf.Tensor, expected: tf.Tensor, what: string): void {
  expect(got.shape, what).toEqual(expected.shape);
  const [a, b] = [got.dataSync(), expected.dataSync()];
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / (1 + Math.abs(b[i])));
  expect(worst, what).toBeLessThan(1e-5);
}

describe('convolutionBackward and convolutionLayer', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  // [x shape, filter size, output channels]: odd filters of 1, 3 and 5, one and several images.
  const cases: [[number, number, number, number], number, number][] = [
    [[4, 6, 5, 3], 3, 4],
    [[1, 7, 7, 2], 5, 3],
    [[3, 4, 4, 5], 1, 2],
  ];

  it.each(['linear', 'relu'] as const)('give autodiff’s gradients of the stock layer, for filters of 1, 3 and 5 (%s)', (activation) => {
    for (const [shape, k, cout] of cases) {
      const x = tf.randomNormal([...shape], 0, 1, 'float32', 1) as tf.Tensor4D;
      const filter = tf.randomNormal([k, k, shape[3], cout], 0, 0.5, 'float32', 2) as tf.Tensor4D;
      const bias = tf.randomNormal([cout], 0, 0.5, 'float32', 3) as tf.Tensor1D;
      const g = tf.randomNormal([shape[0], shape[1], shape[2], cout], 0, 1, 'float32', 4) as tf.Tensor4D;
      const expected = autodiff(x, filter, bias, g, activation);
      const what = `${activation}, [${shape}], k ${k}`;
      // The operation from the layer's output, as a layer's gradient function calls it.
      const output = tf.fused.conv2d({ x, filter, bias, strides: 1, pad: 'same', activation });
      for (const op of [referenceConvolutionBackward, convolutionBackward]) {
        const before = tf.memory().numTensors;
        const got = op(x, filter, g, output, activation);
        expect(tf.memory().numTensors, what).toBe(before + 3);
        got.forEach((t, i) => expectClose(t, expected[i], `${what}, ${op.name} gradient ${i}`));
        tf.dispose(got);
      }
      // The layer's value and, through its own gradient, autodiff's.
      const layer = convolutionLayer(x, filter, bias, activation);
      expectClose(layer, output, `${what}, layer value`);
      const viaLayer = tf.grads((a: tf.Tensor, w: tf.Tensor, b: tf.Tensor) =>
        tf.sum(tf.mul(convolutionLayer(a as tf.Tensor4D, w as tf.Tensor4D, b as tf.Tensor1D, activation), g)),
      )([x, filter, bias]);
      viaLayer.forEach((t, i) => expectClose(t, expected[i], `${what}, layer gradient ${i}`));
      tf.dispose([x, filter, bias, g, output, layer, ...expected, ...viaLayer]);
    }
  });

  it('refuses an even or non-square filter', () => {
    const x = tf.zeros([1, 3, 3, 1]) as tf.Tensor4D;
    const dz = tf.zeros([1, 3, 3, 1]) as tf.Tensor4D;
    expect(() => referenceConvolutionBackward(x, tf.zeros([2, 2, 1, 1]), dz, dz, 'linear')).toThrow(/square and odd, got \[2,2,1,1\]/);
    expect(() => referenceConvolutionBackward(x, tf.zeros([3, 1, 1, 1]), dz, dz, 'linear')).toThrow(/square and odd/);
    tf.dispose([x, dz]);
  });
});
