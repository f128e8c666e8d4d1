import * as tf from '@tensorflow/tfjs-core';
import { Random } from '@flows/core';
import { DiagonalNormal } from '@flows/distributions';
import { describe, expect, it } from 'vitest';
import { samplerData } from './data.js';
import { bitsPerDimension, klFromTarget } from './metrics.js';

describe('metrics', () => {
  it('bits per dimension: the exercise formula on a known density', () => {
    // Uniform on [0, 256/255)^784: NLL = 784 log(256/255), so bpd = log2(256) = 8 with bin 1/255.
    expect(bitsPerDimension(784 * Math.log(256 / 255), 784, 1 / 255)).toBeCloseTo(8, 10);
    // The same data seen as (v + U)/256 in [0, 1): NLL 0, bin 1/256: 8 bits.
    expect(bitsPerDimension(0, 784, 1 / 256)).toBeCloseTo(8, 10);
    expect(() => bitsPerDimension(1, 1, 0)).toThrow(/bin width/);
  });

  it('KL from a target is 0 for the target itself and positive for another model', () => {
    const target = new DiagonalNormal({ eventShape: 2, mean: [1, 2], logScale: [0, -1] });
    const self = klFromTarget(target, target, { samples: 5000 });
    expect(self.kl).toBeCloseTo(0, 6);
    const other = new DiagonalNormal({ eventShape: 2, mean: [1, 2], logScale: [0, 0] });
    const kl = klFromTarget(other, target, { samples: 100_000 });
    // Closed form for coordinate 2: log(1/e^-1) + (e^-2)/2 - 1/2 = 1 + 0.0677 - 0.5.
    expect(Math.abs(kl.kl - (0.5 + Math.exp(-2) / 2))).toBeLessThan(4 * kl.standardError + 1e-3);
  });

  it('samplerData draws fresh batches', () => {
    const data = samplerData((n, random) => tf.tensor2d(random.fillNormal(new Float32Array(2 * n)), [n, 2]), 250);
    const sizes = [...data.batches(100, new Random(1))].map((b) => {
      const n = b.x.shape[0];
      b.x.dispose();
      return n;
    });
    expect(sizes).toEqual([100, 100, 50]);
  });
});
