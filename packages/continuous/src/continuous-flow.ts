import * as tf from '@tensorflow/tfjs-core';
import { assertKnownOptions, ConfigError, optionNames, Random, type Serialized, validateContext, validateEvents } from '@flows/core';
import { Distribution, distributionFromJSON, type SampleOptions, StandardNormal } from '@flows/distributions';
import { drawProbes, exactDivergence, hutchinsonDivergence, type ProbeDistribution, type TraceEstimator } from './divergence.js';
import { DEFAULT_SOLVER, type OdeFunction, type ResolvedSolverOptions, resolveSolverOptions, type SolverOptions, type SolveStats } from './ode-solver.js';
import { solveOde } from './solve.js';
import type { VectorField } from './vector-field.js';
import { vectorFieldFromJSON } from './vector-field-registry.js';

/** How the log-density's trace is computed (see {@link exactDivergence} and {@link hutchinsonDivergence}). */
export interface TraceOptions {
  /** `exact` (D products per evaluation) or `hutchinson` (one per probe; unbiased). Default: exact up to 16 dimensions. */
  estimator?: TraceEstimator;
  /** Hutchinson's probe distribution (default `rademacher`, the lower variance). */
  probe?: ProbeDistribution;
  /** Hutchinson probes per point, averaged (default 1). */
  probes?: number;
  /** Seed of the probes' generator (default 0). */
  seed?: number;
}

/** {@link TraceOptions} with every default filled in, as a flow saves them. */
export type ResolvedTraceOptions = Required<TraceOptions>;

/** Largest event size for which the default trace is exact. */
export const EXACT_TRACE_LIMIT = 16;

const TRACE_KEYS = optionNames<TraceOptions>()(['estimator', 'probe', 'probes', 'seed']);

/** Checks trace options (from a caller or a saved file) and fills in the defaults for an event of `eventSize`. */
export function resolveTraceOptions(options: unknown, eventSize: number, who = 'trace'): ResolvedTraceOptions {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new ConfigError(`${who}: trace options must be an object such as { estimator: 'hutchinson', probe: 'rademacher' }, got ${JSON.stringify(options)}`);
  }
  assertKnownOptions(options as TraceOptions, TRACE_KEYS, who);
  const given = options as TraceOptions;
  const estimator = given.estimator ?? (eventSize <= EXACT_TRACE_LIMIT ? 'exact' : 'hutchinson');
  if (estimator !== 'exact' && estimator !== 'hutchinson')
    throw new ConfigError(`${who}: estimator must be 'exact' or 'hutchinson', got ${JSON.stringify(estimator)}`);
  const probe = given.probe ?? 'rademacher';
  if (probe !== 'gaussian' && probe !== 'rademacher') throw new ConfigError(`${who}: probe must be 'gaussian' or 'rademacher', got ${JSON.stringify(probe)}`);
  const probes = given.probes ?? 1;
  if (!Number.isInteger(probes) || probes < 1 || probes > 1024)
    throw new ConfigError(`${who}: probes must be an integer from 1 to 1024, got ${JSON.stringify(probes)}`);
  const seed = given.seed ?? 0;
  if (typeof seed !== 'number' || !Number.isFinite(seed)) throw new ConfigError(`${who}: seed must be a finite number, got ${JSON.stringify(seed)}`);
  return { estimator, probe, probes, seed };
}

/** Options of {@link ContinuousFlow}. */
export interface ContinuousFlowOptions {
  /** The vector field `v(x, t[, c])`. */
  field: VectorField;
  /** The distribution at `t = 0` (default: the standard normal over the field's event shape). */
  base?: Distribution;
  /** The solver for sampling and densities (default: Dormand-Prince 5(4), rtol = atol = 1e-6, see {@link DEFAULT_SOLVER}). */
  solver?: SolverOptions;
  /** The trace estimator of the log-density (default: exact up to 16 dimensions, else Hutchinson with one Rademacher probe). */
  trace?: TraceOptions;
}

/** What a {@link ContinuousFlow} saves: its field and base as `{ className, config }`, its solver and trace settings. */
export type ContinuousFlowConfig = {
  field: Serialized;
  base: Serialized;
  solver: ResolvedSolverOptions;
  trace: ResolvedTraceOptions;
};

