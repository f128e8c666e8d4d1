import { describe, expect, it } from 'vitest';
import { WASM_THREADS_WORK_THRESHOLD } from '@flows/backends';
import { defineOptions, denseMultiplyAdds, describeOptions, parseOptions, UsageError } from './args.js';

const specs = {
  epochs: { kind: 'nonNegativeInteger' as const, default: 1, description: 'epochs' },
  hidden: { kind: 'integerList' as const, default: [64, 64], description: 'widths' },
  mask: { kind: 'string' as const, choices: ['half', 'random'], default: 'half', description: 'mask' },
  out: { kind: 'string' as const, required: true, description: 'out' },
  offset: { kind: 'number' as const, description: 'offset' },
};

describe('parseOptions', () => {
  it('parses, defaults, and rejects with messages naming the option', () => {
    expect(parseOptions(['--out', 'x', '--hidden', '8,16', '--offset', '-2.5'], specs)).toMatchObject({
      out: 'x',
      epochs: 1,
      hidden: [8, 16],
      mask: 'half',
      offset: -2.5,
    });
    expect(() => parseOptions(['--out', 'x', '--epochs', '-1'], specs)).toThrow(/--epochs must be a non-negative integer, got '-1'/);
    expect(() => parseOptions(['--out', 'x', '--mask', 'odd'], specs)).toThrow(/--mask must be one of half, random; got 'odd'/);
    expect(() => parseOptions([], specs)).toThrow(UsageError);
    expect(() => parseOptions(['--out', 'x', '--nope'], specs)).toThrow(/Unknown option '--nope'/);
    expect(parseOptions(['--help'], specs).help).toBe(true);
    expect(describeOptions(specs)).toMatch(/--hidden <n,n,...>\s+widths \(default 64,64\)/);
  });
});

describe('values and names the parser refuses', () => {
  const app = defineOptions({
    epochs: { kind: 'positiveInteger', default: 3, description: 'epochs' },
    seed: { kind: 'nonNegativeInteger', default: 0, description: 'seed' },
    lr: { kind: 'positiveNumber', default: 1e-3, description: 'rate' },
    offset: { kind: 'number', description: 'offset' },
    hidden: { kind: 'integerList', default: [64], description: 'widths' },
    out: { kind: 'string', description: 'run directory' },
    mask: { kind: 'string', choices: ['half', 'random'], default: 'half', description: 'mask' },
    quiet: { kind: 'boolean', description: 'quiet' },
  });

  it("an empty value is a forgotten value naming the flag and what it needs, not 0: --epochs '' and --seed=", () => {
    expect(() => parseOptions(['--epochs', ''], app)).toThrow('--epochs needs a value: a positive integer');
    expect(() => parseOptions(['--seed='], app)).toThrow('--seed needs a value: a non-negative integer');
    expect(() => parseOptions(['--seed', ' '], app)).toThrow('--seed needs a value: a non-negative integer');
    expect(() => parseOptions(['--offset', ''], app)).toThrow('--offset needs a value: a number');
    expect(() => parseOptions(['--out', ''], app)).toThrow('--out needs a value: run directory');
    expect(() => parseOptions(['--mask', ''], app)).toThrow('--mask needs a value: one of half, random');
    // A flag at the end, or followed by another flag, has no value either.
    expect(() => parseOptions(['--epochs'], app)).toThrow('--epochs needs a value: a positive integer');
    expect(() => parseOptions(['--epochs', '--quiet'], app)).toThrow(/--epochs needs a value: a positive integer \(the next word starts with a dash/);
  });

  it('positive integers refuse 0, and numbers are decimal only (0x10, 0b101, 0o7 are not numbers)', () => {
    expect(() => parseOptions(['--epochs', '0'], app)).toThrow("--epochs must be a positive integer, got '0'");
    expect(parseOptions(['--seed', '0'], app).seed).toBe(0);
    expect(() => parseOptions(['--epochs', '0x10'], app)).toThrow("--epochs must be a positive integer, got '0x10'");
    expect(() => parseOptions(['--seed', '0b101'], app)).toThrow(/--seed must be a non-negative integer/);
    expect(() => parseOptions(['--lr', '0o7'], app)).toThrow(/--lr must be a positive number/);
    expect(() => parseOptions(['--hidden', '0x40,64'], app)).toThrow(/--hidden must be a comma-separated list/);
    expect(parseOptions(['--epochs', '1e2', '--lr', '.5', '--offset', '-2.5e-1', '--hidden', '8, 16'], app)).toMatchObject({
      epochs: 100,
      lr: 0.5,
      offset: -0.25,
      hidden: [8, 16],
    });
  });

  it('an unknown flag is named with the nearest known one', () => {
    expect(() => parseOptions(['--epoch', '3'], app)).toThrow("Unknown option '--epoch'; did you mean --epochs?");
    expect(() => parseOptions(['--maks=half'], app)).toThrow("Unknown option '--maks'; did you mean --mask?");
    expect(() => parseOptions(['--hepl'], app)).toThrow(/did you mean --help\?/);
    // No near name: no guess.
    expect(() => parseOptions(['--banana'], app)).toThrow(/^Unknown option '--banana'$/);
  });
});

describe('the work of a training step', () => {
  // The thread count it decides is @flows/backends' (resolveBackendSettings' workPerStep, tested there).
  it('counts the multiply-adds of dense layers: the toys below the threads threshold, MNIST above it', () => {
    // The toy Real NVP: 8 couplings of two 2-64-64-2 networks, batch 1000; MNIST's: 6 of 784-256-256-784, batch 256.
    const toy = 2 * 8 * denseMultiplyAdds([2, 64, 64, 2]) * 1000;
    const mnist = 2 * 6 * denseMultiplyAdds([784, 256, 256, 784]) * 256;
    expect(denseMultiplyAdds([2, 64, 64, 2])).toBe(2 * 64 + 64 * 64 + 64 * 2);
    expect(toy).toBeLessThan(WASM_THREADS_WORK_THRESHOLD);
    expect(mnist).toBeGreaterThan(WASM_THREADS_WORK_THRESHOLD);
  });
});

describe('typed options', () => {
  const specs = defineOptions({
    data: { kind: 'string', description: 'toy', choices: ['two-gaussians', 'chequerboard'], default: 'two-gaussians' },
    layers: { kind: 'positiveInteger', description: 'layers', default: 8 },
    lr: { kind: 'positiveNumber', description: 'rate' },
    hidden: { kind: 'integerList', description: 'widths', default: [64, 64] },
    resume: { kind: 'boolean', description: 'resume' },
  });

  it('parses to values typed by their kinds, without casts', () => {
    const parsed = parseOptions(['--data', 'chequerboard', '--lr', '0.01', '--resume'], specs);
    // These assignments are the type test: each compiles only with the declared value type.
    const data: 'two-gaussians' | 'chequerboard' = parsed.data;
    const layers: number = parsed.layers;
    const lr: number | undefined = parsed.lr;
    const hidden: number[] = parsed.hidden;
    const resume: boolean | undefined = parsed.resume;
    expect({ data, layers, lr, hidden, resume }).toEqual({ data: 'chequerboard', layers: 8, lr: 0.01, hidden: [64, 64], resume: true });
    // A default list is copied, so a caller that changes it does not change the next parse's default.
    hidden.push(1);
    expect(parseOptions([], specs).hidden).toEqual([64, 64]);
  });
});
