import { describe, expect, it } from 'vitest';
import { seededUniform as generator } from './test-random.js';
import { affineMap, type MonotoneMap, popBaseSide, popDataSide, pushBaseSide, pushDataSide } from './local-bits-back-step.js';
import { RansStack } from './rans.js';

/** A stack holding `count` random words, as a long message would: bits-back pops need something to read. */
function randomStack(count: number, seed: number): RansStack {
  const random = generator(seed);
  const words = Array.from({ length: count }, () => Math.floor(random() * 2 ** 32));
  words[count - 2] = (words[count - 2] | 1) >>> 0;
  return new RansStack(words);
}

/** One layer of steps, coded as the encoder does (every pop, then every push) and undone as the decoder does. */
function encodeLayer(stack: RansStack, x: Float64Array, maps: MonotoneMap[]): Float64Array {
  const y = Float64Array.from(x, (value, i) => popBaseSide(stack, value, maps[i]));
  x.forEach((value, i) => pushDataSide(stack, value, y[i], maps[i]));
  return y;
}

function decodeLayer(stack: RansStack, y: Float64Array, maps: MonotoneMap[]): Float64Array {
  const x = new Float64Array(y.length);
  for (let i = y.length - 1; i >= 0; i--) x[i] = popDataSide(stack, y[i], maps[i]);
  for (let i = y.length - 1; i >= 0; i--) pushBaseSide(stack, y[i], x[i], maps[i]);
  return x;
}

describe('local bits-back steps', () => {
  it('through affine maps: the decoder gets every value back and the message ends as it began; each step costs −log₂ k to within 0.004 bits', () => {
    const random = generator(21);
    const size = 4000;
    const layers = Array.from({ length: 5 }, () => Array.from({ length: size }, () => affineMap(Math.exp(2 * random() - 1), (random() - 0.5) * 1e4)));
    const stack = randomStack(4096, 7);
    const start = stack.toWords();
    const data = Float64Array.from({ length: size }, () => Math.round((random() - 0.5) * 1e6));
    let state: Float64Array = Float64Array.from(data);
    let logDet = 0;
    const before = stack.lengthInBits;
    for (const maps of layers) {
      for (const [i, map] of maps.entries()) logDet += Math.log2(map.slope(state[i]));
      state = encodeLayer(stack, state, maps);
    }
    const perStep = (stack.lengthInBits - before + logDet) / (size * layers.length);
    // What is left is the kernels' quantisation: every bin of a window keeps one unit of 2^−16 (a window of
    // n bins costs about n·2^−16/ln 2 bits, here 33 to 110 bins on each side).
    expect(Math.abs(perStep)).toBeLessThan(0.004);
    for (let l = layers.length - 1; l >= 0; l--) state = decodeLayer(stack, state, layers[l]);
    expect(Array.from(state)).toEqual(Array.from(data));
    expect(stack.toWords()).toEqual(start);
  });

  it('through a curved map (a logit from a fine pixel lattice): exact, and within 0.01 bits of −log₂ f′ per step', () => {
    const random = generator(22);
    const stretch = 2 ** -24;
    const map: MonotoneMap = {
      forward: (a) => Math.log((1e-6 + stretch * a) / (1 - 1e-6 - stretch * a)) * 2 ** 16,
      inverse: (y) => (1 / (1 + Math.exp(-y / 2 ** 16)) - 1e-6) / stretch,
      slope: (a) => (stretch * 2 ** 16) / ((1e-6 + stretch * a) * (1 - 1e-6 - stretch * a)),
    };
    const maps = Array.from({ length: 5000 }, () => map);
    const data = Float64Array.from(maps, () => Math.floor(random() * 2 ** 24));
    const stack = randomStack(8192, 8);
    const start = stack.toWords();
    const before = stack.lengthInBits;
    const y = encodeLayer(stack, Float64Array.from(data), maps);
    const logDet = data.reduce((sum, a) => sum + Math.log2(map.slope(a)), 0);
    expect(Math.abs((stack.lengthInBits - before + logDet) / data.length)).toBeLessThan(0.01);
    expect(Array.from(decodeLayer(stack, y, maps))).toEqual(Array.from(data));
    expect(stack.toWords()).toEqual(start);
  });

  it('refuses a map that does not increase', () => {
    expect(() => popBaseSide(randomStack(8, 1), 0, affineMap(-1, 0))).toThrow(/positive slope/);
  });
});
