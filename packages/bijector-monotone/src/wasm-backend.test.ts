// The KL script trains on the stock wasm kernels: every transformer's ops and gradients must exist
// there (the cpu backend, where the other tests run, has every kernel). This file runs in its own
// process (vitest's forks pool), so switching the backend here touches no other test.
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '@flows/backends';
import { TransformerCoupling } from '@flows/bijectors';
import { beforeAll, describe, expect, it } from 'vitest';
import { BernsteinTransformer, DeepSigmoidalTransformer, InvertedTransformer, SumOfSquaresTransformer, UMNNTransformer } from './index.js';

beforeAll(async () => {
  await selectBackend({ backend: 'wasm', nativeKernels: false });
});

describe('on the wasm backend', () => {
  it.each([
    ['UMNNTransformer', () => new UMNNTransformer({ hidden: 4 })],
    ['SumOfSquaresTransformer', () => new SumOfSquaresTransformer()],
    ['BernsteinTransformer', () => new BernsteinTransformer({ degree: 8 })],
    ['DeepSigmoidalTransformer', () => new DeepSigmoidalTransformer({ hidden: 4 })],
  ])('%s: a coupling takes gradients both ways and round-trips', (_, make) => {
    expect(tf.getBackend()).toBe('wasm');
    for (const transformer of [make(), new InvertedTransformer(make())]) {
      const layer = new TransformerCoupling({ mask: [1, 0], transformer, hidden: [4], seed: 1 });
      tf.tidy(() => {
        const x = tf.tensor2d([
          [0.3, -1.2],
          [2, 0.5],
          [-0.7, 6],
        ]);
        const { grads } = tf.variableGrads(() => {
          const [y, forwardLogDet] = layer.uncheckedForwardAndLogDet(x);
          const [, inverseLogDet] = layer.uncheckedInverseAndLogDet(y);
          return tf.add(tf.sum(tf.square(y)), tf.sum(tf.add(forwardLogDet, tf.mul(inverseLogDet, 0.5)))) as tf.Scalar;
        }, layer.trainableVariables);
        for (const g of Object.values(grads)) expect(tf.all(tf.isFinite(g)).dataSync()[0]).toBe(1);
        const back = layer.inverse(layer.forward(x));
        expect(tf.max(tf.abs(tf.sub(back, x))).dataSync()[0]).toBeLessThan(1e-4);
      });
      layer.dispose();
    }
  });
});
