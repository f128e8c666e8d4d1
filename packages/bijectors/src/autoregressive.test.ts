import * as tf from '@tensorflow/tfjs-core';
import { assignWeights, packWeights, Random } from '@flows/core';
import { MADE } from '@flows/networks';
import { describe, expect, it } from 'vitest';
import { InverseAutoregressive } from './inverse-autoregressive.js';
import { MaskedAutoregressive } from './masked-autoregressive.js';
import { perturbVariables } from './testing/checks.js';

describe('MADE', () => {
  it('output block i depends only on inputs before i in the order (Jacobian zero pattern)', () => {
    const order = [3, 1, 4, 2];
    const made = new MADE({ inputSize: 4, outputsPerInput: 2, hidden: [10, 10], order, zeroInitLast: false, seed: 7 });
    const x = tf.randomNormal([1, 4], 0, 1, 'float32', 1);
    for (let out = 0; out < 8; out++) {
      const g = tf
        .grad((input: tf.Tensor) => tf.sum(tf.slice(made.apply(input as tf.Tensor2D), [0, out], [1, 1])))(x)
        .dataSync();
      const block = Math.floor(out / 2);
      for (let j = 0; j < 4; j++) {
        if (order[j] >= order[block]) expect(g[j]).toBe(0);
      }
      // The last input in the order can see all others: its block must depend on them.
      if (order[block] === 4) expect(Array.from(g).filter((v) => v !== 0).length).toBe(3);
    }
  });

  it('rejects an order that is not a permutation', () => {
    expect(() => new MADE({ inputSize: 3, order: [1, 1, 2] })).toThrow(/permutation of 1…3/);
  });
});

describe('MAF and IAF', () => {
  const build = () => {
    const made = new MADE({ inputSize: 3, outputsPerInput: 2, hidden: [12], seed: 11 });
    perturbVariables({ trainableVariables: made.trainableVariables } as never, new Random(3), 0.3);
    return made;
  };

  it('on the same weights IAF is the exact inverse of MAF, so they agree as densities', async () => {
    const maf = new MaskedAutoregressive({ size: 3, made: build() });
    const iaf = new InverseAutoregressive({ size: 3, made: new MADE({ inputSize: 3, outputsPerInput: 2, hidden: [12], seed: 99 }) });
    const packed = await packWeights(maf.variables);
    assignWeights(iaf.variables, packed.specs, packed.data);
    const x = tf.randomNormal([5, 3], 0, 1.5, 'float32', 2);
    const [zMaf, logDetMaf] = maf.inverseAndLogDet(x); // MAF density pass: one pass
    const [zIaf, logDetIaf] = iaf.forwardAndLogDet(x); // IAF sampling pass: one pass
    expect(Array.from(zIaf.dataSync())).toEqual(Array.from(zMaf.dataSync()));
    expect(Array.from(logDetIaf.dataSync())).toEqual(Array.from(logDetMaf.dataSync()));
    // Densities: log N(z) + logDet from MAF's one pass equals the value through IAF's D passes.
    const [xBack, logDetBack] = iaf.inverseAndLogDet(zMaf);
    const logNormal = (z: tf.Tensor) => tf.sum(tf.sub(tf.mul(-0.5, tf.square(z)), 0.5 * Math.log(2 * Math.PI)), 1);
    const mafLogProb = tf.add(logNormal(zMaf), logDetMaf).dataSync();
    const iafInverseLogProb = tf.sub(logNormal(zMaf), logDetBack).dataSync();
    for (let i = 0; i < 5; i++) expect(iafInverseLogProb[i]).toBeCloseTo(mafLogProb[i], 4);
    const back = xBack.dataSync();
    x.dataSync().forEach((v, i) => expect(back[i]).toBeCloseTo(v, 4));
  });

  it('the affine IAF step is the course notes formula x_i = z_i exp(α_i(z_<i)) + μ_i(z_<i)', () => {
    const iaf = new InverseAutoregressive({ size: 2, hidden: [4], seed: 1 });
    perturbVariables(iaf, new Random(2), 0.5);
    const z = tf.tensor2d([[0.3, -1.2]]);
    const raw = iaf.made.apply(z).dataSync(); // [m_1, s_1, m_2, s_2]
    const alpha = (r: number) => 5 * Math.tanh(r / 5);
    const x = iaf.forward(z).dataSync();
    expect(x[0]).toBeCloseTo(0.3 * Math.exp(alpha(raw[1])) + raw[0], 5);
    expect(x[1]).toBeCloseTo(-1.2 * Math.exp(alpha(raw[3])) + raw[2], 5);
    // The first coordinate has nothing before it: its parameters are the biases alone.
    const raw2 = iaf.made.apply(tf.tensor2d([[5, -1.2]])).dataSync();
    expect(raw2[0]).toBeCloseTo(raw[0], 6);
    expect(raw2[1]).toBeCloseTo(raw[1], 6);
  });
});

describe('MAF and IAF with a context', () => {
  it('the first coordinate in the order is shifted and scaled by the context, and each coordinate still ignores those after it', () => {
    // Reversed order: the first coordinate in the order is the last one.
    // tanh: through a ReLU a path can vanish at one point.
    const maf = new MaskedAutoregressive({ size: 3, hidden: [8], activation: 'tanh', order: 'reversed', contextSize: 2, seed: 5 });
    perturbVariables(maf, new Random(6), 0.5);
    const x = tf.tensor2d([[0.4, -0.7, 1.1]]);
    // d z / d context through MAF's density pass (z_i = (x_i − μ_i) exp(−α_i)): z_3's row is the first coordinate's.
    const zOf = (coordinate: number) => (c: tf.Tensor) => tf.sum(tf.slice(maf.inverse(x, c), [0, coordinate], [1, 1]));
    const context = tf.tensor2d([[0.3, -0.5]]);
    for (let coordinate = 0; coordinate < 3; coordinate++) {
      const g = Array.from(tf.grad(zOf(coordinate))(context).dataSync());
      expect(
        g.some((v) => v !== 0),
        `coordinate ${coordinate}`,
      ).toBe(true);
    }
    // Autoregressive: z_i depends on x_j for j at or before i in the order only (reversed: j ≥ i).
    for (let coordinate = 0; coordinate < 3; coordinate++) {
      const g = tf
        .grad((input: tf.Tensor) => tf.sum(tf.slice(maf.inverse(input, context), [0, coordinate], [1, 1])))(x)
        .dataSync();
      for (let j = 0; j < 3; j++) expect(g[j] !== 0, `z_${coordinate} on x_${j}`).toBe(j >= coordinate);
    }
    // MAF's D sequential passes (sampling) still invert its one density pass, context and all.
    const z = maf.inverse(x, context);
    const back = maf.forward(z, context).dataSync();
    x.dataSync().forEach((v, i) => expect(back[i]).toBeCloseTo(v, 5));
    maf.dispose();
  });
});
