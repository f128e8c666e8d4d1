import type { Bijector } from '@flows/core';
import { registerBuiltinBijectors } from '../register-builtins.js';
import { CONFORMANCE_CHECKS, type ConformanceOptions, runConformanceCheck } from './checks.js';

export {
  checkBijector,
  runConformanceCheck,
  perturbVariables,
  logAbsDet,
  CONFORMANCE_CHECKS,
  type ConformanceOptions,
  type ConformanceCheckName,
} from './checks.js';

// The round-trip check rebuilds bijectors from their configuration: the built-in classes must be known.
registerBuiltinBijectors();

/** The two functions of a test framework the suite needs (vitest, jest, mocha and node:test all have them). */
export interface TestApi {
  describe(name: string, body: () => void): unknown;
  it(name: string, body: () => void): unknown;
}

/**
 * Registers the conformance suite for a bijector: one test per check. Pass your framework's
 * `describe` and `it`, or rely on globals; with vitest, import the bound version from
 * `@flows/bijectors/testing/vitest`.
 */
export function describeBijectorConformance(name: string, factory: () => Bijector, options: ConformanceOptions = {}, api?: TestApi): void {
  const { describe, it } = api ?? (globalThis as unknown as Partial<TestApi>);
  if (typeof describe !== 'function' || typeof it !== 'function') {
    throw new Error(
      'describeBijectorConformance: no describe/it given and none global; import it from @flows/bijectors/testing/vitest or pass { describe, it }',
    );
  }
  describe(`${name} conformance`, () => {
    for (const check of CONFORMANCE_CHECKS) {
      it(check, () => runConformanceCheck(check, factory, options));
    }
  });
}
