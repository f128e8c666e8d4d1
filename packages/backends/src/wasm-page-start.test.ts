import { afterEach, describe, expect, it, vi } from 'vitest';
import { doubleHardwareConcurrency } from './wasm-page-start.js';

/** A navigator as browsers have it: the core count is a getter of the prototype. */
function stubNavigator(cores: number) {
  const prototype = {
    get hardwareConcurrency() {
      return cores;
    },
  };
  const navigator = Object.create(prototype) as { hardwareConcurrency: number };
  vi.stubGlobal('navigator', navigator);
  return navigator;
}

describe('the threaded build is shown twice the cores while it starts (its cap is half of them)', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('reports twice the cores until restored, then the browser getter again (restoring twice is harmless)', () => {
    const navigator = stubNavigator(2);
    const restore = doubleHardwareConcurrency();
    expect(navigator.hardwareConcurrency).toBe(4);
    restore();
    expect(navigator.hardwareConcurrency).toBe(2);
    expect(Object.getOwnPropertyDescriptor(navigator, 'hardwareConcurrency')).toBeUndefined();
    restore();
    expect(navigator.hardwareConcurrency).toBe(2);
  });

  it('does nothing where there is no navigator or no core count', () => {
    vi.stubGlobal('navigator', undefined);
    expect(() => doubleHardwareConcurrency()()).not.toThrow();
    const navigator = stubNavigator(0);
    doubleHardwareConcurrency();
    expect(navigator.hardwareConcurrency).toBe(0);
  });
});
