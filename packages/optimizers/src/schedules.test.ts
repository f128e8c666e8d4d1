import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Adam } from './adam.js';
import { type LearningRateSchedule, schedules, withPeak } from './schedules.js';

describe('learning-rate schedules', () => {
  it('carry their peak as a typed property, read without a cast', () => {
    // Typed: `peak` is a number on what `schedules` make (pnpm typecheck fails otherwise).
    const peaks: number[] = [schedules.constant(3e-3).peak, schedules.cosine(2e-3, 100, { warmupSteps: 10 }).peak, schedules.step(1e-2, 5).peak];
    expect(peaks).toEqual([3e-3, 2e-3, 1e-2]);
    const cosine = schedules.cosine(2e-3, 100, { warmupSteps: 10 });
    expect(cosine(1)).toBeCloseTo(2e-4);
    expect(Math.max(...Array.from({ length: 100 }, (_, i) => cosine(i + 1)))).toBeCloseTo(cosine.peak);
  });

  it('withPeak makes a new schedule and leaves the function it was given alone', () => {
    const rate = (step: number) => 1 / step;
    const schedule = withPeak(1, rate);
    expect(schedule.peak).toBe(1);
    expect(schedule(4)).toBe(0.25);
    expect('peak' in rate).toBe(false);
  });

  it("Adam's peak learning rate: the schedule's peak, a constant's value, or for a plain function the current rate", () => {
    const v = tf.variable(tf.zeros([2]));
    const warmup = schedules.cosine(4e-3, 100, { warmupSteps: 50 });
    expect(new Adam([v], { learningRate: warmup }).peakLearningRate).toBe(4e-3);
    expect(new Adam([v], { learningRate: 5e-4 }).peakLearningRate).toBe(5e-4);
    const plain: LearningRateSchedule = (step) => 1e-3 / step;
    const adam = new Adam([v], { learningRate: plain });
    expect(adam.peakLearningRate).toBe(1e-3);
    adam.applyGradients({ [v.name]: tf.ones([2]) });
    expect(adam.peakLearningRate).toBe(5e-4);
    // A function of the user's own may state its peak.
    const own: LearningRateSchedule = Object.assign((step: number) => Math.min(step, 10) * 1e-4, { peak: 1e-3 });
    expect(new Adam([v], { learningRate: own }).peakLearningRate).toBe(1e-3);
    v.dispose();
  });
});
