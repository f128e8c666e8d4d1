import type { Distribution } from '../distribution.js';
import { registerBuiltinDistributions } from '../register-builtins.js';
import { DISTRIBUTION_CHECKS, type DistributionConformanceOptions, runDistributionCheck } from './checks.js';

export {
  checkDistribution,
  runDistributionCheck,
  DISTRIBUTION_CHECKS,
  type DistributionConformanceOptions,
  type DistributionCheckName,
  type Support,
} from './checks.js';

// The serialization check rebuilds distributions from their configuration: the built-in classes must be known.
registerBuiltinDistributions();

/** The two functions of a test framework the suite needs (vitest, jest, mocha and node:test all have them). */
export interface TestApi {
  describe(name: string, body: () => void): unknown;
  it(name: string, body: () => void): unknown;
}

/**
 * Registers the conformance suite for a distribution, one test per check: shapes, normalisation
 * over the given support, samples against the density (moments, or the entropy), batch
 * independence, leaks and a JSON round trip. Pass your framework's `describe` and `it`, or rely on
 * globals; with vitest, import the bound version from `@flows/distributions/testing/vitest`.
 */
export function describeDistributionConformance(name: string, factory: () => Distribution, options: DistributionConformanceOptions = {}, api?: TestApi): void {
  const { describe, it } = api ?? (globalThis as unknown as Partial<TestApi>);
  if (typeof describe !== 'function' || typeof it !== 'function') {
    throw new Error(
      'describeDistributionConformance: no describe/it given and none global; import it from @flows/distributions/testing/vitest or pass { describe, it }',
    );
  }
  describe(`${name} conformance`, () => {
    for (const check of DISTRIBUTION_CHECKS) it(check, () => runDistributionCheck(check, factory, options));
  });
}