/** Options of one solve through the flow, overriding the flow's own settings for that call. */
export interface FlowSolveOptions {
  /** Context rows for a conditional flow. */
  context?: tf.Tensor;
  /** The solver for this call. */
  solver?: SolverOptions;
  /** The trace estimator for this call (density solves only). */
  trace?: TraceOptions;
  /** Hutchinson's probes' generator for this call (default: the flow's own, which advances). */
  random?: Random | number;
}

/** Options of {@link ContinuousFlow.transform}. */
export interface TransformOptions {
  /** Start time (default 0, the base side). */
  from?: number;
  /** End time (default 1, the data side). */
  to?: number;
  context?: tf.Tensor;
  solver?: SolverOptions;
}

const FLOW_OPTION_NAMES = optionNames<ContinuousFlowOptions>()(['field', 'base', 'solver', 'trace']);
const SOLVE_OPTION_NAMES = optionNames<FlowSolveOptions>()(['context', 'solver', 'trace', 'random']);
const TRANSFORM_OPTION_NAMES = optionNames<TransformOptions>()(['from', 'to', 'context', 'solver']);

/**
 * A continuous normalizing flow (Chen et al., "Neural Ordinary Differential Equations", NeurIPS
 * 2018; Grathwohl et al., "FFJORD", ICLR 2019): the distribution of `x = x(1)` where
 * `dx/dt = v(x, t[, c])` and `x(0) = z ~ base`. Its log-density follows the instantaneous change of
 * variables, integrated jointly with the state:
 *
 * `d log p(x(t))/dt = −tr(∂v/∂x (x(t), t))`, so `log p₁(x) = log p₀(z) − ∫₀¹ tr(∂v/∂x) dt`.
 *
 * - `logProb(x)`: solves `[x, a]` from `t = 1` back to `t = 0` with `da/dt = tr(∂v/∂x)`, `a(1) = 0`,
 *   giving `z = x(0)` and `log p(x) = log p₀(z) + a(0)`.
 * - `sample(n)`: solves `z ~ base` (at the given temperature) forward from 0 to 1.
 * - `sampleAndLogProb(n)`: both in one forward solve, `log p(x) = log p₀(z) − a(1)`.
 *
 * The trace is exact (D products per function evaluation, for small D) or Hutchinson's unbiased
 * estimate with probes held fixed over each solve (one product per probe). Forward means
 * base → data, as for the bijectors. Saved and loaded through the distribution registry, like any
 * other distribution (its field through {@link vectorFieldFromJSON}).
 */
export class ContinuousFlow extends Distribution<ContinuousFlowConfig> {
  static override readonly className: string = 'ContinuousFlow';
  readonly field: VectorField;
  readonly base: Distribution;
  readonly solver: ResolvedSolverOptions;
  readonly trace: ResolvedTraceOptions;
  readonly eventShape: readonly number[];
  private readonly traceRandom: Random;
  private stats: SolveStats | null = null;

  constructor(options: ContinuousFlowOptions) {
    super();
    assertKnownOptions(options, FLOW_OPTION_NAMES, 'ContinuousFlow');
    const { field } = options;
    if (!field || typeof field.apply !== 'function' || !Array.isArray(field.eventShape)) {
      throw new ConfigError('ContinuousFlow: field must be a VectorField (for example new MLPVectorField({ size: 2 }))');
    }
    this.field = field;
    this.base = options.base ?? new StandardNormal([...field.eventShape]);
    if (this.base.eventShape.join(',') !== field.eventShape.join(',')) {
      throw new ConfigError(`ContinuousFlow: the base's event shape [${this.base.eventShape}] and the field's [${field.eventShape}] differ`);
    }
    this.eventShape = [...field.eventShape];
    this.solver = resolveSolverOptions(options.solver ?? DEFAULT_SOLVER, 'ContinuousFlow solver');
    this.trace = resolveTraceOptions(options.trace ?? {}, this.eventSize, 'ContinuousFlow trace');
    this.traceRandom = new Random(this.trace.seed);
  }

  override get contextSize(): number {
    return Math.max(this.field.contextSize, this.base.contextSize);
  }

  override get trainableVariables(): tf.Variable[] {
    return [...this.base.trainableVariables, ...this.field.trainableVariables];
  }

