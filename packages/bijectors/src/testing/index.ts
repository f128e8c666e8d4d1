import { describe, it } from 'vitest';
import type { Bijector } from '../bijector.js';
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

/**
 * Registers the conformance suite for a bijector with vitest: one test per check.
 *
 * ```ts
 * import { describeBijectorConformance } from '@flows/bijectors/testing';
 * describeBijectorConformance('MySpline', () => new MySpline({ size: 4 }));
 * ```
 */
export function describeBijectorConformance(name: string, factory: () => Bijector, options: ConformanceOptions = {}): void {
  describe(`${name} conformance`, () => {
    for (const check of CONFORMANCE_CHECKS) {
      it(check, () => runConformanceCheck(check, factory, options));
    }
  });
}
