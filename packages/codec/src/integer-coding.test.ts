import { describe, expect, it } from 'vitest';
import { seededUniform as generator } from './test-random.js';
import { integerMixtureCdfWindow, integerMixtureWindow, integerWindow, MixtureCdfLookup, popInteger, pushInteger } from './integer-coding.js';
import { RansError, RansStack } from './rans.js';

describe('integers under a discretized logistic', () => {
  it('round-trip exactly, far outliers included, and cost within 1 % of −log₂ P for values drawn from the model', () => {
    const random = generator(9);
    const cases = Array.from({ length: 20_000 }, (_, k) => {
      const mean = (random() - 0.5) * 600;
      const logScale = Math.log(0.5 + 20 * random());
      // A logistic draw rounded to an integer, and now and then a far outlier (beyond the window).
      const u = Math.min(1 - 1e-12, Math.max(1e-12, random()));
      const draw = Math.round(mean + Math.exp(logScale) * Math.log(u / (1 - u))) || 0; // never −0
      const value = k % 500 === 0 ? draw + (random() < 0.5 ? -1 : 1) * Math.floor(1000 + random() * 1e6) : draw;
      return { mean, logScale, value };
    });
    const stack = new RansStack();
    let ideal = 0;
    const windows = cases.map(({ mean, logScale }) => integerWindow(mean, logScale));
    for (const [k, { value }] of cases.entries()) {
      pushInteger(stack, value, windows[k]);
      const { low, distribution } = windows[k];
      const symbol = Math.min(distribution.size - 1, Math.max(0, value - low));
      ideal += distribution.bits(symbol);
    }
    const outlierBits = 40 * 2 * 20; // at most about 2·log₂(10⁶) bits for each of the 40 outliers
    expect(stack.lengthInBits).toBeLessThan(ideal * 1.01 + outlierBits + 96);
    for (let k = cases.length - 1; k >= 0; k--) expect(popInteger(stack, windows[k])).toBe(cases[k].value);
    expect(stack.isEmpty).toBe(true);
  });

  it.each([
    ['tabulated', integerMixtureWindow],
    ['computed on demand', integerMixtureCdfWindow],
  ])('round-trip under a mixture (dark and bright pixels), %s, at the cost of the mixture’s own probabilities to within 1 %%', (_, build) => {
    const random = generator(12);
    const window = build([0.7, 0.25, 0.05], [0, 250, 120], [Math.log(0.6), Math.log(3), Math.log(30)]);
    const values = Array.from({ length: 20_000 }, (_, k) => {
      const pick = random();
      const u = Math.min(1 - 1e-12, Math.max(1e-12, random()));
      const logistic = Math.log(u / (1 - u));
      if (k % 1000 === 0) return -5000 + k; // now and then far outside the window
      return (pick < 0.7 ? Math.round(0.6 * logistic) : pick < 0.95 ? Math.round(250 + 3 * logistic) : Math.round(120 + 30 * logistic)) || 0; // never −0
    });
    // −log₂ of the mixture's own bin masses (before quantisation), for the values inside the window.
    const sigmoid = (t: number) => 1 / (1 + Math.exp(-t));
    const bin = (v: number, m: number, s: number) => sigmoid((v + 0.5 - m) / s) - sigmoid((v - 0.5 - m) / s);
    let ideal = 0;
    const stack = new RansStack();
    for (const value of values) {
      pushInteger(stack, value, window);
      if (value > window.low && value < window.low + window.distribution.size - 1)
        ideal -= Math.log2(0.7 * bin(value, 0, 0.6) + 0.25 * bin(value, 250, 3) + 0.05 * bin(value, 120, 30));
    }
    const outliers = values.filter((v) => v <= window.low || v >= window.low + window.distribution.size - 1).length;
    expect(outliers).toBeGreaterThanOrEqual(20);
    expect(stack.lengthInBits).toBeLessThan(ideal * 1.01 + outliers * 60 + 96);
    for (let k = values.length - 1; k >= 0; k--) expect(popInteger(stack, window)).toBe(values[k]);
    expect(stack.isEmpty).toBe(true);
  });

  it('computed on demand, the intervals tile 0…2^P − 1 with every symbol at least one unit, and each slot finds its symbol', () => {
    const lookup = new MixtureCdfLookup([3, 1], [2.3, 40], [Math.log(0.4), Math.log(9)], -10, 90, 12);
    let next = 0;
    for (let symbol = 0; symbol < lookup.size; symbol++) {
      const { start, frequency } = lookup.interval(symbol);
      expect(start).toBe(next);
      expect(frequency).toBeGreaterThanOrEqual(1);
      next = start + frequency;
    }
    expect(next).toBe(2 ** 12);
    for (let slot = 0; slot < 2 ** 12; slot++) {
      const { start, frequency } = lookup.interval(lookup.symbolOf(slot));
      expect(slot >= start && slot < start + frequency).toBe(true);
    }
    // The mode gets its mass less the n units set aside: P(2) ≈ 0.75·(σ(0.5/0.4) − σ(−0.5/0.4)) + a little of the broad component.
    const sigmoid = (t: number) => 1 / (1 + Math.exp(-t));
    const mode = 0.75 * (sigmoid(0.2 / 0.4) - sigmoid(-0.8 / 0.4)) + 0.25 * (sigmoid((2.5 - 40) / 9) - sigmoid((1.5 - 40) / 9));
    expect(lookup.interval(12).frequency / 2 ** 12).toBeCloseTo(mode * (1 - lookup.size / 2 ** 12), 3);
    expect(() => new MixtureCdfLookup([1], [0], [0], 5, 5)).toThrow(/2 to 2\^\(precision − 1\) symbols/);
  });

  it('finds the same symbol for every slot whatever guess its search starts from (a guess only saves work)', () => {
    const table = new MixtureCdfLookup([3, 1], [2.3, 40], [Math.log(0.4), Math.log(9)], -10, 90, 12);
    const truth = Array.from({ length: 2 ** 12 }, (_, slot) => table.symbolOf(slot));
    const guesses: ((slot: number) => number)[] = [
      () => 0,
      () => 100,
      (slot) => truth[slot],
      (slot) => (slot * 7919) % 101,
      (slot) => truth[slot] + 3,
      () => 50,
    ];
    for (const pick of guesses) {
      class Guessing extends MixtureCdfLookup {
        protected override guess(slot: number): number {
          return pick(slot);
        }
      }
      const lookup = new Guessing([3, 1], [2.3, 40], [Math.log(0.4), Math.log(9)], -10, 90, 12);
      for (let slot = 0; slot < 2 ** 12; slot++) {
        const symbol = lookup.symbolOf(slot);
        if (symbol !== truth[slot]) expect({ slot, symbol }).toEqual({ slot, symbol: truth[slot] });
        // The interval it keeps from the search is the one computed afresh.
        expect(lookup.interval(symbol)).toEqual(table.interval(symbol));
      }
    }
  });

  it('refuses what cannot be coded exactly', () => {
    expect(() => pushInteger(new RansStack(), 1.5, integerWindow(0, 0))).toThrow(/only integers/);
    expect(() => integerWindow(0, 0, { halfWidth: 0 })).toThrow(/halfWidth/);
  });

  it('names an overflow code that never ends (a corrupt message) as a RansError, like the other corruption a pop can see', () => {
    const window = integerWindow(0, 0);
    const stack = new RansStack();
    for (let k = 0; k < 60; k++) stack.push({ start: 0, frequency: 1 }, 1); // 60 zero bits: an Elias gamma code longer than 52
    stack.push(window.distribution.interval(0), window.distribution.precision); // the lower end bin: an excess follows
    const error = (() => {
      try {
        popInteger(stack, window);
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(RansError);
    expect((error as Error).message).toMatch(/longer than 52 bits/);
  });
});
