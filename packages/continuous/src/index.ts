import { registerContinuousFlows } from './register-builtins.js';

export {
  type OdeFunction,
  type RungeKutta4Options,
  type DormandPrinceOptions,
  type SolverOptions,
  type ResolvedSolverOptions,
  type SolveStats,
  type SolveResult,
  SOLVER_METHODS,
  DEFAULT_SOLVER,
  OdeMaxStepsError,
  resolveSolverOptions,
} from './ode-solver.js';
export { rungeKutta4 } from './runge-kutta-4.js';
export { dormandPrince } from './dormand-prince.js';
export { solveOde } from './solve.js';
export { VectorField, timeColumn } from './vector-field.js';
export { registerVectorField, registeredVectorFields, vectorFieldFromJSON, type VectorFieldFactory } from './vector-field-registry.js';
export { timeFeatures, timeFeatureWidth, positionFeatures, positionFeatureTangents, positionFrequencies } from './fourier-features.js';
export { MLPVectorField, type MLPVectorFieldOptions, type MLPVectorFieldConfig } from './mlp-vector-field.js';
export {
  type TraceEstimator,
  type ProbeDistribution,
  drawProbes,
  basisProbes,
  probeQuadraticForms,
  exactDivergence,
  hutchinsonDivergence,
} from './divergence.js';
export {
  ContinuousFlow,
  type ContinuousFlowOptions,
  type ContinuousFlowConfig,
  type FlowSolveOptions,
  type TransformOptions,
  type TraceOptions,
  type ResolvedTraceOptions,
  EXACT_TRACE_LIMIT,
  resolveTraceOptions,
} from './continuous-flow.js';
export { flowMatchingLoss, reflowPairs, sampleTimes, type FlowMatchingOptions, type ProbabilityPath, type TimeSampling } from './flow-matching.js';
export { type CouplingMethod, type CouplingOptions, minibatchCoupling, hungarian, sinkhornPlan, squaredDistances } from './ot-coupling.js';
export { WeightAverage, type WeightAverageOptions, type WeightAverageState } from './weight-average.js';
export { maximumLikelihoodLoss, LIKELIHOOD_SOLVER, type MaximumLikelihoodOptions } from './maximum-likelihood.js';
export { registerContinuousFlows } from './register-builtins.js';

// Saved models name their classes; importing the package makes its own loadable.
registerContinuousFlows();
