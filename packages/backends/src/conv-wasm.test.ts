import * as tf from '@tensorflow/tfjs-core';
import { ConvNet } from '@flows/networks';
import { afterAll, describe, expect, it } from 'vitest';
import { selectBackend } from './select-backend.js';

afterAll(async () => {
  await tf.setBackend('cpu');
});

describe('convolutional conditioners on wasm', () => {
  it('train on wasm (no Conv2DBackpropFilter there) with the same gradients as on cpu', async () => {
    const gradients = () => {
      const net = new ConvNet({ inputChannels: 3, outputChannels: 2, hidden: [5], zeroInitLast: false, seed: 4 });
      const x = tf.tensor4d(
        Float32Array.from({ length: 2 * 6 * 5 * 3 }, (_, i) => Math.sin(i)),
        [2, 6, 5, 3],
      );
      const w = tf.tensor4d(
        Float32Array.from({ length: 2 * 6 * 5 * 2 }, (_, i) => Math.cos(i)),
        [2, 6, 5, 2],
      );
      const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(net.apply(x), w)) as tf.Scalar, net.trainableVariables);
      const out = [value.dataSync()[0], ...net.trainableVariables.map((v) => Array.from(grads[v.name].dataSync()))];
      tf.dispose([x, w, value, ...Object.values(grads)]);
      net.dispose();
      return out as [number, ...number[][]];
    };
    await selectBackend({ backend: 'cpu' });
    const reference = gradients();
    await selectBackend({ backend: 'wasm' });
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeUndefined(); // the reason ConvNet has its own gradient
    const onWasm = gradients();
    expect(onWasm[0]).toBeCloseTo(reference[0], 3);
    for (let i = 1; i < reference.length; i++) {
      const [a, b] = [onWasm[i] as number[], reference[i] as number[]];
      a.forEach((v, j) => expect(Math.abs(v - b[j])).toBeLessThan(1e-3 * (1 + Math.abs(b[j]))));
    }
  });
});
