import { describe, expect, it } from 'vitest';
import { budgetWarning, DEFAULT_STEPS, trainingBudget } from './training-budget.js';

describe('training budget', () => {
  it('keeps the toys at one epoch of --train-size by default (3000 steps at the defaults) and gives CSV data as many steps', () => {
    expect(trainingBudget({ size: 3_000_000, batchSize: 1000, fresh: true })).toEqual({ steps: 3000, stepsPerEpoch: 3000, from: 'default' });
    expect(trainingBudget({ size: 20_000, batchSize: 1000, fresh: true }).steps).toBe(20);
    // 4 500 training rows: 5 steps an epoch; the default is 3000 steps, not one epoch.
    expect(trainingBudget({ size: 4500, batchSize: 1000, fresh: false })).toEqual({ steps: DEFAULT_STEPS, stepsPerEpoch: 5, from: 'default' });
    // A file of more than 3000 batches: one epoch.
    expect(trainingBudget({ size: 4_000_000, batchSize: 1000, fresh: false }).steps).toBe(4000);
    expect(trainingBudget({ epochs: 100, size: 4500, batchSize: 1000, fresh: false })).toEqual({ steps: 500, stepsPerEpoch: 5, from: 'epochs' });
    expect(trainingBudget({ steps: 7, size: 4500, batchSize: 1000, fresh: false }).steps).toBe(7);
    expect(() => trainingBudget({ steps: 7, epochs: 1, size: 4500, batchSize: 1000, fresh: false })).toThrow(/not both/);
  });

  it('warns about a run far too short to converge, naming why and the flags that fix it', () => {
    expect(budgetWarning(trainingBudget({ epochs: 1, size: 4500, batchSize: 1000, fresh: false }), '4500 training rows', 1000)).toBe(
      'this run takes only 5 optimizer steps (4500 training rows at --batch-size 1000 make 5 steps an epoch): too few for the model to converge (fewer than 100; the default is 3000). Pass --steps 3000 or --epochs 600, or leave out --epochs for the default',
    );
    expect(budgetWarning(trainingBudget({ size: 20_000, batchSize: 1000, fresh: true }), '--train-size 20000', 1000)).toMatch(
      /^this run takes only 20 optimizer steps \(--train-size 20000 at --batch-size 1000 make 20 steps an epoch\).*Pass --steps 3000 or --epochs 150$/,
    );
    expect(budgetWarning(trainingBudget({ steps: 1, size: 4500, batchSize: 1000, fresh: false }), '4500 training rows', 1000)).toMatch(
      /only 1 optimizer step \(--steps 1\)/,
    );
    expect(budgetWarning(trainingBudget({ epochs: 20, size: 4500, batchSize: 1000, fresh: false }), '4500 training rows', 1000)).toBeNull();
    expect(budgetWarning(trainingBudget({ size: 4500, batchSize: 1000, fresh: false }), '4500 training rows', 1000)).toBeNull();
  });
});
