import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { DiagonalNormal } from '@flows/distributions';
import { beforeAll, describe, expect, it } from 'vitest';
import { importedWindow } from './imported-window.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('the window of an imported model', () => {
  it('holds the central 99 % of the model’s samples and the data’s window, padded, and leaks nothing', () => {
    // A model far from the data: N((10, -20), diag(1, 4)), data in the unit square.
    const model = new DiagonalNormal({ size: 2, mean: [10, -20], logScale: [0, Math.log(2)] });
    const before = tf.memory().numTensors;
    const [[x0, x1], [y0, y1]] = importedWindow(
      model,
      [
        [0, 1],
        [0, 1],
      ],
      0,
    );
    expect(tf.memory().numTensors).toBe(before);
    // About ±2.6 standard deviations around the mean, then the data's corner: x from 0 to ~12.6, y from ~-25 to 1.
    expect(x0).toBeLessThan(0);
    expect(x1).toBeGreaterThan(12);
    expect(x1).toBeLessThan(15);
    expect(y0).toBeLessThan(-24);
    expect(y0).toBeGreaterThan(-30);
    expect(y1).toBeGreaterThan(1);
    model.dispose();
  });

  it('is the data’s window padded where the model sits inside it', () => {
    const model = new DiagonalNormal({ size: 2, mean: [0.5, 0.5], logScale: [Math.log(0.01), Math.log(0.01)] });
    const window = importedWindow(
      model,
      [
        [0, 1],
        [0, 1],
      ],
      3,
    );
    expect(window[0][0]).toBeCloseTo(-0.1, 6);
    expect(window[0][1]).toBeCloseTo(1.1, 6);
    model.dispose();
  });
});
