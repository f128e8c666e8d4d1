import * as tf from '@tensorflow/tfjs-core';
import { configureRuntime } from '@flows/core';
import { afterEach, describe, expect, it } from 'vitest';
import { affineCouplingInverse, referenceAffineCouplingInverse } from './affine-coupling-inverse.js';
import { AFFINE_COUPLING_INVERSE } from './kernel-names.js';

const y = () => tf.tensor2d([0.5, -1.2, 2.0, 0.3, 0.8, -0.4], [2, 3]);
const r = () => tf.tensor2d([0.2, 0.7, -1.5, 1.1, -0.3, 0.4], [2, 3]);
const t = () => tf.tensor2d([0.1, -0.6, 0.9, 0.5, 0.2, -0.8], [2, 3]);
const mask = () => tf.tensor1d([0, 1, 1]); // the first coordinate is kept
const factor = () => tf.tensor1d([1.5, 0.5, 2.0]);

function closedForm(tanh: boolean, withFactor: boolean): { x: number[]; logDet: number[] } {
  const [Y, R, T, M, C] = [y(), r(), t(), mask(), factor()].map((tensor) => Array.from(tensor.dataSync()));
  const x: number[] = [];
  const logDet = [0, 0];
  for (let n = 0; n < 2; n++) {
    for (let d = 0; d < 3; d++) {
      const i = 3 * n + d;
      const s = (withFactor ? C[d] : 1) * (tanh ? Math.tanh(R[i]) : R[i]) * M[d];
      x.push((Y[i] - T[i] * M[d]) * Math.exp(-s));
      logDet[n] -= s;
    }
  }
  return { x, logDet };
}

afterEach(() => {
  configureRuntime({ fusedKernels: true });
});

describe('affineCouplingInverse', () => {
  it.each([
    [true, true],
    [false, false],
  ])('computes x = (y − t⊙m̄)⊙exp(−s), log-det −Σs, with s = c⊙a(r)⊙m̄ (tanh %s, factor %s)', (tanh, withFactor) => {
    const [x, logDet] = affineCouplingInverse(y(), r(), t(), withFactor ? factor() : null, mask(), tanh);
    const expected = closedForm(tanh, withFactor);
    Array.from(x.dataSync()).forEach((value, i) => expect(value).toBeCloseTo(expected.x[i], 5));
    Array.from(logDet.dataSync()).forEach((value, i) => expect(value).toBeCloseTo(expected.logDet[i], 5));
  });

  it('runs a kernel a backend registers under its name, with that kernel’s gradient, and the reference when fused kernels are off', () => {
    let calls = 0;
    // A plain JavaScript kernel for the cpu backend, standing in for a backend's fused one.
    tf.registerKernel({
      kernelName: AFFINE_COUPLING_INVERSE,
      backendName: 'cpu',
      kernelFunc: ({ inputs, backend, attrs }) => {
        calls++;
        const cpu = backend as unknown as {
          readSync(id: object): Float32Array;
          makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): tf.TensorInfo;
        };
        const { y: Y, rawScale, rawTranslation, inverseMask, scaleFactor } = inputs as Record<string, tf.TensorInfo>;
        const [yv, rv, tv, mv, cv] = [Y, rawScale, rawTranslation, inverseMask, scaleFactor].map((info) => cpu.readSync(info.dataId));
        const [batch, size] = Y.shape;
        const x = new Float32Array(batch * size);
        const logDet = new Float32Array(batch);
        for (let i = 0; i < batch * size; i++) {
          const d = i % size;
          const s = cv[d] * (attrs?.tanh ? Math.tanh(rv[i]) : rv[i]) * mv[d];
          x[i] = (yv[i] - tv[i] * mv[d]) * Math.exp(-s);
          logDet[Math.floor(i / size)] -= s;
        }
        return [cpu.makeTensorInfo([batch, size], 'float32', x), cpu.makeTensorInfo([batch], 'float32', logDet)];
      },
    });
    tf.registerGradient({
      kernelName: AFFINE_COUPLING_INVERSE,
      inputsToSave: ['y', 'rawScale', 'rawTranslation', 'inverseMask', 'scaleFactor'],
      gradFunc: (dy, saved, attrs) => {
        // The analytic gradients the fused webgpu kernel implements, written with stock operations:
        // ∂/∂y = g_x e^{−s}, ∂/∂t = −g_x e^{−s} m̄, ∂/∂r = −(g_x x + g_l) c m̄ a′(r), ∂/∂c = −m̄ Σ_batch (g_x x + g_l) a(r).
        const [Y, R, T, M, C] = saved;
        const [dx, dl] = dy as tf.Tensor[];
        const tanh = Boolean(attrs?.tanh);
        const activated = tanh ? tf.tanh(R) : R;
        const slope = tanh ? tf.sub(1, tf.square(activated)) : tf.onesLike(R);
        const s = tf.mul(tf.mul(activated, C), M);
        const decay = tf.exp(tf.neg(s));
        const x = tf.mul(tf.sub(Y, tf.mul(T, M)), decay);
        const common = tf.add(tf.mul(dx, x), tf.reshape(dl, [-1, 1]));
        return {
          y: () => tf.mul(dx, decay),
          rawTranslation: () => tf.neg(tf.mul(tf.mul(dx, decay), M)),
          rawScale: () => tf.neg(tf.mul(tf.mul(tf.mul(common, C), M), slope)),
          scaleFactor: () => tf.neg(tf.mul(M, tf.sum(tf.mul(common, activated), 0))),
          inverseMask: () => tf.zerosLike(M),
        };
      },
    });
    try {
      const loss = (op: typeof affineCouplingInverse) => (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor, e: tf.Tensor) => {
        const [x, l] = op(a, b, c, e, mask(), true);
        return tf.add(tf.sum(tf.square(x)), tf.sum(l));
      };
      const viaKernel = tf.grads(loss(affineCouplingInverse))([y(), r(), t(), factor()]);
      expect(calls).toBeGreaterThan(0);
      const reference = tf.grads(loss(referenceAffineCouplingInverse))([y(), r(), t(), factor()]);
      viaKernel.forEach((g, k) => Array.from(g.dataSync()).forEach((value, i) => expect(value).toBeCloseTo(reference[k].dataSync()[i], 4)));
      const before = calls;
      configureRuntime({ fusedKernels: false });
      affineCouplingInverse(y(), r(), t(), factor(), mask(), true);
      expect(calls).toBe(before);
    } finally {
      tf.unregisterKernel(AFFINE_COUPLING_INVERSE, 'cpu');
      tf.unregisterGradient(AFFINE_COUPLING_INVERSE);
    }
  });
});
