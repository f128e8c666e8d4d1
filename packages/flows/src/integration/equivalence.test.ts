import * as tf from '@tensorflow/tfjs-core';
import { configureRuntime, Random } from '@flows/core';
import { afterEach, describe, expect, it } from 'vitest';
import { realNVP } from '@flows/builders';
import { Adam } from '@flows/optimizers';

/** Trains a small Real NVP for some steps and returns the loss curve. */
function lossCurve(fast: boolean): number[] {
  configureRuntime({ denseGradients: fast ? 'explicit-transpose' : 'autodiff' });
  const model = realNVP({ size: 6, layers: 3, hidden: [16, 16], seed: 3 });
  const random = new Random(4);
  const data = tf.tensor2d(random.fillNormal(new Float32Array(64 * 6)), [64, 6]);
  const variables = model.trainableVariables;
  const ours = new Adam(variables, { learningRate: 5e-3, placement: 'host' });
  const stock = tf.train.adam(5e-3, 0.9, 0.999, 1e-7);
  const losses: number[] = [];
  for (let step = 0; step < 30; step++) {
    const lossFn = () => tf.neg(tf.mean(model.uncheckedLogProb(data))) as tf.Scalar;
    if (fast) {
      const { value, grads } = tf.variableGrads(lossFn, variables);
      ours.applyGradients(grads);
      losses.push(value.dataSync()[0]);
      tf.dispose([value, ...Object.values(grads)]);
    } else {
      const value = stock.minimize(lossFn, true, variables)!;
      losses.push(value.dataSync()[0]);
      value.dispose();
    }
  }
  ours.dispose();
  stock.dispose();
  model.dispose();
  data.dispose();
  return losses;
}

describe('the fast path loses no accuracy', () => {
  afterEach(() => configureRuntime({ denseGradients: 'explicit-transpose' }));

  it('own-gradient dense layers + the SIMD Adam give the loss curve of plain autodiff + tf.train.adam', () => {
    const fast = lossCurve(true);
    const plain = lossCurve(false);
    expect(fast[29]).toBeLessThan(fast[0]);
    fast.forEach((loss, i) => expect(Math.abs(loss - plain[i])).toBeLessThan(1e-4 * Math.max(1, Math.abs(plain[i]))));
  });
});
