import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { WeightAverage } from './weight-average.js';

describe('WeightAverage', () => {
  it('is the exponential moving average w̄ ← β w̄ + (1 − β) w of the values after each update', () => {
    const a = tf.variable(tf.tensor1d([1, 2]));
    const b = tf.variable(tf.scalar(-1));
    const average = new WeightAverage([a, b], { decay: 0.9, warmup: false });
    const before = tf.memory().numTensors;
    let expectedA = [1, 2];
    let expectedB = -1;
    for (let step = 1; step <= 5; step++) {
      tf.tidy(() => {
        a.assign(tf.tensor1d([step, 2 * step * step]));
        b.assign(tf.scalar(10 * step));
      });
      average.update();
      expectedA = expectedA.map((v, i) => 0.9 * v + 0.1 * [step, 2 * step * step][i]);
      expectedB = 0.9 * expectedB + 0.1 * 10 * step;
    }
    expect(tf.memory().numTensors).toBe(before); // updates leak nothing
    expect(average.updates).toBe(5);
    average.swap();
    expect(Array.from(a.dataSync())[0]).toBeCloseTo(expectedA[0], 5);
    expect(Array.from(a.dataSync())[1]).toBeCloseTo(expectedA[1], 5);
    expect(b.dataSync()[0]).toBeCloseTo(expectedB, 5);
    average.swap(); // back to the live weights
    expect(Array.from(a.dataSync())).toEqual([5, 50]);
    average.copyToVariables();
    expect(b.dataSync()[0]).toBeCloseTo(expectedB, 5);
    average.dispose();
    tf.dispose([a, b]);
  });

  it('ramps its decay up from 0.1 while warming up, so that the start does not dominate a short run', () => {
    const a = tf.variable(tf.scalar(0));
    const average = new WeightAverage([a], { decay: 0.999 });
    expect(average.currentDecay()).toBeCloseTo(0.1, 12);
    a.assign(tf.scalar(1));
    average.update(); // 0.1·0 + 0.9·1
    average.copyToVariables();
    expect(a.dataSync()[0]).toBeCloseTo(0.9, 6);
    expect(average.currentDecay()).toBeCloseTo(2 / 11, 12);
    average.dispose();
    const late = new WeightAverage([a], { decay: 0.5 });
    for (let i = 0; i < 9; i++) late.update();
    expect(late.currentDecay()).toBe(0.5); // (1 + 9) / (10 + 9) > 0.5: the decay asked for
    late.dispose();
    a.dispose();
  });

  it('refuses a decay outside (0, 1)', () => {
    const a = tf.variable(tf.scalar(0));
    expect(() => new WeightAverage([a], { decay: 1 })).toThrow(/decay must be in \(0, 1\)/);
    a.dispose();
  });

  it('resumes from readState/setState exactly as the uninterrupted average, the warm-up count included, and refuses another shape', async () => {
    const values = (step: number) => [Math.sin(step), step * 0.5];
    const a = tf.variable(tf.tensor1d([0, 0]));
    const whole = new WeightAverage([a], { decay: 0.99 });
    const first = new WeightAverage([a], { decay: 0.99 });
    for (let step = 1; step <= 6; step++) {
      a.assign(tf.tensor1d(values(step)));
      whole.update();
      if (step <= 3) first.update();
    }
    const state = await first.readState();
    expect(state.updates).toBe(3);
    // A new average (of whatever the variables hold now) continues from the saved one.
    const resumed = new WeightAverage([a], { decay: 0.99 });
    const before = tf.memory().numTensors;
    resumed.setState(state);
    expect(tf.memory().numTensors).toBe(before);
    for (let step = 4; step <= 6; step++) {
      a.assign(tf.tensor1d(values(step)));
      resumed.update();
    }
    expect(resumed.updates).toBe(6);
    expect(Array.from((await resumed.readState()).averages[0])).toEqual(Array.from((await whole.readState()).averages[0]));
    expect(() => resumed.setState({ updates: 1, averages: [[1, 2, 3]] })).toThrow(/average 0 has 3 values, its variable has 2/);
    expect(() => resumed.setState({ updates: 1, averages: [] })).toThrow(/holds 0 averages, there are 1 variables/);
    expect(() => resumed.setState({ updates: -1, averages: [[1, 2]] })).toThrow(/updates must be a non-negative integer/);
    [whole, first, resumed].forEach((w) => w.dispose());
    a.dispose();
  });
});
