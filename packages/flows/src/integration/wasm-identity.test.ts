import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { Adam } from '@flows/optimizers';
import { selectBackend } from '@flows/backends';
import { realNVP } from '@flows/builders';

afterAll(async () => {
  await tf.setBackend('cpu');
});

const dataIds = () => (tf.backend() as unknown as { numDataIds(): number }).numDataIds();

describe('Identity on wasm shares memory', () => {
  it('clones share the data, outlive the original, survive assign, and free the memory with the last reference', async () => {
    await selectBackend({ backend: 'wasm' });
    const baseline = dataIds();
    const a = tf.tensor1d([1, 2, 3]);
    const b = tf.clone(a);
    expect(b.dataId).toBe(a.dataId); // shared, not copied
    expect(dataIds()).toBe(baseline + 1);
    a.dispose();
    expect(Array.from(b.dataSync())).toEqual([1, 2, 3]);
    b.dispose();
    expect(dataIds()).toBe(baseline);
    const initial = tf.tensor1d([4, 5]);
    const next = tf.tensor1d([6, 7]);
    const v = tf.variable(initial);
    const snapshot = tf.clone(v); // as fit() keeps the last good weights
    v.assign(next);
    expect(Array.from(snapshot.dataSync())).toEqual([4, 5]);
    expect(Array.from(v.dataSync())).toEqual([6, 7]);
    tf.dispose([v, snapshot, initial, next]);
    expect(dataIds()).toBe(baseline);
  });

  it('training steps on wasm match cpu and leak nothing', async () => {
    const losses = async (backend: 'cpu' | 'wasm') => {
      await selectBackend({ backend });
      const flow = realNVP({ size: 6, layers: 3, hidden: [8], seed: 2 });
      const optimizer = new Adam(flow.trainableVariables, { learningRate: 1e-2 });
      const x = tf.tensor2d(
        Float32Array.from({ length: 40 * 6 }, (_, i) => Math.sin(i * 0.7)),
        [40, 6],
      );
      const step = () => {
        const loss = tf.tidy(() => {
          const { value, grads } = tf.variableGrads(() => tf.neg(tf.mean(flow.uncheckedLogProb(x))) as tf.Scalar, flow.trainableVariables);
          optimizer.applyGradients(grads);
          return value;
        });
        const out = loss.dataSync()[0];
        loss.dispose();
        return out;
      };
      step();
      const before = tf.memory().numTensors;
      const values = Array.from({ length: 5 }, step);
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose(x);
      optimizer.dispose();
      flow.dispose();
      return values;
    };
    const reference = await losses('cpu');
    const onWasm = await losses('wasm');
    onWasm.forEach((v, i) => expect(Math.abs(v - reference[i])).toBeLessThan(1e-4 * (1 + Math.abs(reference[i]))));
    expect(reference[4]).toBeLessThan(reference[0]);
  });
});
