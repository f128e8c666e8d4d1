import * as tf from '@tensorflow/tfjs-core';
import { Random } from '@flows/core';
import { ConditionalMixtureOfDiscretizedLogistics, distributionFromJSON, FactorOutDistribution, TransformedDistribution } from '@flows/distributions';
import { describe, expect, it } from 'vitest';
import { integerDiscreteFlow } from '@flows/builders';
import { fit, tensorData } from '@flows/training';

/** Correlated 4-D integers: pairs that move together, which couplings can learn and a factorised base cannot. */
function correlatedIntegers(n: number, seed: number): tf.Tensor2D {
  const random = new Random(seed);
  const values = new Float32Array(4 * n);
  for (let i = 0; i < n; i++) {
    const a = Math.floor(random.uniform() * 200);
    const b = Math.floor(random.uniform() * 200);
    values.set([a, a + Math.floor(random.uniform() * 3), b, b + Math.floor(random.uniform() * 3)], 4 * i);
  }
  return tf.tensor2d(values, [n, 4]);
}

describe('integerDiscreteFlow', () => {
  it('is a bijection of the integers: samples are integers, and inverse then forward gives the data back exactly', async () => {
    const flow = integerDiscreteFlow({ size: 4, layers: 4, hidden: [16], seed: 1, baseLocation: 100, baseLogScale: Math.log(40) });
    const x = correlatedIntegers(64, 2);
    const back = flow.bijector.forward(flow.bijector.inverse(x));
    expect(Array.from(await back.data())).toEqual(Array.from(await x.data()));
    const samples = flow.sample(50, { random: 3 });
    expect((await samples.data()).every(Number.isInteger)).toBe(true);
    tf.dispose([x, back, samples]);
    flow.dispose();
  });

  it('learns what a factorised base cannot: the NLL of correlated integers falls well below its start', async () => {
    const flow = integerDiscreteFlow({ size: 4, layers: 4, hidden: [32, 32], seed: 4, baseLocation: 100, baseLogScale: Math.log(60) });
    const train = correlatedIntegers(4000, 5);
    const test = correlatedIntegers(1000, 6);
    const nll = async () => {
      const logProb = flow.logProb(test);
      const value = -(await tf.mean(logProb).data())[0];
      logProb.dispose();
      return value;
    };
    const before = await nll();
    await fit(flow, tensorData(train), { epochs: 30, batchSize: 200, learningRate: 3e-3, random: 7, reportEvery: 20 });
    const after = await nll();
    // Two independent uniforms on 200 values and two differences on 3 values: about 2·ln 200 + 2·ln 3 = 12.8 nats is reachable;
    // a factorised base alone pays about 4·ln 200 = 21.2.
    expect(after).toBeLessThan(before - 3);
    expect(after).toBeLessThan(19);
    tf.dispose([train, test]);
    flow.dispose();
  });

  it('with a mixture base, models two-mode integers (dark and bright pixels) far better than with one logistic', async () => {
    // Each coordinate: 0 with probability 0.7, else uniform on 240…255 (entropy about 0.88 + 0.3·ln 16 = 1.44 nats).
    const pixels = (n: number, seed: number) => {
      const random = new Random(seed);
      return tf.tensor2d(
        Float32Array.from({ length: 4 * n }, () => (random.uniform() < 0.7 ? 0 : 240 + Math.floor(random.uniform() * 16))),
        [n, 4],
      );
    };
    const train = pixels(4000, 8);
    const test = pixels(1000, 9);
    const nll = async (components: number) => {
      const flow = integerDiscreteFlow({ size: 4, layers: 2, hidden: [8], seed: 10, baseComponents: components, baseLocation: 70, baseLogScale: Math.log(60) });
      await fit(flow, tensorData(train), { epochs: 15, batchSize: 200, learningRate: 1e-2, random: 11, reportEvery: 50 });
      const logProb = flow.logProb(test);
      const value = -(await tf.mean(logProb).data())[0] / 4;
      logProb.dispose();
      flow.dispose();
      return value;
    };
    const single = await nll(1);
    const mixture = await nll(4);
    // Nats per coordinate after 300 steps (measured 3.3 against 5.8; the entropy is about 1.44).
    expect(mixture).toBeLessThan(3.8);
    expect(mixture).toBeLessThan(single - 1.5);
    tf.dispose([train, test]);
  });

  it('with levels, factors out the odd positions under a prior conditioned on the even ones, which go on to the next level', async () => {
    const flow = integerDiscreteFlow({ size: 4, levels: 2, layers: 2, hidden: [8], priorHidden: [8], baseComponents: 2, seed: 12 });
    expect(flow.base).toBeInstanceOf(FactorOutDistribution);
    const base = flow.base as FactorOutDistribution;
    expect(base.kept).toBeInstanceOf(TransformedDistribution);
    expect(base.kept.eventShape).toEqual([2]);
    expect(base.factored).toBeInstanceOf(ConditionalMixtureOfDiscretizedLogistics);
    const x = tf.tensor2d([
      [10, 11, 200, 3],
      [0, 255, 7, 7],
    ]);
    // Fresh couplings shift by 0, so the density direction only splits: z = [x₀, x₂, x₁, x₃].
    const z = flow.bijector.inverse(x);
    expect(Array.from(await z.data())).toEqual([10, 200, 11, 3, 0, 7, 255, 7]);
    // Random weights everywhere: log P(x) = log P_next(z_even) + log P(z_odd | z_even), the couplings exact on integers.
    tf.tidy(() => flow.trainableVariables.forEach((v, i) => v.assign(tf.add(v, tf.randomNormal(v.shape, 0, 0.3, 'float32', i)))));
    const [expected, got, back] = tf.tidy(() => {
      const latent = flow.bijector.inverse(x);
      const [kept, factored] = base.split(latent);
      return [
        tf.add(base.kept.logProb(kept), base.factored.logProb(factored, kept)).dataSync(),
        flow.logProb(x).dataSync(),
        flow.bijector.forward(latent).dataSync(),
      ];
    });
    expect(got[0]).toBeCloseTo(expected[0], 4);
    expect(got[1]).toBeCloseTo(expected[1], 4);
    expect(Array.from(back)).toEqual(Array.from(x.dataSync()));
    expect((flow.sample(20, { random: 1 }).dataSync() as Float32Array).every(Number.isInteger)).toBe(true);
    // Saved as config plus weights, it is the same model.
    const copy = distributionFromJSON(JSON.parse(JSON.stringify(flow.toJSON())));
    tf.tidy(() => copy.variables.forEach((v, i) => v.assign(flow.variables[i])));
    const again = copy.logProb(x).dataSync();
    expect(again[0]).toBeCloseTo(got[0], 5);
    tf.dispose([x, z]);
    flow.dispose();
    copy.dispose();
  });

  it('with levels, learns correlated integers to near their entropy', async () => {
    const flow = integerDiscreteFlow({ size: 4, levels: 2, layers: 2, hidden: [32], priorHidden: [32], baseComponents: 3, baseRange: [0, 200], seed: 13 });
    const train = correlatedIntegers(4000, 14);
    const test = correlatedIntegers(1000, 15);
    await fit(flow, tensorData(train), { epochs: 30, batchSize: 200, learningRate: 3e-3, random: 16, reportEvery: 50 });
    const logProb = flow.logProb(test);
    const nll = -(await tf.mean(logProb).data())[0];
    // About 2·ln 200 + 2·ln 3 = 12.8 nats is the entropy; a factorised base alone pays about 4·ln 200 = 21.2 (measured 13.75 after 600 steps).
    expect(nll).toBeLessThan(14.5);
    tf.dispose([train, test, logProb]);
    flow.dispose();
  });

  it('checks its options', () => {
    expect(() => integerDiscreteFlow({ size: 4, levels: 3 })).toThrow(/3 levels halve 4 coordinates below 2/);
    expect(() => integerDiscreteFlow({ size: 4, levels: 0 })).toThrow(/levels must be a positive integer/);
    expect(() => integerDiscreteFlow({ size: 4, baseComponents: 0 })).toThrow(/baseComponents must be a positive integer/);
    expect(() => integerDiscreteFlow({ size: 4, baseComponents: 2, baseRange: [5, 5] })).toThrow(/baseRange/);
    expect(() => integerDiscreteFlow({ size: 1 })).toThrow(/size must be an integer ≥ 2/);
    expect(() => integerDiscreteFlow({ size: 4, layers: 0 })).toThrow(/layers must be a positive integer/);
    expect(() => integerDiscreteFlow({ size: 4, scael: 2 } as never)).toThrow(/scael/);
  });
});
