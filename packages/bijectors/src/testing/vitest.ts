import type { Bijector } from '@flows/core';
import { describe, it } from 'vitest';
import type { ConformanceOptions } from './checks.js';
import { describeBijectorConformance as describeWith } from './index.js';

export * from './index.js';

/**
 * The conformance suite registered with vitest, one test per check:
 *
 * ```ts
 * import { describeBijectorConformance } from '@flows/bijectors/testing/vitest';
 * describeBijectorConformance('MySpline', () => new MySpline({ size: 4 }));
 * ```
 */
export function describeBijectorConformance(name: string, factory: () => Bijector, options: ConformanceOptions = {}): void {
  describeWith(name, factory, options, { describe, it });
}
