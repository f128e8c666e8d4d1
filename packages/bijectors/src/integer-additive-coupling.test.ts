import * as tf from '@tensorflow/tfjs-core';
import { bijectorFromJSON } from '@flows/core';
import { MLP } from '@flows/networks';
import { describe, expect, it } from 'vitest';
import { IntegerAdditiveCoupling } from './index.js';

/** 8-bit pixel rows, as integer discrete flows see MNIST. */
const pixels = () => tf.tidy(() => tf.floor(tf.mul(tf.randomUniform([64, 6], 0, 1, 'float32', 3), 256)));

const coupling = () =>
  new IntegerAdditiveCoupling({ mask: [1, 1, 1, 0, 0, 0], shift: new MLP({ inputSize: 6, outputSize: 6, hidden: [16], zeroInitLast: false, seed: 2 }) });

describe('IntegerAdditiveCoupling', () => {
  it('maps integers to integers and back exactly, moving only the unmasked coordinates by whole numbers', async () => {
    const layer = coupling();
    const x = pixels();
    const [y, logDet] = layer.forwardAndLogDet(x);
    const [back, inverseLogDet] = layer.inverseAndLogDet(y);
    const [xs, ys, backs] = [await x.data(), await y.data(), await back.data()];
    expect(Array.from(backs)).toEqual(Array.from(xs));
    expect(ys.every(Number.isInteger)).toBe(true);
    // The kept coordinates (mask 1) pass through; the others moved (the network is not zero).
    for (let i = 0; i < 64; i++) for (let j = 0; j < 3; j++) expect(ys[6 * i + j]).toBe(xs[6 * i + j]);
    expect(ys.some((v, k) => k % 6 >= 3 && v !== xs[k])).toBe(true);
    expect(Array.from(await logDet.data()).every((v) => v === 0)).toBe(true);
    expect(Array.from(await inverseLogDet.data()).every((v) => v === 0)).toBe(true);
    tf.dispose([x, y, back, logDet, inverseLogDet]);
    layer.dispose();
  });

  it('trains through the rounding (straight-through gradient) and saves its scale', async () => {
    const layer = coupling();
    const x = pixels();
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(tf.div(layer.inverse(x), 256))) as tf.Scalar, layer.trainableVariables);
    const norms = await Promise.all(Object.values(grads).map(async (g) => (await tf.norm(g).data())[0]));
    expect(norms.some((n) => n > 0)).toBe(true);
    const copy = bijectorFromJSON(JSON.parse(JSON.stringify(layer.toJSON()))) as IntegerAdditiveCoupling;
    expect(copy).toBeInstanceOf(IntegerAdditiveCoupling);
    expect(copy.scale).toBe(256);
    tf.dispose([value, ...Object.values(grads), x]);
    copy.dispose();
    layer.dispose();
    expect(() => new IntegerAdditiveCoupling({ mask: [1, 0], scale: 0 })).toThrow(/scale must be a positive number/);
  });
});
