import { describe, expect, it } from 'vitest';
import { type BitsBackModel, type BitsBackPrior, decodeBitsBack, encodeBitsBack } from './bits-back.js';
import { RansError } from './rans.js';
import { seededUniform } from './test-random.js';

const LATENTS = 3;
const PIXELS = 24;

/**
 * A small latent-variable model in plain arithmetic: p(x_d = 1 | y) = σ(w_d · y + c_d), and a
 * posterior whose mean and (full) scale depend on x, so that every code path is exercised.
 */
function toyModel(prior: BitsBackPrior, options: { seed?: number; fullCovariance?: boolean } = {}): BitsBackModel {
  const random = seededUniform(options.seed ?? 1);
  const weights = Float64Array.from({ length: PIXELS * LATENTS }, () => 4 * (random() - 0.5));
  const biases = Float64Array.from({ length: PIXELS }, () => random() - 0.5);
  const readout = Float64Array.from({ length: LATENTS * PIXELS }, () => random() - 0.5);
  return {
    latentSize: LATENTS,
    observationSize: PIXELS,
    prior,
    posterior(x) {
      const mean = Array.from({ length: LATENTS }, (_, i) => x.reduce((sum, value, d) => sum + readout[i * PIXELS + d] * (value - 0.5), 0) / 3);
      const ones = x.reduce((sum, value) => sum + value, 0);
      const spread = 0.2 + (0.3 * ones) / PIXELS;
      if (!options.fullCovariance) return { mean, scale: Array.from({ length: LATENTS }, (_, i) => spread * (1 + 0.5 * i)) };
      const scaleTril = new Float64Array(LATENTS * LATENTS);
      for (let i = 0; i < LATENTS; i++) for (let j = 0; j <= i; j++) scaleTril[i * LATENTS + j] = i === j ? spread : 0.1 * (mean[j] - 0.2);
      return { mean, scaleTril };
    },
    likelihood(y) {
      return Array.from({ length: PIXELS }, (_, d) => {
        let logit = biases[d];
        for (let i = 0; i < LATENTS; i++) logit += weights[d * LATENTS + i] * y[i];
        return 1 / (1 + Math.exp(-logit));
      });
    },
  };
}

/** Binary vectors drawn from the toy model itself (y from a standard normal), so the posterior pops have bits to read. */
function toyData(model: BitsBackModel, count: number, seed: number): Uint8Array[] {
  const random = seededUniform(seed);
  return Array.from({ length: count }, () => {
    const y = Float64Array.from({ length: LATENTS }, () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random()));
    const p = model.likelihood(y);
    return Uint8Array.from({ length: PIXELS }, (_, d) => (random() < p[d] ? 1 : 0));
  });
}

const MIXTURE: BitsBackPrior = {
  kind: 'mixture',
  weights: [0.5, 0.3, 0.2],
  means: [-1, 0, 1, 0.5, 0.5, 0.5, 2, -2, 0],
  stds: [0.5, 0.5, 0.5, 1, 1, 1, 0.3, 0.6, 0.9],
};

/**
 * A flow prior y = f(u) with f(u) = (u₀, u₁ + s u₀², u₂ + s u₀ u₁): triangular, so f⁻¹ and its
 * Jacobian are exact.
 */
function triangularFlowPrior(strength: number): BitsBackPrior {
  const inverse = (y: ArrayLike<number>) => {
    const u1 = y[1] - strength * y[0] * y[0];
    return [y[0], u1, y[2] - strength * y[0] * u1];
  };
  return {
    kind: 'flow',
    baseBits: 16,
    forward: (u) => [u[0], u[1] + strength * u[0] * u[0], u[2] + strength * u[0] * u[1]],
    inverse(y) {
      const [u0, u1] = inverse(y);
      // ∂u/∂y: rows (1, 0, 0), (−2s y₀, 1, 0), (−s(u₁ + u₀ ∂u₁/∂y₀), −s u₀, 1).
      return { base: inverse(y), jacobian: [1, 0, 0, -2 * strength * y[0], 1, 0, -strength * (u1 - 2 * strength * u0 * y[0]), -strength * u0, 1] };
    },
  };
}

