import * as tf from '@tensorflow/tfjs-core';
import { bijectorFromJSON } from '@flows/core';
import { describe, expect, it } from 'vitest';
import { FactorOut } from './factor-out.js';
import { Reshape } from './reshape.js';

describe('Reshape', () => {
  it('relabels values in row-major order both ways, with log-det 0, and saves both shapes', () => {
    const reshape = new Reshape({ baseShape: [6], dataShape: [1, 2, 3] });
    const z = tf.tensor2d([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], [2, 6]);
    const [y, logDet] = reshape.forwardAndLogDet(z);
    expect(y.shape).toEqual([2, 1, 2, 3]);
    expect(Array.from(y.dataSync())).toEqual(Array.from(z.dataSync()));
    expect(Array.from(logDet.dataSync())).toEqual([0, 0]);
    const [back] = reshape.inverseAndLogDet(y);
    expect(back.shape).toEqual([2, 6]);
    const copy = bijectorFromJSON(reshape.toJSON()) as Reshape;
    expect(copy.eventShape).toEqual([6]);
    expect(copy.outputEventShape).toEqual([1, 2, 3]);
    tf.dispose([z, y, logDet, back]);
  });

  it('as the inner flow of FactorOut, splits an image into its kept channels, flat, then the others, flat', () => {
    const split = new FactorOut({ shape: [1, 2, 3], keepChannels: 1, inner: new Reshape({ baseShape: [2], dataShape: [1, 2, 1] }) });
    const image = tf.tensor4d([1, 2, 3, 4, 5, 6], [1, 1, 2, 3]);
    const z = split.inverse(image);
    expect(Array.from(z.dataSync())).toEqual([1, 4, 2, 3, 5, 6]);
    tf.dispose([image, z]);
  });

  it('refuses shapes of different sizes, naming both', () => {
    expect(() => new Reshape({ baseShape: [5], dataShape: [2, 3] })).toThrow(
      /Reshape: baseShape \[5\] holds 5 values and dataShape \[2, 3\] 6; they must hold the same number/,
    );
    expect(() => new Reshape({ baseShape: [], dataShape: [2] })).toThrow(/baseShape must be a non-empty array/);
    expect(() => new Reshape({ baseShape: [2, 0], dataShape: [2] })).toThrow(/baseShape\[1\]/);
  });
});
