import { describe, expect, it, vi } from 'vitest';
import { assertKnownOptions, closestName, optionNames, renamedOption, UnknownOptionError } from './options.js';

describe('option checks', () => {
  it('names an unknown key, the closest valid one and every valid one', () => {
    const names = optionNames<{ mask: number[]; scale?: unknown; translation?: unknown; seed?: number }>()(['mask', 'scale', 'translation', 'seed']);
    expect(() => assertKnownOptions({ mask: [1, 0], conditioner: 1 }, names, 'MaskedAffineCoupling')).toThrow(
      "MaskedAffineCoupling: unknown option 'conditioner'; valid options: mask, scale, translation, seed",
    );
    expect(() => assertKnownOptions({ mask: [1, 0], sead: 1 }, names, 'X')).toThrow(/unknown option 'sead' \(did you mean 'seed'\?\)/);
    expect(() => assertKnownOptions({ mask: [1, 0], a: 1, b: 2 }, names, 'X')).toThrow(/unknown options 'a', 'b'/);
    expect(() => assertKnownOptions([1, 2], names, 'X')).toThrow(UnknownOptionError);
    expect(() => assertKnownOptions({ mask: [1, 0], seed: 3 }, names, 'X')).not.toThrow();
    expect(() => assertKnownOptions(undefined, names, 'X')).not.toThrow();
  });

  it('closestName: the likely intended name of a typo, none for a word that is no near miss', () => {
    expect(closestName('trian', ['train', 'eval', 'sample', 'interpolate'])).toBe('train');
    expect(closestName('epoch', ['epochs', 'seed', 'lr'])).toBe('epochs');
    expect(closestName('Seed', ['epochs', 'seed'])).toBe('seed');
    expect(closestName('banana', ['train', 'eval'])).toBeUndefined();
    expect(closestName('x', [])).toBeUndefined();
  });

  it('reads a renamed option under either name, warning once for the old one', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    expect(renamedOption<number>({ size: 3 }, 'dims', 'size', 'build')).toBe(3);
    expect(renamedOption<number>({ dims: 4 }, 'dims', 'size', 'build')).toBe(4);
    expect(renamedOption<number>({ dims: 5 }, 'dims', 'size', 'build')).toBe(5);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0][0]).toMatch(/'dims' is deprecated .* use 'size'/);
    expect(() => renamedOption({ dims: 4, size: 3 }, 'dims', 'size', 'build')).toThrow(/give only 'size'/);
    warn.mockRestore();
  });
});