describe('bits-back coding (BB-ANS)', () => {
  const cases: [string, BitsBackPrior, boolean][] = [
    ['standard normal prior, diagonal posterior', { kind: 'standard-normal' }, false],
    ['standard normal prior, full-covariance posterior', { kind: 'standard-normal' }, true],
    ['mixture prior, diagonal posterior', MIXTURE, false],
    ['mixture prior, full-covariance posterior', MIXTURE, true],
    ['flow prior (local bits-back), diagonal posterior', triangularFlowPrior(0.4), false],
    ['flow prior (local bits-back), full-covariance posterior', triangularFlowPrior(0.4), true],
  ];

  it.each(cases)('round-trips every item exactly and returns the initial words (%s)', (_, prior, fullCovariance) => {
    const model = toyModel(prior, { fullCovariance });
    const items = toyData(model, 60, 7);
    const { message, account } = encodeBitsBack(model, items, { latentBits: 10, initialWords: 8 });
    const decoded = decodeBitsBack(model, message, items.length, { latentBits: 10, initialWords: 8 });
    expect(decoded).toEqual(items);
    // The message is the initial words plus what each item pushed, less what it popped (to within the state's slack).
    const accounted = 8 * 32 + account.observation + account.prior - account.posterior - account.auxiliary;
    expect(Math.abs(8 * message.length - accounted)).toBeLessThan(64);
    // Bits back are real: the posterior pops paid back most of what the latents cost under the prior.
    expect(account.posterior + account.auxiliary).toBeGreaterThan(0.5 * account.prior);
  });

  it('costs nothing for the latents when the posterior is the prior (the bits back cancel the prior exactly)', () => {
    const base = toyModel({ kind: 'standard-normal' });
    const model: BitsBackModel = { ...base, posterior: () => ({ mean: [0, 0, 0], scale: [1, 1, 1] }) };
    const items = toyData(model, 200, 3);
    const { account } = encodeBitsBack(model, items, { latentBits: 12 });
    expect(account.prior).toBe(200 * LATENTS * 12);
    expect(Math.abs(account.prior - account.posterior) / (200 * LATENTS)).toBeLessThan(0.01); // bits per latent coordinate
  });

  it('gives a flow prior that is the identity its exact cost: 12 bits per latent on a 12-bit lattice, less than 0.02 lost to local bits-back', () => {
    const model = toyModel(triangularFlowPrior(0));
    const items = toyData(model, 300, 11);
    const { account } = encodeBitsBack(model, items, { latentBits: 12 });
    // The flow's cost of y: u and y | u pushed, r(u | y) popped. Under the identity it is the standard normal's: 1/4096 per bucket.
    const perLatent = (account.prior - account.auxiliary) / (300 * LATENTS);
    expect(Math.abs(perLatent - 12)).toBeLessThan(0.02);
  });

  it('fails loudly, not silently, when decoded with another model', () => {
    const model = toyModel({ kind: 'standard-normal' });
    const items = toyData(model, 30, 5);
    const { message } = encodeBitsBack(model, items, { latentBits: 10 });
    const other = toyModel({ kind: 'standard-normal' }, { seed: 2 });
    expect(() => decodeBitsBack(other, message, items.length, { latentBits: 10 })).toThrow(RansError);
    expect(() => decodeBitsBack(model, message, items.length, { latentBits: 11 })).toThrow(RansError);
  });

  it('names bad input', () => {
    const model = toyModel({ kind: 'standard-normal' });
    expect(() => encodeBitsBack(model, [new Uint8Array(PIXELS - 1)])).toThrow(/item 0 has 23 values/);
    expect(() => encodeBitsBack(model, [new Uint8Array(PIXELS).fill(2)])).toThrow(/binary data/);
    const collapsed: BitsBackModel = { ...model, posterior: () => ({ mean: [0, 0, 0], scale: [1, 0, 1] }) };
    expect(() => encodeBitsBack(collapsed, [new Uint8Array(PIXELS)])).toThrow(/scale 1 is 0/);
    const badPrior: BitsBackModel = { ...model, prior: { kind: 'mixture', weights: [1], means: [0, 0], stds: [1, 1, 1] } };
    expect(() => encodeBitsBack(badPrior, [new Uint8Array(PIXELS)])).toThrow(/needs 3 means/);
  });

  it('draws as many seed words as the first item’s pops need: 128 latents as wide as the prior read 1 536 bits before anything is pushed', () => {
    const m = 128;
    const model: BitsBackModel = {
      latentSize: m,
      observationSize: 4,
      prior: { kind: 'standard-normal' },
      posterior: () => ({ mean: new Float64Array(m), scale: new Float64Array(m).fill(1) }),
      likelihood: () => [0.5, 0.25, 0.5, 0.75],
    };
    const items = [Uint8Array.of(0, 1, 1, 0), Uint8Array.of(1, 1, 0, 0), Uint8Array.of(0, 0, 0, 1)];
    const { message, account, initialWords } = encodeBitsBack(model, items, { latentBits: 12 });
    // 12 bits per latent popped from the seed (a fixed 32 words held 960 besides the state): about 48 words and the state's 2.
    expect(initialWords).toBeGreaterThan(32);
    expect(initialWords).toBeLessThanOrEqual(2 + (12 * m) / 32 + 1);
    expect(decodeBitsBack(model, message, items.length, { latentBits: 12, initialWords })).toEqual(items);
    expect(decodeBitsBack(model, message, items.length, { latentBits: 12 })).toEqual(items);
    expect(() => decodeBitsBack(model, message, items.length, { latentBits: 12, initialWords: initialWords - 1 })).toThrow(
      /did not come back to its initial words/,
    );
    // The message is the seed plus what the items added (to within the state's slack).
    expect(Math.abs(8 * message.length - (32 * initialWords + account.observation + account.prior - account.posterior))).toBeLessThan(64);
  });

  it('checks the count and the initial words (numbers a file may carry) before decoding or allocating anything', () => {
    const model = toyModel({ kind: 'standard-normal' });
    const { message } = encodeBitsBack(model, toyData(model, 3, 1), { latentBits: 10 });
    for (const count of [1.5, -1, Number.NaN, 784_000_000_000_000_000])
      expect(() => decodeBitsBack(model, message, count, { latentBits: 10 })).toThrow(/count of items to decode must be a whole number ≥ 0/);
    for (const initialWords of [1, 2.5, Number.NaN, 2 ** 40])
      expect(() => decodeBitsBack(model, message, 3, { latentBits: 10, initialWords })).toThrow(/initialWords must be a whole number from 2 to 2\^20/);
    expect(() => encodeBitsBack(model, toyData(model, 1, 1), { initialWords: 2 ** 40 })).toThrow(/initialWords/);
  });
});
