import * as tf from '@tensorflow/tfjs-core';
import { BijectorInputError } from '@flows/core';
import { DENSE_COUPLING_INVERSE, DENSE_COUPLING_INVERSE_GRADIENT } from '@flows/kernels';
import { FunctionConditioner } from '@flows/networks';
import { describe, expect, it } from 'vitest';
import { MaskedAffineCoupling } from './masked-affine-coupling.js';

describe('MaskedAffineCoupling equations (12)-(14)', () => {
  it('matches hand-computed values for D = 3 with fixed conditioners', () => {
    // b = (1, 0, 1): coordinates 0 and 2 are kept; s(u) = (0.1 u0, 0.5 u0 - 0.2 u2, 0), t(u) = (0, u0 + u2, 7).
    const mask = [1, 0, 1];
    const scale = (u: tf.Tensor2D) =>
      tf.stack(
        [
          tf.mul(tf.squeeze(tf.slice(u, [0, 0], [-1, 1]), [1]), 0.1),
          tf.sub(tf.mul(tf.squeeze(tf.slice(u, [0, 0], [-1, 1]), [1]), 0.5), tf.mul(tf.squeeze(tf.slice(u, [0, 2], [-1, 1]), [1]), 0.2)),
          tf.zeros([u.shape[0]]),
        ],
        1,
      ) as tf.Tensor2D;
    const translation = (u: tf.Tensor2D) =>
      tf.stack(
        [
          tf.zeros([u.shape[0]]),
          tf.add(tf.squeeze(tf.slice(u, [0, 0], [-1, 1]), [1]), tf.squeeze(tf.slice(u, [0, 2], [-1, 1]), [1])),
          tf.fill([u.shape[0]], 7),
        ],
        1,
      ) as tf.Tensor2D;
    const layer = new MaskedAffineCoupling({ mask, scale, translation, scaleTanh: false });
    const z = [0.4, -1.3, 2.0];
    // By hand: s = (0.04, 0.2 - 0.4, 0) masked to (0, -0.2, 0); t masked to (0, 2.4, 0).
    const s1 = 0.5 * 0.4 - 0.2 * 2.0;
    const t1 = 0.4 + 2.0;
    const expected = [0.4, -1.3 * Math.exp(s1) + t1, 2.0];
    const [y, logDet] = layer.forwardAndLogDet(tf.tensor2d([z]));
    const yValues = Array.from(y.dataSync());
    yValues.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 5));
    expect(logDet.dataSync()[0]).toBeCloseTo(s1, 6);
    const [back, inverseLogDet] = layer.inverseAndLogDet(y);
    Array.from(back.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(z[i], 5));
    expect(inverseLogDet.dataSync()[0]).toBeCloseTo(-s1, 6);
    tf.dispose([y, logDet, back, inverseLogDet]);
    layer.dispose();
  });

  it('reproduces the course notes 2-D affine coupling example', () => {
    // z = (1, 3), scale exp(0.5) and shift 2 on the second coordinate: x = (1, 6.946), log|det J| = 0.5.
    const scale = (u: tf.Tensor2D) => tf.mul(tf.onesLike(u), 0.5) as tf.Tensor2D;
    const translation = (u: tf.Tensor2D) => tf.mul(tf.onesLike(u), 2) as tf.Tensor2D;
    const layer = new MaskedAffineCoupling({ mask: [1, 0], scale, translation, scaleTanh: false });
    const [x, logDet] = layer.forwardAndLogDet(tf.tensor2d([[1, 3]]));
    const values = x.dataSync();
    expect(values[0]).toBeCloseTo(1, 6);
    expect(values[1]).toBeCloseTo(6.946, 3);
    expect(values[1]).toBeCloseTo(3 * Math.exp(0.5) + 2, 5);
    expect(logDet.dataSync()[0]).toBeCloseTo(0.5, 6);
    const z = layer.inverse(x);
    expect(Array.from(z.dataSync()).map((v) => +v.toFixed(5))).toEqual([1, 3]);
    tf.dispose([x, logDet, z]);
    layer.dispose();
  });

  it('a fresh layer with default MLPs is the identity', () => {
    const layer = new MaskedAffineCoupling({ mask: [0, 1, 0, 1], seed: 5 });
    const x = tf.randomNormal([7, 4]);
    const [y, logDet] = layer.forwardAndLogDet(x);
    expect(tf.max(tf.abs(tf.sub(y, x))).dataSync()[0]).toBe(0);
    expect(tf.max(tf.abs(logDet)).dataSync()[0]).toBe(0);
    tf.dispose([x, y, logDet]);
    layer.dispose();
  });

  it('rejects bad input with errors that name the problem', () => {
    const layer = new MaskedAffineCoupling({ mask: [1, 0, 1], hidden: [4] });
    expect(() => layer.forward(tf.zeros([2, 4]))).toThrow(/event shape \[3\].*\[2, 4\]/);
    expect(() => layer.forward(tf.zeros([3]))).toThrow(/rank 2.*rank 1/);
    expect(() => layer.forward(tf.tensor2d([[1, NaN, 0]]))).toThrow(BijectorInputError);
    expect(() => layer.inverse(tf.tensor2d([[1, Infinity, 0]]))).toThrow(/infinite/);
    expect(() => new MaskedAffineCoupling({ mask: [1, 2, 0] })).toThrow(/binary.*2 at index 1/);
    expect(() => new MaskedAffineCoupling({ mask: [] })).toThrow(/non-empty/);
    expect(() => new MaskedAffineCoupling({ mask: [1, 1] })).toThrow(/all ones/);
    // A mask must keep a coordinate for the conditioner to read, unless a context is there to read.
    expect(() => new MaskedAffineCoupling({ mask: [0, 0] })).toThrow(/all zeros, so the conditioner would read nothing/);
    const contextOnly = new MaskedAffineCoupling({ mask: [0, 0], contextSize: 3, seed: 1 });
    contextOnly.dispose();
    expect(() => new MaskedAffineCoupling({ mask: [1, 0], scale: new FunctionConditioner((u) => u, 3, 2) })).toThrow(/2 → 2, got 3 → 2/);
    expect(() => layer.forward(tf.zeros([2, 3]), tf.zeros([2, 1]))).toThrow(/without context/);
    layer.dispose();
  });

  it('stays finite on inputs up to |x| = 1e3 with random weights and tanh scale, both directions', () => {
    const layer = new MaskedAffineCoupling({ mask: [1, 0, 1, 0, 1, 0], hidden: [32, 32], seed: 9 });
    for (const v of layer.trainableVariables) v.assign(tf.mul(tf.randomNormal(v.shape, 0, 1, 'float32', 3), 1));
    const x = tf.mul(tf.randomUniform([64, 6], -1, 1, 'float32', 4), 1e3);
    for (const [out, logDet] of [layer.forwardAndLogDet(x), layer.inverseAndLogDet(x)]) {
      expect(tf.all(tf.isFinite(out)).dataSync()[0]).toBe(1);
      expect(tf.all(tf.isFinite(logDet)).dataSync()[0]).toBe(1);
      tf.dispose([out, logDet]);
    }
    x.dispose();
    layer.dispose();
  });
});