  override get variables(): tf.Variable[] {
    return [...this.base.variables, ...this.field.variables];
  }

  /** What the last solve through this flow cost: function evaluations, accepted and rejected steps (null before the first). */
  get lastSolveStats(): SolveStats | null {
    return this.stats ? { ...this.stats } : null;
  }

  private fieldContext(context?: tf.Tensor): tf.Tensor | undefined {
    return this.field.contextSize > 0 ? context : undefined;
  }

  private baseContext(context?: tf.Tensor): tf.Tensor | undefined {
    return this.base.contextSize > 0 ? context : undefined;
  }

  /** The points moved along the field from time `from` to `to` (no tidy, no checks: for losses and inner loops). */
  uncheckedTransform(points: tf.Tensor, from: number, to: number, context?: tf.Tensor, solver: SolverOptions = this.solver): tf.Tensor {
    const fieldContext = this.fieldContext(context);
    const f: OdeFunction = (t, [x]) => [this.field.apply(x, t, fieldContext)];
    const { state, stats } = solveOde(f, [points], from, to, solver);
    this.stats = stats;
    return state[0];
  }

  /**
   * Moves `points` along the field and integrates the divergence with them from `from` to `to`:
   * returns the end points and `a(to) = ∫_from^to tr(∂v/∂x) dt` per row. No tidy, no checks.
   */
  uncheckedDensityPath(
    points: tf.Tensor,
    from: number,
    to: number,
    options: { context?: tf.Tensor; solver?: SolverOptions; trace?: ResolvedTraceOptions; random?: Random } = {},
  ): [tf.Tensor, tf.Tensor1D] {
    const fieldContext = this.fieldContext(options.context);
    const trace = options.trace ?? this.trace;
    const rows = points.shape[0];
    let f: OdeFunction;
    let probes: tf.Tensor | null = null;
    if (trace.estimator === 'exact') {
      f = (t, [x]) => {
        const { value, divergence } = exactDivergence(this.field, x, t, fieldContext);
        return [value, divergence];
      };
    } else {
      // One set of probes for the whole solve: the estimate of the integral stays unbiased and the ODE stays an ODE.
      const fixed = drawProbes(trace.probe, trace.probes, points.shape, options.random ?? this.traceRandom);
      probes = fixed;
      f = (t, [x]) => {
        const { value, divergence } = hutchinsonDivergence(this.field, x, t, fixed, fieldContext);
        return [value, divergence];
      };
    }
    const start = tf.zeros([rows]);
    try {
      const { state, stats } = solveOde(f, [points, start], from, to, options.solver ?? this.solver);
      this.stats = stats;
      return [state[0], state[1] as tf.Tensor1D];
    } finally {
      start.dispose();
      probes?.dispose();
    }
  }

  protected logProbImpl(x: tf.Tensor, context?: tf.Tensor): tf.Tensor1D {
    return this.uncheckedLogProbWith(x, { context });
  }

  /** {@link ContinuousFlow.logProbWith} without checks or tidy (for losses and metrics). */
  uncheckedLogProbWith(x: tf.Tensor, options: FlowSolveOptions = {}): tf.Tensor1D {
    const trace = options.trace ? resolveTraceOptions(options.trace, this.eventSize) : this.trace;
    const random = options.random === undefined ? undefined : options.random instanceof Random ? options.random : new Random(options.random);
    const [z, change] = this.uncheckedDensityPath(x, 1, 0, { context: options.context, solver: options.solver, trace, random });
    // a(0) = −∫₀¹ tr(∂v/∂x) dt: log p₁(x) = log p₀(z) + a(0).
    return tf.add(this.base.uncheckedLogProb(z, this.baseContext(options.context)), change) as tf.Tensor1D;
  }

  /**
   * The log-density of each row of `x`, with this call's own solver, trace estimator or probes'
   * generator where given (for example a tighter tolerance for an evaluation, or the exact trace).
   */
  logProbWith(x: tf.Tensor, options: FlowSolveOptions = {}): tf.Tensor1D {
    const who = `${this.className}.logProbWith`;
    assertKnownOptions(options, SOLVE_OPTION_NAMES, who);
    this.assertNotDisposed(who);
    validateEvents(x, this.eventShape, who);
    validateContext(options.context, x.shape[0], this.contextSize, who);
    if (options.solver) resolveSolverOptions(options.solver, who);
    return tf.tidy(() => this.uncheckedLogProbWith(x, options));
  }

