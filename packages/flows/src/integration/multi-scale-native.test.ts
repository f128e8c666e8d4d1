import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { selectBackend } from '@flows/backends';
import { multiScaleFlow } from '@flows/builders';
import { Adam } from '@flows/optimizers';

afterAll(async () => {
  await tf.setBackend('cpu');
});

// The multi-scale flow (mnist-flow's architecture: squeezes, ActNorm, 1 × 1 convolutions, affine
// couplings with ConvNet conditioners) on wasm with @flows/native-kernels, whose convolutions are
// direct kernels and whose ConvNet layers' gradients are one fused kernel each, against the cpu
// backend, where everything is stock TensorFlow.js and autodiff of the reference compositions.

/** Logit-preprocessed dequantized pixels, as mnist-flow trains on. */
function images(n: number, size: number): tf.Tensor2D {
  return tf.tensor2d(
    Float32Array.from({ length: n * size }, (_, i) => {
      const u = (Math.floor(((Math.sin(i * 12.9898) * 43758.5453) % 1) * 128 + 128) + 0.5) / 256;
      return Math.log(u) - Math.log1p(-u);
    }),
    [n, size],
  );
}

async function run(backend: 'cpu' | 'wasm') {
  await selectBackend({ backend });
  const flow = multiScaleFlow({ shape: [16, 16, 1], levels: 2, stepsPerLevel: 2, hidden: [32, 32], seed: 3 });
  // Every variable away from its initial value (the zero last layers make most gradients zero at first).
  flow.trainableVariables.forEach((v, k) =>
    v.assign(tf.tidy(() => tf.add(v, tf.reshape(tf.mul(0.05, tf.sin(tf.add(tf.mul(tf.range(0, v.size), 0.37 + 0.01 * k), k))), v.shape)))),
  );
  const x = images(6, 256);
  const { value, grads } = tf.variableGrads(() => tf.neg(tf.mean(flow.uncheckedLogProb(x))) as tf.Scalar, flow.trainableVariables);
  const gradients = flow.trainableVariables.map((v) => grads[v.name].dataSync().slice() as Float32Array);
  const first = value.dataSync()[0];
  tf.dispose([value, ...Object.values(grads)]);
  const optimizer = new Adam(flow.trainableVariables, { learningRate: 1e-3 });
  const step = () => {
    const loss = tf.tidy(() => {
      const result = tf.variableGrads(() => tf.neg(tf.mean(flow.uncheckedLogProb(x))) as tf.Scalar, flow.trainableVariables);
      optimizer.applyGradients(result.grads);
      return result.value;
    });
    const out = loss.dataSync()[0];
    loss.dispose();
    return out;
  };
  step();
  const before = tf.memory().numTensors;
  const losses = [first, ...Array.from({ length: 3 }, step)];
  const leaked = tf.memory().numTensors - before;
  tf.dispose(x);
  optimizer.dispose();
  flow.dispose();
  return { losses, gradients, leaked };
}

const nativeConvolutions = async () => {
  await selectBackend({ backend: 'wasm' });
  return tf.getKernel('FlowsConv2DBackward', 'wasm') !== undefined;
};

describe('the multi-scale flow on wasm with the native convolution kernels', () => {
  it('gives the cpu backend’s loss and gradients, trains along the same losses, and leaks nothing', async (context) => {
    if (!(await nativeConvolutions())) {
      console.warn('skipped: the multi-scale flow on native kernels: @flows/native-kernels is not built');
      context.skip();
    }
    const reference = await run('cpu');
    const native = await run('wasm');
    expect(native.leaked).toBe(0);
    native.gradients.forEach((g, k) => {
      const r = reference.gradients[k];
      let worst = 0;
      let largest = 1e-3;
      for (let i = 0; i < g.length; i++) {
        worst = Math.max(worst, Math.abs(g[i] - r[i]));
        largest = Math.max(largest, Math.abs(r[i]));
      }
      expect(worst / largest, `gradient ${k}`).toBeLessThan(1e-4);
    });
    // float32 sums in other orders; Adam's steps then carry the differences along.
    native.losses.forEach((loss, i) => expect(Math.abs(loss - reference.losses[i]) / Math.abs(reference.losses[i]), `loss ${i}`).toBeLessThan(1e-5));
  });
});