describe('MaskedAffineCoupling with MLP conditioners', () => {
  it('computes its density direction as denseCouplingInverse of @flows/kernels (the whole layer in one fused kernel where the backend has one), other conditioners as before', () => {
    // Stand-ins that only record the call, for the cpu backend: reaching them proves the route.
    const calls: string[] = [];
    for (const name of [DENSE_COUPLING_INVERSE, DENSE_COUPLING_INVERSE_GRADIENT])
      tf.registerKernel({
        kernelName: name,
        backendName: 'cpu',
        kernelFunc: ({ attrs }) => {
          calls.push(`${name} ${JSON.stringify(attrs)}`);
          throw new Error('stand-in reached');
        },
      });
    try {
      const mlp = new MaskedAffineCoupling({ mask: [1, 0, 1, 0], hidden: [8, 8], seed: 1 });
      expect(() => mlp.inverseAndLogDet(tf.ones([2, 4]))).toThrow('stand-in reached');
      expect(calls).toEqual([`${DENSE_COUPLING_INVERSE} {"tanh":true,"scaleLayers":3,"translationLayers":3}`]);
      const functions = new MaskedAffineCoupling({ mask: [1, 0, 1, 0], scale: (u) => u, translation: (u) => u });
      tf.dispose(functions.inverseAndLogDet(tf.ones([2, 4])));
      expect(calls).toHaveLength(1);
      mlp.dispose();
      functions.dispose();
    } finally {
      for (const name of [DENSE_COUPLING_INVERSE, DENSE_COUPLING_INVERSE_GRADIENT]) tf.unregisterKernel(name, 'cpu');
    }
  });
});
