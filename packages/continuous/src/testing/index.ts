import type { ContinuousFlow } from '../continuous-flow.js';
import { registerContinuousFlows } from '../register-builtins.js';
import type { VectorField } from '../vector-field.js';
import { CONTINUOUS_CHECKS, type ContinuousConformanceOptions, runContinuousCheck } from './checks.js';

export {
  checkContinuousFlow,
  runContinuousCheck,
  logAbsDeterminant,
  CONTINUOUS_CHECKS,
  type ContinuousConformanceOptions,
  type ContinuousCheckName,
} from './checks.js';

// The serialization check rebuilds flows from their configuration: the built-in classes must be known.
registerContinuousFlows();

/** The two functions of a test framework the suite needs (vitest, jest, mocha and node:test all have them). */
export interface TestApi {
  describe(name: string, body: () => void): unknown;
  it(name: string, body: () => void): unknown;
}

/**
 * Registers the continuous-flow conformance suite, one test per check: shapes, the round trip
 * through the solver, the divergence against finite differences of the field, Hutchinson's mean
 * against the exact trace, the log-density against a numerical Jacobian of the flow map (small
 * dimensions), tolerance control, batch independence, gradients of both objectives, leaks and
 * save/load. The factory returns a {@link ContinuousFlow} or a plugin's {@link VectorField} (wrapped in
 * a flow over a standard-normal base). Pass your framework's `describe` and `it`, or rely on
 * globals; with vitest, import the bound version from `@flows/continuous/testing/vitest`.
 */
export function describeContinuousFlowConformance(
  name: string,
  factory: () => ContinuousFlow | VectorField,
  options: ContinuousConformanceOptions = {},
  api?: TestApi,
): void {
  const { describe, it } = api ?? (globalThis as unknown as Partial<TestApi>);
  if (typeof describe !== 'function' || typeof it !== 'function') {
    throw new Error(
      'describeContinuousFlowConformance: no describe/it given and none global; import it from @flows/continuous/testing/vitest or pass { describe, it }',
    );
  }
  describe(`${name} conformance`, () => {
    for (const check of CONTINUOUS_CHECKS) it(check, () => runContinuousCheck(check, factory, options));
  });
}
