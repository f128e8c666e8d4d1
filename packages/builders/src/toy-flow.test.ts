import * as tf from '@tensorflow/tfjs-core';
import { ActNorm, Chain, ElementwiseAffine } from '@flows/bijectors';
import { StandardNormal, TransformedDistribution } from '@flows/distributions';
import { describe, expect, it } from 'vitest';
import { maf, nice, realNVP, splineFlow } from './presets.js';
import { TOY_FLOWS, toyFlow, toyScheduleOptions } from './toy-flow.js';

const points = () =>
  tf.tensor2d([
    [0.25, -0.5],
    [1.5, 2],
    [-3, 0.1],
  ]);

async function logProb(flow: TransformedDistribution): Promise<number[]> {
  const x = points();
  const values = Array.from(await flow.logProb(x).data());
  x.dispose();
  return values;
}

describe('toyFlow, the toy apps’ model', () => {
  const settings = { layers: 3, hidden: [8], seed: 5, mask: 'half' as const, bins: 5, bound: 2.5, scaleTanh: false };

  it('is the preset of each flow, from the apps’ settings (what does not apply is left out)', () => {
    const same: [string, TransformedDistribution, TransformedDistribution][] = [
      ['realnvp', toyFlow({ ...settings, flow: 'realnvp' }), realNVP({ size: 2, layers: 3, hidden: [8], seed: 5, mask: 'half', scaleTanh: false })],
      ['nice', toyFlow({ ...settings, flow: 'nice' }), nice({ size: 2, layers: 3, hidden: [8], seed: 5, mask: 'half' })],
      ['maf', toyFlow({ ...settings, flow: 'maf' }), maf({ size: 2, layers: 3, hidden: [8], seed: 5 })],
    ];
    for (const [name, toy, preset] of same) {
      expect(JSON.stringify(toy.toJSON()), name).toBe(JSON.stringify(preset.toJSON()));
      toy.variables.forEach((v, i) => expect(Array.from(v.dataSync()), name).toEqual(Array.from(preset.variables[i].dataSync())));
      toy.dispose();
      preset.dispose();
    }
    expect(JSON.stringify(toyFlow().toJSON())).toBe(JSON.stringify(realNVP({ size: 2 }).toJSON()));
  });

  it('spline flows end in an ActNorm, every layer one member of the chain, with the densities of the spline preset before it', async () => {
    for (const flow of ['spline', 'spline-ar'] as const) {
      const toy = toyFlow({ ...settings, flow });
      const members = (toy.bijector as Chain).bijectors.map((b) => b.className);
      expect(members).toEqual([...new Array(3).fill(flow === 'spline' ? 'SplineCoupling' : 'SplineAutoregressive'), 'ActNorm']);
      const spline = splineFlow({ size: 2, layers: 3, hidden: [8], seed: 5, bins: 5, bound: 2.5, kind: flow === 'spline' ? 'coupling' : 'autoregressive' });
      const nested = new TransformedDistribution(new StandardNormal(2), new Chain([spline.bijector, new ActNorm({ size: 2 })]));
      expect(await logProb(toy)).toEqual(await logProb(nested));
      toy.dispose();
      nested.dispose();
    }
  });

  it('with a standardisation, ends in y = μ + σ ⊙ x, whose log-det keeps densities in the data’s units', async () => {
    const standardization = { mean: [10, -2], scale: [4, 0.5] };
    const plain = toyFlow({ ...settings, flow: 'maf' });
    const standardized = toyFlow({ ...settings, flow: 'maf', standardization });
    const last = (standardized.bijector as Chain).bijectors.at(-1);
    expect(last).toBeInstanceOf(ElementwiseAffine);
    const x = points();
    const inUnits = tf.add(tf.mul(x, standardization.scale), standardization.mean);
    const expected = (await plain.logProb(x).data()).map((v) => v - Math.log(4) - Math.log(0.5));
    const got = await standardized.logProb(inUnits).data();
    got.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 4));
    tf.dispose([x, inUnits]);
    plain.dispose();
    standardized.dispose();
  });

  it('names an unknown flow or option, and leaks nothing when refused', () => {
    const before = tf.memory().numTensors;
    expect(() => toyFlow({ flow: 'glow' as never })).toThrow(`toyFlow: unknown flow 'glow'; expected one of ${TOY_FLOWS.join(', ')}`);
    expect(() => toyFlow({ flows: 'maf' } as never)).toThrow(/toyFlow: unknown option 'flows' \(did you mean 'flow'\?\)/);
    expect(() => toyFlow({ flow: 'spline', hidden: [0] })).toThrow(/hidden\[0\]/);
    expect(() => toyFlow({ flow: 'nice', layers: 2, standardization: { mean: [0], scale: [1] } })).toThrow(/shift/);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('trains on a cosine schedule warmed up over a twentieth of the run, at most 200 steps, down to 2 % of the peak', () => {
    expect(toyScheduleOptions(3000)).toEqual({ warmupSteps: 150, floor: 0.02 });
    expect(toyScheduleOptions(100_000)).toEqual({ warmupSteps: 200, floor: 0.02 });
    expect(toyScheduleOptions(19)).toEqual({ warmupSteps: 0, floor: 0.02 });
  });
});