  protected sampleImpl(n: number, random: Random, temperature: number, context?: tf.Tensor): tf.Tensor {
    const z = this.base.sample(n, { random, temperature, context: this.baseContext(context) });
    return this.uncheckedTransform(z, 0, 1, context);
  }

  /** Samples and their log-densities under this flow (at temperature 1, whatever temperature drew them), from one forward solve. */
  sampleAndLogProb(n: number, options: SampleOptions & Omit<FlowSolveOptions, 'context' | 'random'> = {}): [tf.Tensor, tf.Tensor1D] {
    const { solver, trace, ...sampleOptions } = options;
    const { random, temperature } = this.sampleArguments(n, sampleOptions);
    if (solver) resolveSolverOptions(solver, `${this.className}.sampleAndLogProb`);
    return tf.tidy(() => this.uncheckedSampleAndLogProb(n, random, temperature, sampleOptions.context, { solver, trace }));
  }

  /** {@link ContinuousFlow.sampleAndLogProb} without tidy, for losses such as the reverse KL. */
  uncheckedSampleAndLogProb(
    n: number,
    random: Random,
    temperature = 1,
    context?: tf.Tensor,
    options: Omit<FlowSolveOptions, 'context' | 'random'> = {},
  ): [tf.Tensor, tf.Tensor1D] {
    validateContext(context, n, this.contextSize, `${this.className}.sampleAndLogProb`);
    const trace = options.trace ? resolveTraceOptions(options.trace, this.eventSize) : this.trace;
    const z = this.base.sample(n, { random, temperature, context: this.baseContext(context) });
    const [x, change] = this.uncheckedDensityPath(z, 0, 1, { context, solver: options.solver, trace, random });
    // a(1) = ∫₀¹ tr(∂v/∂x) dt: log p₁(x) = log p₀(z) − a(1).
    return [x, tf.sub(this.base.uncheckedLogProb(z, this.baseContext(context)), change) as tf.Tensor1D];
  }

  /**
   * The flow map: `points` moved along the field from time `from` (default 0) to `to` (default 1).
   * From 0 to 1 it maps base points to data (the forward direction), from 1 to 0 back; intermediate
   * times give the particles' positions on their way (a trajectory is a series of such calls).
   */
  transform(points: tf.Tensor, options: TransformOptions = {}): tf.Tensor {
    const who = `${this.className}.transform`;
    assertKnownOptions(options, TRANSFORM_OPTION_NAMES, who);
    this.assertNotDisposed(who);
    validateEvents(points, this.eventShape, who);
    validateContext(options.context, points.shape[0], this.contextSize, who);
    const from = options.from ?? 0;
    const to = options.to ?? 1;
    if (!Number.isFinite(from) || !Number.isFinite(to)) throw new RangeError(`${who}: from and to must be finite times, got ${from} and ${to}`);
    if (options.solver) resolveSolverOptions(options.solver, who);
    return tf.tidy(() => this.uncheckedTransform(points, from, to, options.context, options.solver));
  }

  getConfig(): ContinuousFlowConfig {
    return { field: this.field.toJSON(), base: this.base.toJSON(), solver: { ...this.solver }, trace: { ...this.trace } };
  }

  /** Rebuilds the field and the base through their registries (their classes must be registered); checks the solver and trace settings. */
  static fromConfig(config: ContinuousFlowConfig): ContinuousFlow {
    if (typeof config !== 'object' || config === null) throw new ConfigError('ContinuousFlow: the configuration must be an object');
    assertKnownOptions(config, ['field', 'base', 'solver', 'trace'], 'ContinuousFlow config');
    const field = vectorFieldFromJSON(config.field);
    let base: Distribution;
    try {
      base = distributionFromJSON(config.base);
    } catch (error) {
      field.dispose();
      throw error;
    }
    try {
      return new ContinuousFlow({ field, base, solver: config.solver, trace: config.trace });
    } catch (error) {
      field.dispose();
      base.dispose();
      throw error;
    }
  }

  override dispose(): void {
    this.base.dispose();
    this.field.dispose();
  }
}
