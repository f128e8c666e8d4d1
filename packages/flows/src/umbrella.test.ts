import * as backends from '@flows/backends';
import * as builders from '@flows/builders';
import * as modelFiles from '@flows/model-files';
import * as optimizers from '@flows/optimizers';
import * as training from '@flows/training';
import { describe, expect, it } from 'vitest';
import * as umbrella from './index.js';
// The type-only names of the five, which no runtime check sees: this import fails the type check
// (pnpm lint runs tsc) when the umbrella drops one.
import type { AdamState, LearningRateSchedule, OptimizerState, PeakedSchedule, Saveable, SaveOptions, WeightPrecision } from './index.js';

export type UmbrellaTypes = [AdamState, LearningRateSchedule, OptimizerState, PeakedSchedule, Saveable, SaveOptions, WeightPrecision];

describe('the umbrella', () => {
  it.each([
    ['@flows/backends', backends],
    ['@flows/builders', builders],
    ['@flows/model-files', modelFiles],
    ['@flows/optimizers', optimizers],
    ['@flows/training', training],
  ] as const)('exports every public name of %s, as the same object', (_, part) => {
    const names = Object.keys(part);
    expect(names.length).toBeGreaterThan(0);
    expect(names.filter((name) => !(name in umbrella))).toEqual([]);
    for (const name of names) expect((umbrella as Record<string, unknown>)[name]).toBe((part as Record<string, unknown>)[name]);
  });
});
