import { describe, it } from 'vitest';
import type { Distribution } from '../distribution.js';
import type { DistributionConformanceOptions } from './checks.js';
import { describeDistributionConformance as describeWith } from './index.js';

export * from './index.js';

/**
 * The distribution conformance suite registered with vitest, one test per check:
 *
 * ```ts
 * import { describeDistributionConformance } from '@flows/distributions/testing/vitest';
 * describeDistributionConformance('MyPrior', () => new MyPrior({ size: 2 }), { support: { kind: 'grid', low: -8, high: 8 } });
 * ```
 */
export function describeDistributionConformance(name: string, factory: () => Distribution, options: DistributionConformanceOptions = {}): void {
  describeWith(name, factory, options, { describe, it });
}
