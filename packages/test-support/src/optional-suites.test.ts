import { afterEach, describe, expect, it, vi } from 'vitest';
import { browserSkipReason, nativeSkipReason } from './optional-suites.js';

describe('optional suites', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  it('skip with one line saying why when told to, and run (to fail if they must) under FLOWS_REQUIRE_ALL=1', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    vi.stubEnv('FLOWS_SKIP_BROWSER', '1');
    vi.stubEnv('FLOWS_SKIP_NATIVE', '1');
    expect(browserSkipReason('the browser suite')).toBe('FLOWS_SKIP_BROWSER=1');
    expect(nativeSkipReason('the native suite')).toBe('FLOWS_SKIP_NATIVE=1');
    expect(warn.mock.calls.map(([line]) => line)).toEqual([
      'skipped: the browser suite: FLOWS_SKIP_BROWSER=1',
      'skipped: the native suite: FLOWS_SKIP_NATIVE=1',
    ]);
    vi.stubEnv('FLOWS_SKIP_BROWSER', '');
    vi.stubEnv('FLOWS_SKIP_NATIVE', '');
    vi.stubEnv('FLOWS_REQUIRE_ALL', '1');
    expect(browserSkipReason('the browser suite')).toBeNull();
    expect(nativeSkipReason('the native suite')).toBeNull();
  });
});
