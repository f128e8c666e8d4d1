import * as tf from '@tensorflow/tfjs-core';
import { configureRuntime } from '@flows/core';
import { afterEach, describe, expect, it } from 'vitest';
import { affineCouplingInverse, referenceAffineCouplingInverse, referenceAffineCouplingInverseGradient } from './affine-coupling-inverse.js';
import { flowsKernelConfig } from './flows-kernel-config.js';
import { AFFINE_COUPLING_INVERSE, AFFINE_COUPLING_INVERSE_GRADIENT, type AffineCouplingInverseGradientInputs } from './kernel-contract.js';

/** What the stand-in kernels use of the cpu backend. */
interface CpuBackendLike {
  readSync(id: object): Float32Array;
  makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): tf.TensorInfo;
}

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

  it('runs a kernel a backend registers under its name, its gradient kernel (or the reference gradient without one), and the reference when fused kernels are off', () => {
    let calls = 0;
    // A plain JavaScript kernel for the cpu backend, standing in for a backend's fused one.
    tf.registerKernel(
      flowsKernelConfig<typeof AFFINE_COUPLING_INVERSE, CpuBackendLike>(AFFINE_COUPLING_INVERSE, 'cpu', ({ inputs, backend: cpu, attrs }) => {
        calls++;
        const { y: Y, rawScale, rawTranslation, inverseMask, scaleFactor } = inputs;
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
      }),
    );
    let gradientCalls = 0;
    // A gradient kernel for the cpu backend written with the reference's stock operations, standing in for a backend's own.
    tf.registerKernel(
      flowsKernelConfig(AFFINE_COUPLING_INVERSE_GRADIENT, 'cpu', ({ inputs, attrs }) => {
        gradientCalls++;
        // The cpu engine hands a kernel the very tensors runKernel was given, which the reference's stock operations take.
        const { dx, dl, y: Y, rawScale, rawTranslation, inverseMask, scaleFactor } = inputs as AffineCouplingInverseGradientInputs<tf.Tensor>;
        const outputs = referenceAffineCouplingInverseGradient(dx, dl, Y, rawScale, rawTranslation, inverseMask, scaleFactor, attrs.tanh);
        const [dy, dt, dr, dc] = outputs.map((tensor) => {
          // Keep the data alive for the engine, which takes the returned infos over.
          tf.keep(tensor);
          return { dataId: tensor.dataId, shape: tensor.shape, dtype: tensor.dtype };
        });
        return [dy, dt, dr, dc];
      }),
    );
    try {
      const loss = (op: typeof affineCouplingInverse) => (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor, e: tf.Tensor) => {
        const [x, l] = op(a, b, c, e, mask(), true);
        return tf.add(tf.sum(tf.square(x)), tf.sum(l));
      };
      const viaKernel = tf.grads(loss(affineCouplingInverse))([y(), r(), t(), factor()]);
      expect(calls).toBeGreaterThan(0);
      expect(gradientCalls).toBe(1);
      const reference = tf.grads(loss(referenceAffineCouplingInverse))([y(), r(), t(), factor()]);
      viaKernel.forEach((g, k) => Array.from(g.dataSync()).forEach((value, i) => expect(value).toBeCloseTo(reference[k].dataSync()[i], 4)));
      // Without the backend's gradient kernel the op's gradient is the reference gradient composition.
      tf.unregisterKernel(AFFINE_COUPLING_INVERSE_GRADIENT, 'cpu');
      const viaReferenceGradient = tf.grads(loss(affineCouplingInverse))([y(), r(), t(), factor()]);
      expect(gradientCalls).toBe(1);
      viaReferenceGradient.forEach((g, k) => Array.from(g.dataSync()).forEach((value, i) => expect(value).toBeCloseTo(reference[k].dataSync()[i], 4)));
      const before = calls;
      configureRuntime({ fusedKernels: false });
      affineCouplingInverse(y(), r(), t(), factor(), mask(), true);
      expect(calls).toBe(before);
    } finally {
      tf.unregisterKernel(AFFINE_COUPLING_INVERSE, 'cpu');
      if (tf.getKernel(AFFINE_COUPLING_INVERSE_GRADIENT, 'cpu')) tf.unregisterKernel(AFFINE_COUPLING_INVERSE_GRADIENT, 'cpu');
    }
  });
});
