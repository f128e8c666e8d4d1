import { describe, expect, it } from 'vitest';
import { appWasmThreads, defineOptions, denseMultiplyAdds, describeOptions, parseOptions, UsageError, WASM_THREADS_WORK_THRESHOLD } from './args.js';

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

describe('the wasm thread default', () => {
  it('is one thread for small steps (the toys) and every core for large ones (MNIST), unless asked', async () => {
    const { cpus } = await import('node:os');
    const saved = process.env.FLOWS_WASM_THREADS;
    delete process.env.FLOWS_WASM_THREADS;
    try {
      // The toy Real NVP: 8 couplings of two 2-64-64-2 networks, batch 1000; MNIST's: 6 of 784-256-256-784, batch 256.
      const toy = 2 * 8 * denseMultiplyAdds([2, 64, 64, 2]) * 1000;
      const mnist = 2 * 6 * denseMultiplyAdds([784, 256, 256, 784]) * 256;
      expect(denseMultiplyAdds([2, 64, 64, 2])).toBe(2 * 64 + 64 * 64 + 64 * 2);
      expect(toy).toBeLessThan(WASM_THREADS_WORK_THRESHOLD);
      expect(mnist).toBeGreaterThan(WASM_THREADS_WORK_THRESHOLD);
      expect(await appWasmThreads(undefined, toy)).toBe(1);
      expect(await appWasmThreads(undefined, mnist)).toBe(cpus().length);
      expect(await appWasmThreads(3, toy)).toBe(3);
      process.env.FLOWS_WASM_THREADS = '2';
      expect(await appWasmThreads(undefined, toy)).toBeUndefined();
    } finally {
      if (saved === undefined) delete process.env.FLOWS_WASM_THREADS;
      else process.env.FLOWS_WASM_THREADS = saved;
    }
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
