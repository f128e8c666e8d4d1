import { describe, expect, it } from 'vitest';
import { seededUniform as generator } from './test-random.js';
import { quantizeProbabilities, quantizedBernoulli, quantizedDiscretizedLogistic, type QuantizedDistribution } from './quantized-distribution.js';
import { RansError, RansStack } from './rans.js';

/** A random distribution over n symbols (some nearly impossible) and symbols drawn from it. */
function randomCase(random: () => number, n: number, count: number, precision: number): { distribution: QuantizedDistribution; symbols: number[] } {
  const weights = Array.from({ length: n }, () => (random() < 0.2 ? random() * 1e-6 : random()));
  const distribution = quantizeProbabilities(weights, precision);
  const symbols = Array.from({ length: count }, () => {
    let u = random() * 2 ** precision;
    let s = 0;
    while (s < n - 1 && u >= distribution.frequencies[s]) u -= distribution.frequencies[s++];
    return s;
  });
  return { distribution, symbols };
}

describe('rANS', () => {
  it('any symbol sequence round-trips exactly, as a stack (last pushed, first popped), at every precision', () => {
    const random = generator(1);
    for (let trial = 0; trial < 60; trial++) {
      const precision = 1 + (trial % 16);
      const n = Math.min(2 ** precision, 1 + Math.floor(random() * 300));
      const { distribution, symbols } = randomCase(random, n, 1 + Math.floor(random() * 3000), precision);
      const stack = new RansStack();
      for (const s of symbols) stack.push(distribution.interval(s), precision);
      const restored = RansStack.fromBytes(stack.toBytes());
      const decoded: number[] = [];
      for (let k = 0; k < symbols.length; k++) decoded.push(restored.pop(distribution));
      expect(decoded.reverse()).toEqual(symbols);
      expect(restored.isEmpty).toBe(true);
    }
  });

  it('mixes distributions per symbol, as a model coding pixel by pixel does', () => {
    const random = generator(2);
    const distributions = Array.from({ length: 50 }, () => randomCase(random, 256, 0, 16).distribution);
    const plan = Array.from({ length: 20_000 }, () => Math.floor(random() * distributions.length));
    const symbols = plan.map(() => Math.floor(random() * 256));
    const stack = new RansStack();
    plan.forEach((d, k) => stack.push(distributions[d].interval(symbols[k]), 16));
    for (let k = plan.length - 1; k >= 0; k--) expect(stack.pop(distributions[plan[k]])).toBe(symbols[k]);
    expect(stack.isEmpty).toBe(true);
  });

  it('the code length is within 0.1 % plus the 64-bit state and one word of the sum of −log₂ of the quantised probabilities', () => {
    const random = generator(3);
    for (const n of [2, 16, 256]) {
      const { distribution, symbols } = randomCase(random, n, 200_000, 16);
      const stack = new RansStack();
      let ideal = 0;
      for (const s of symbols) {
        stack.push(distribution.interval(s), 16);
        ideal += distribution.bits(s);
      }
      expect(stack.lengthInBits).toBeLessThanOrEqual(ideal * 1.001 + 64 + 32);
      expect(stack.lengthInBits).toBeGreaterThanOrEqual(ideal - 32);
    }
  });

  it('is deterministic: the same pushes give the same bytes', () => {
    const encode = () => {
      const random = generator(4);
      const { distribution, symbols } = randomCase(random, 100, 5000, 14);
      const stack = new RansStack();
      for (const s of symbols) stack.push(distribution.interval(s), 14);
      return Buffer.from(stack.toBytes()).toString('hex');
    };
    expect(encode()).toBe(encode());
    // A fixed case, so any change of the format or of the quantisation shows here.
    const stack = new RansStack();
    const coin = quantizedBernoulli(0.25, 16);
    for (const bit of [1, 0, 0, 1, 1, 1, 0, 0, 0, 0, 1]) stack.push(coin.interval(bit), 16);
    const pixel = quantizedDiscretizedLogistic(128.5, Math.log(20));
    for (const v of [0, 17, 128, 255, 200, 3, 90, 91, 92, 129, 130, 250, 1, 2, 3]) stack.push(pixel.interval(v), 16);
    expect(Array.from(stack.toWords())).toEqual([2669543482, 1135409396, 483533581, 2423324522, 2148663412, 1, 2835021945]);
  });

  it('names a truncated or corrupt message, and refuses impossible intervals', () => {
    const coin = quantizedBernoulli(0.5, 8);
    const stack = new RansStack();
    for (let k = 0; k < 200; k++) stack.push(coin.interval(k % 2), 8);
    const words = stack.toWords();
    const truncated = new RansStack(words.subarray(words.length - 2));
    expect(() => {
      for (let k = 0; k < 200; k++) truncated.pop(coin);
    }).toThrow(RansError);
    expect(() => new RansStack([0, 5])).toThrow(/invalid state/);
    expect(() => RansStack.fromBytes(new Uint8Array(7))).toThrow(/whole number of 32-bit words/);
    expect(() => new RansStack().push({ start: 250, frequency: 10 }, 8)).toThrow(/not a non-empty part/);
    expect(() => new RansStack().push({ start: 0, frequency: 1 }, 17)).toThrow(/precision/);
  });

  it('refuses a word that is not a 32-bit word, naming it, instead of coercing it into another message', () => {
    for (const [bad, shown] of [
      [Number.NaN, 'NaN'],
      [2 ** 32, '4294967296'],
      [-1, '-1'],
      [1.5, '1.5'],
      [Number.POSITIVE_INFINITY, 'Infinity'],
    ] as const) {
      expect(() => new RansStack([7, bad, 1, 0])).toThrow(RansError);
      expect(() => new RansStack([7, bad, 1, 0])).toThrow(new RegExp(`word 1 of the message is ${shown}`));
    }
    expect(() => new RansStack([1, 2 ** 32 - 1])).not.toThrow();
  });

  it('names what rANS can see of a corrupt message (words left, a state not back), and otherwise gives other symbols, never the same ones', () => {
    const random = generator(5);
    const distributions = Array.from({ length: 6 }, (_, k) => randomCase(random, 3 + 40 * k, 0, 12).distribution);
    const plan = Array.from({ length: 300 }, () => Math.floor(random() * distributions.length));
    const symbols = plan.map((d) => Math.floor(random() * distributions[d].size));
    const stack = new RansStack();
    plan.forEach((d, k) => stack.push(distributions[d].interval(symbols[k]), 12));
    const words = stack.toWords();
    const decode = (message: ArrayLike<number>) => {
      const reader = new RansStack(message);
      const decoded = plan.map(() => 0);
      for (let k = plan.length - 1; k >= 0; k--) decoded[k] = reader.pop(distributions[plan[k]]);
      reader.assertEmpty();
      return decoded;
    };
    expect(decode(words)).toEqual(symbols);
    // A word too many (two messages joined, or one decoded with fewer symbols than were coded) is named at the end.
    expect(() => decode([12345, ...words])).toThrow(/1 words left after the last symbol/);
    // Every single-bit change: named (RansError), or, where rANS cannot see it (its state can come back
    // onto the true one a few symbols later: another valid message), other symbols, for a digest of the data to catch.
    let caught = 0;
    let changes = 0;
    for (let w = 0; w < words.length; w++)
      for (let bit = 0; bit < 32; bit++) {
        const corrupt = Uint32Array.from(words);
        corrupt[w] ^= 2 ** bit;
        changes++;
        try {
          expect(decode(corrupt)).not.toEqual(symbols);
        } catch (error) {
          expect(error).toBeInstanceOf(RansError);
          caught++;
        }
      }
    expect(caught / changes).toBeGreaterThan(0.95);
    expect(() => new RansStack().assertEmpty()).not.toThrow();
  });

  it('takes words from its refill, in order, when a pop finds none left, and gives them back as pushes undo the pops', () => {
    const model = quantizeProbabilities([1, 2, 3, 4, 5, 6, 7, 8], 12);
    const below = [0x9e3779b9, 0x7f4a7c15, 0x85ebca6b, 0xc2b2ae35, 0x27d4eb2f, 0x165667b1];
    let drawn = 0;
    const stack = new RansStack([0x1234, 0x5678], { refill: () => below[drawn++] });
    const popped = Array.from({ length: 40 }, () => stack.pop(model));
    expect(drawn).toBeGreaterThan(0);
    for (let k = popped.length - 1; k >= 0; k--) stack.push(model.interval(popped[k]), 12);
    // Back to the words the pops read (the first drawn on top) under the starting state.
    expect(Array.from(stack.toWords())).toEqual([...below.slice(0, drawn).reverse(), 0x1234, 0x5678]);
    // Without a refill the same pops run out of words.
    const bare = new RansStack([0x1234, 0x5678]);
    expect(() => Array.from({ length: 40 }, () => bare.pop(model))).toThrow(/ran out of words/);
  });

  it('names a lookup whose interval lies outside 2^precision (a window whose total is not 2^precision)', () => {
    const stack = new RansStack();
    const coin = quantizedBernoulli(0.5, 8);
    for (let k = 0; k < 10; k++) stack.push(coin.interval(k % 2), 8);
    // One symbol of 512 units out of 2^8: it holds every slot, but no push accepts it.
    const oversized = { precision: 8, symbolOf: () => 0, interval: () => ({ start: 0, frequency: 512 }) };
    expect(() => stack.pop(oversized)).toThrow(RansError);
    expect(() => stack.pop(oversized)).toThrow(/does not hold slot \d+ within \[0, 2\^8\)/);
  });
});
