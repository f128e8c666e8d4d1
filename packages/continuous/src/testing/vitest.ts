import { describe, it } from 'vitest';
import type { ContinuousFlow } from '../continuous-flow.js';
import type { VectorField } from '../vector-field.js';
import type { ContinuousConformanceOptions } from './checks.js';
import { describeContinuousFlowConformance as describeWith } from './index.js';

export * from './index.js';

/**
 * The continuous-flow conformance suite registered with vitest, one test per check:
 *
 * ```ts
 * import { describeContinuousFlowConformance } from '@flows/continuous/testing/vitest';
 * registerVectorField(MyField);
 * describeContinuousFlowConformance('MyField', () => new MyField({ size: 2 }));
 * ```
 */
export function describeContinuousFlowConformance(name: string, factory: () => ContinuousFlow | VectorField, options: ContinuousConformanceOptions = {}): void {
  describeWith(name, factory, options, { describe, it });
}
