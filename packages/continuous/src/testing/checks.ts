import * as tf from '@tensorflow/tfjs-core';
import { assignWeights, Random } from '@flows/core';
import { distributionFromJSON } from '@flows/distributions';
import { ContinuousFlow } from '../continuous-flow.js';
import { drawProbes, exactDivergence, probeQuadraticForms } from '../divergence.js';
import { flowMatchingLoss } from '../flow-matching.js';
import { maximumLikelihoodLoss } from '../maximum-likelihood.js';
import type { SolverOptions } from '../ode-solver.js';
import type { VectorField } from '../vector-field.js';

/** Options of the continuous-flow conformance kit. */
export interface ContinuousConformanceOptions {
  /** Seed of the inputs, the perturbation and the probes (default 2025). */
  seed?: number;
  /** Rows of the test inputs (default 5). */
  batchSize?: number;
  /** Standard deviation of the noise added to every trainable variable first (default 0.3), so that a zero-initialised field is not the identity. */
  perturbation?: number;
  /** Draws `n` context rows for a conditional flow (default: standard normal rows of the flow's context width). */
  context?: (random: Random, n: number) => tf.Tensor;
  /** Draws the test points, shape `[n, ...eventShape]` (default: standard normal). */
  sampleInput?: (random: Random, shape: number[]) => tf.Tensor;
  /** Largest event size for the checks against finite differences (default 4). */
  maxJacobianSize?: number;
  /** Tolerance in nats of the log-density against the numerical Jacobian (default 5e-3). */
  logDensityTolerance?: number;
  /** Round-trip tolerance, relative to 1 + |value| (default 1e-3). */
  roundTripTolerance?: number;
  /** RK4 steps of the reference solves (default 200). */
  referenceSteps?: number;
  /** Whether the flow must survive toJSON → distributionFromJSON with its weights (default true). */
  serializable?: boolean;
}

export type ContinuousCheckName =
  | 'shapes'
  | 'roundTrip'
  | 'divergence'
  | 'hutchinson'
  | 'logDensityJacobian'
  | 'toleranceControl'
  | 'batchIndependence'
  | 'gradients'
  | 'likelihoodGradients'
  | 'memory'
  | 'serialization';

export const CONTINUOUS_CHECKS: readonly ContinuousCheckName[] = [
  'shapes',
  'roundTrip',
  'divergence',
  'hutchinson',
  'logDensityJacobian',
  'toleranceControl',
  'batchIndependence',
  'gradients',
  'likelihoodGradients',
  'memory',
  'serialization',
];

interface Fixture {
  flow: ContinuousFlow;
  random: Random;
  rows: number;
  options: Required<Omit<ContinuousConformanceOptions, 'context' | 'sampleInput'>> & Pick<ContinuousConformanceOptions, 'context' | 'sampleInput'>;
}

/** A flow, or a plugin's field wrapped in one over a standard-normal base. */
function asFlow(made: ContinuousFlow | VectorField): ContinuousFlow {
  const isFlow = 'field' in made && typeof (made as ContinuousFlow).logProbWith === 'function';
  return isFlow ? (made as ContinuousFlow) : new ContinuousFlow({ field: made as VectorField });
}

function makeFixture(factory: () => ContinuousFlow | VectorField, options: ContinuousConformanceOptions): Fixture {
  const random = new Random(options.seed ?? 2025);
  const flow = asFlow(factory());
  const std = options.perturbation ?? 0.3;
  for (const variable of flow.trainableVariables) {
    const noise = random.fillNormal(new Float32Array(variable.size), 0, std);
    tf.tidy(() => variable.assign(tf.add(variable, tf.tensor(noise, variable.shape))));
  }
  return {
    flow,
    random,
    rows: options.batchSize ?? 5,
    options: {
      seed: 2025,
      batchSize: 5,
      perturbation: 0.3,
      maxJacobianSize: 4,
      logDensityTolerance: 5e-3,
      roundTripTolerance: 1e-3,
      referenceSteps: 200,
      serializable: true,
      ...options,
    },
  };
}

function fail(f: Fixture, check: string, message: string): never {
  throw new Error(`${f.flow.field.className} failed ${check}: ${message}`);
}

function points(f: Fixture, rows = f.rows): tf.Tensor {
  const shape = [rows, ...f.flow.eventShape];
  if (f.options.sampleInput) return f.options.sampleInput(f.random, shape);
  return tf.tensor(f.random.fillNormal(new Float32Array(shape.reduce((a, b) => a * b, 1))), shape);
}

function context(f: Fixture, rows = f.rows): tf.Tensor | undefined {
  if (f.flow.contextSize === 0) return undefined;
  if (f.options.context) return f.options.context(f.random, rows);
  return tf.tensor2d(f.random.fillNormal(new Float32Array(rows * f.flow.contextSize)), [rows, f.flow.contextSize]);
}

function values(t: tf.Tensor): number[] {
  return Array.from(t.dataSync());
}

function reference(f: Fixture): SolverOptions {
  return { method: 'rk4', steps: f.options.referenceSteps };
}

/** `log|det M|` of a small square matrix (row-major), by Gaussian elimination with partial pivoting. */
export function logAbsDeterminant(matrix: number[], size: number): number {
  const a = matrix.slice();
  let logDet = 0;
  for (let col = 0; col < size; col++) {
    let pivot = col;
    for (let row = col + 1; row < size; row++) if (Math.abs(a[row * size + col]) > Math.abs(a[pivot * size + col])) pivot = row;
    const value = a[pivot * size + col];
    if (value === 0) return Number.NEGATIVE_INFINITY;
    if (pivot !== col) for (let k = 0; k < size; k++) [a[col * size + k], a[pivot * size + k]] = [a[pivot * size + k], a[col * size + k]];
    logDet += Math.log(Math.abs(value));
    for (let row = col + 1; row < size; row++) {
      const factor = a[row * size + col] / value;
      for (let k = col; k < size; k++) a[row * size + k] -= factor * a[col * size + k];
    }
  }
  return logDet;
}

const checks: Record<ContinuousCheckName, (f: Fixture, name: string) => void> = {
  shapes(f, name) {
    const c = context(f);
    const samples = f.flow.sample(f.rows, { random: f.random, context: c });
    const logProb = f.flow.logProb(samples, c);
    const [drawn, joint] = f.flow.sampleAndLogProb(f.rows, { random: f.random, context: c });
    try {
      const expected = [f.rows, ...f.flow.eventShape].join(',');
      if (samples.shape.join(',') !== expected || drawn.shape.join(',') !== expected)
        fail(f, name, `samples have shape [${samples.shape}] and [${drawn.shape}], expected [${expected}]`);
      if (logProb.shape.join(',') !== `${f.rows}` || joint.shape.join(',') !== `${f.rows}`)
        fail(f, name, `log-densities have shapes [${logProb.shape}], [${joint.shape}]`);
      if (![...values(samples), ...values(logProb), ...values(joint)].every(Number.isFinite)) fail(f, name, 'samples or their log-densities are not finite');
      if (!(f.flow.lastSolveStats && f.flow.lastSolveStats.nfe > 0)) fail(f, name, 'lastSolveStats reports no function evaluations');
    } finally {
      tf.dispose([samples, logProb, drawn, joint, c]);
    }
  },

  roundTrip(f, name) {
    const solver: SolverOptions = { method: 'dopri5', rtol: 1e-6, atol: 1e-6 };
    const c = context(f);
    const z = points(f);
    try {
      const error = tf.tidy(() => {
        const x = f.flow.transform(z, { context: c, solver });
        const back = f.flow.transform(x, { context: c, solver, from: 1, to: 0 });
        return tf.max(tf.div(tf.abs(tf.sub(back, z)), tf.add(1, tf.abs(z)))).dataSync()[0];
      });
      if (!(error <= f.options.roundTripTolerance))
        fail(f, name, `base → data → base returns points off by ${error.toExponential(2)} (tolerance ${f.options.roundTripTolerance})`);
    } finally {
      tf.dispose([z, c]);
    }
  },

  divergence(f, name) {
    const size = f.flow.eventSize;
    if (size > f.options.maxJacobianSize) return;
    const field = f.flow.field;
    const c = context(f);
    const x = points(f);
    const times = [0.1, 0.55, 0.9];
    try {
      for (const t of times) {
        const analytic = tf.tidy(() => values(exactDivergence(field, x, t, field.contextSize > 0 ? c : undefined).divergence));
        // Central differences of the field itself, coordinate by coordinate (float32: step 1e-2).
        const h = 1e-2;
        const numeric = tf.tidy(() => {
          const flat = tf.reshape(x, [f.rows, size]);
          const sums = new Array<number>(f.rows).fill(0);
          for (let i = 0; i < size; i++) {
            const offset = tf.mul(tf.oneHot(tf.fill([f.rows], i, 'int32') as tf.Tensor1D, size), h);
            const plus = tf.reshape(tf.add(flat, offset), x.shape);
            const minus = tf.reshape(tf.sub(flat, offset), x.shape);
            const context_ = field.contextSize > 0 ? c : undefined;
            const difference = tf.div(tf.sub(field.apply(plus, t, context_), field.apply(minus, t, context_)), 2 * h);
            const column = values(tf.slice(tf.reshape(difference, [f.rows, size]), [0, i], [f.rows, 1]));
            column.forEach((v, n) => (sums[n] += v));
          }
          return sums;
        });
        analytic.forEach((a, n) => {
          if (!(Math.abs(a - numeric[n]) <= 5e-3 * (1 + Math.abs(numeric[n]))))
            fail(f, name, `at t = ${t}, row ${n}: the divergence is ${a}, finite differences of the field give ${numeric[n]}`);
        });
      }
    } finally {
      tf.dispose([x, c]);
    }
  },

  hutchinson(f, name) {
    const field = f.flow.field;
    const c = context(f);
    const x = points(f);
    const count = 4000;
    try {
      const [exact, forms] = tf.tidy(() => {
        const fieldContext = field.contextSize > 0 ? c : undefined;
        const divergence = values(exactDivergence(field, x, 0.5, fieldContext).divergence);
        const probes = drawProbes('rademacher', count, x.shape, f.random);
        return [divergence, probeQuadraticForms(field, x, 0.5, probes, fieldContext).forms.arraySync() as number[][]];
      });
      for (let n = 0; n < f.rows; n++) {
        const column = forms.map((row) => row[n]);
        const mean = column.reduce((a, b) => a + b, 0) / count;
        const variance = column.reduce((a, b) => a + (b - mean) ** 2, 0) / (count - 1);
        const allowed = 5 * Math.sqrt(variance / count) + 1e-4 * (1 + Math.abs(exact[n]));
        if (!(Math.abs(mean - exact[n]) <= allowed))
          fail(f, name, `row ${n}: Hutchinson's mean over ${count} probes is ${mean}, the exact divergence ${exact[n]} (allowed ${allowed.toExponential(2)})`);
      }
    } finally {
      tf.dispose([x, c]);
    }
  },

  logDensityJacobian(f, name) {
    const size = f.flow.eventSize;
    if (size > f.options.maxJacobianSize) return;
    const solver = reference(f);
    const c = context(f);
    const x = points(f);
    try {
      const logProb = values(tf.tidy(() => f.flow.logProbWith(x, { context: c, solver, trace: { estimator: 'exact' } })));
      // log p(x) = log p₀(Φ⁻¹(x)) + log|det ∂Φ⁻¹/∂x|, the Jacobian of the inverse flow map by central
      // differences at steps h and h/2 combined by Richardson extrapolation, for h = 1e-2, 3e-3 and
      // 1e-3: a flow map with sharp features needs the smaller steps, float32 rounding the larger
      // ones, and a wrong log-density (a wrong trace) misses every one of them.
      const inverse = (input: tf.Tensor) => f.flow.transform(input, { context: c, solver, from: 1, to: 0 });
      const steps = [1e-2, 3e-3, 1e-3];
      const estimates = tf.tidy(() => {
        const z = inverse(x);
        const baseLogProb = values(f.flow.base.logProb(z, f.flow.base.contextSize > 0 ? c : undefined));
        const flat = tf.reshape(x, [f.rows, size]);
        const difference = (step: number, i: number) => {
          const offset = tf.mul(tf.oneHot(tf.fill([f.rows], i, 'int32') as tf.Tensor1D, size), step);
          const plus = inverse(tf.reshape(tf.add(flat, offset), x.shape));
          const minus = inverse(tf.reshape(tf.sub(flat, offset), x.shape));
          return tf.div(tf.sub(tf.reshape(plus, [f.rows, size]), tf.reshape(minus, [f.rows, size])), 2 * step);
        };
        return steps.map((h) => {
          const columns: number[][] = [];
          for (let i = 0; i < size; i++) columns.push(values(tf.div(tf.sub(tf.mul(difference(h / 2, i), 4), difference(h, i)), 3)));
          return baseLogProb.map((b, n) => {
            const jacobian = new Array<number>(size * size);
            for (let row = 0; row < size; row++) for (let col = 0; col < size; col++) jacobian[row * size + col] = columns[col][n * size + row];
            return b + logAbsDeterminant(jacobian, size);
          });
        });
      });
      logProb.forEach((value, n) => {
        const gaps = estimates.map((estimate) => Math.abs(value - estimate[n]));
        if (!(Math.min(...gaps) <= f.options.logDensityTolerance))
          fail(
            f,
            name,
            `row ${n}: logProb is ${value}, the numerical Jacobian of the flow map gives ${estimates.map((e, k) => `${e[n]} (h = ${steps[k]})`).join(', ')} (tolerance ${f.options.logDensityTolerance} nats)`,
          );
      });
    } finally {
      tf.dispose([x, c]);
    }
  },

  toleranceControl(f, name) {
    const c = context(f);
    const x = points(f);
    try {
      const exact = values(tf.tidy(() => f.flow.logProbWith(x, { context: c, solver: reference(f), trace: { estimator: 'exact' } })));
      const runs = [1e-2, 1e-4, 1e-6].map((tolerance) => {
        const logProb = values(
          tf.tidy(() => f.flow.logProbWith(x, { context: c, solver: { method: 'dopri5', rtol: tolerance, atol: tolerance }, trace: { estimator: 'exact' } })),
        );
        return { tolerance, error: Math.max(...logProb.map((v, n) => Math.abs(v - exact[n]))), nfe: f.flow.lastSolveStats!.nfe };
      });
      const [loose, , tight] = runs;
      const describe = runs.map((r) => `${r.tolerance}: error ${r.error.toExponential(2)}, ${r.nfe} evaluations`).join('; ');
      if (!(tight.error <= 1e-3))
        fail(f, name, `at tolerance 1e-6 the log-density is off by ${tight.error.toExponential(2)} nats from the reference solve (${describe})`);
      if (!(tight.error <= Math.max(loose.error, 2e-5))) fail(f, name, `a tighter tolerance gave a larger error (${describe})`);
      if (!(tight.nfe >= loose.nfe)) fail(f, name, `a tighter tolerance took fewer function evaluations (${describe})`);
    } finally {
      tf.dispose([x, c]);
    }
  },

  batchIndependence(f, name) {
    // Fixed steps: an adaptive solver shares its steps across the batch, which moves rows by up to the
    // tolerance; the exact trace: Hutchinson's probes differ between a batch and a row alone.
    const solver: SolverOptions = { method: 'rk4', steps: 16 };
    const trace = { estimator: 'exact' } as const;
    const c = context(f);
    const x = points(f);
    try {
      const together = values(tf.tidy(() => f.flow.logProbWith(x, { context: c, solver, trace })));
      for (let n = 0; n < f.rows; n++) {
        const alone = tf.tidy(() => f.flow.logProbWith(tf.slice(x, n, 1), { context: c ? tf.slice(c, n, 1) : undefined, solver, trace }).dataSync()[0]);
        if (!(Math.abs(alone - together[n]) <= 1e-4 * (1 + Math.abs(alone)))) fail(f, name, `row ${n}: logProb alone is ${alone}, in a batch ${together[n]}`);
      }
    } finally {
      tf.dispose([x, c]);
    }
  },

  gradients(f, name) {
    const c = context(f);
    const x = points(f);
    try {
      const missing = tf.tidy(() => {
        const { value, grads } = tf.variableGrads(() => flowMatchingLoss(f.flow, x, { random: f.random, context: c }), f.flow.field.trainableVariables);
        if (!Number.isFinite(value.dataSync()[0])) fail(f, name, 'the flow-matching loss is not finite');
        return f.flow.field.trainableVariables.flatMap((v, i) => {
          const g = grads[v.name];
          return g && values(g).every(Number.isFinite) && values(g).some((e) => e !== 0) ? [] : [i];
        });
      });
      if (missing.length > 0) fail(f, name, `trainable variables ${missing.join(', ')} get no finite, non-zero gradient from the flow-matching loss`);
    } finally {
      tf.dispose([x, c]);
    }
  },

  likelihoodGradients(f, name) {
    // What maximum-likelihood training differentiates is the trace: its gradient along a random
    // direction of the parameters, against central differences, at two times; then the whole loss's.
    // Catches a field whose trace is differentiated wrongly (see maximumLikelihoodLoss).
    const c = context(f);
    const x = points(f);
    const field = f.flow.field;
    const fieldContext = field.contextSize > 0 ? c : undefined;
    const variables = field.trainableVariables;
    const parameters = variables.reduce((n, v) => n + v.size, 0);
    const direction = variables.map((v) => tf.tensor(f.random.fillNormal(new Float32Array(v.size), 0, 1 / Math.sqrt(parameters)), v.shape));
    const saved = variables.map((v) => tf.clone(v));
    const losses: [string, () => tf.Scalar][] = [
      [
        'the summed divergence',
        () =>
          tf.add(tf.sum(exactDivergence(field, x, 0.3, fieldContext).divergence), tf.sum(exactDivergence(field, x, 0.7, fieldContext).divergence)) as tf.Scalar,
      ],
      [
        'the maximum-likelihood loss',
        () => maximumLikelihoodLoss(f.flow, x, { solver: { method: 'rk4', steps: 4 }, trace: { estimator: 'exact' }, context: c }),
      ],
    ];
    try {
      for (const [what, loss] of losses) {
        const analytic = tf.tidy(() => {
          const { grads } = tf.variableGrads(loss, variables);
          return variables.reduce((sum, v, i) => sum + (grads[v.name] ? tf.sum(tf.mul(grads[v.name], direction[i])).dataSync()[0] : 0), 0);
        });
        // Central differences at h and h/2 along the unit-norm direction, Richardson-extrapolated.
        const h = 1e-2;
        const at = (step: number) =>
          tf.tidy(() => {
            variables.forEach((v, i) => v.assign(tf.add(saved[i], tf.mul(direction[i], step))));
            return loss().dataSync()[0];
          });
        const central = (step: number) => (at(step) - at(-step)) / (2 * step);
        const numeric = (4 * central(h / 2) - central(h)) / 3;
        variables.forEach((v, i) => v.assign(saved[i]));
        if (!(Math.abs(analytic - numeric) <= 1e-2 * (1 + Math.abs(numeric))))
          fail(
            f,
            name,
            `the gradient of ${what} along a random direction is ${analytic}, finite differences give ${numeric}: the trace is not differentiated correctly (give the field a jvp, or see maximumLikelihoodLoss)`,
          );
      }
    } finally {
      variables.forEach((v, i) => v.assign(saved[i]));
      tf.dispose([x, c, ...direction, ...saved]);
    }
  },

  memory(f, name) {
    const c = context(f);
    const x = points(f);
    const run = () => {
      tf.dispose([
        f.flow.logProb(x, c),
        f.flow.logProbWith(x, { context: c, trace: { estimator: 'hutchinson' }, random: 1 }),
        f.flow.sample(f.rows, { random: 1, context: c }),
        ...f.flow.sampleAndLogProb(f.rows, { random: 2, context: c }),
        f.flow.transform(x, { context: c, from: 1, to: 0 }),
      ]);
      tf.tidy(() => {
        tf.variableGrads(() => flowMatchingLoss(f.flow, x, { random: 3, context: c }), f.flow.field.trainableVariables);
        tf.variableGrads(() => maximumLikelihoodLoss(f.flow, x, { solver: { method: 'rk4', steps: 2 }, context: c }), f.flow.field.trainableVariables);
      });
      f.flow.toJSON();
    };
    try {
      run();
      const before = tf.memory().numTensors;
      run();
      const after = tf.memory().numTensors;
      if (after !== before) fail(f, name, `logProb, sample, sampleAndLogProb, transform and the two losses leaked ${after - before} tensors`);
    } finally {
      tf.dispose([x, c]);
    }
  },

  serialization(f, name) {
    if (!f.options.serializable) return;
    const saved = JSON.parse(JSON.stringify(f.flow.toJSON()));
    let rebuilt: ReturnType<typeof distributionFromJSON>;
    try {
      rebuilt = distributionFromJSON(saved);
    } catch (error) {
      fail(f, name, `the flow does not rebuild from its own toJSON: ${(error as Error).message}`);
    }
    const c = context(f);
    const x = points(f);
    try {
      if (!(rebuilt instanceof ContinuousFlow)) fail(f, name, `rebuilt as ${rebuilt.className}`);
      if (JSON.stringify(rebuilt.toJSON()) !== JSON.stringify(saved))
        fail(f, name, `the rebuilt flow's configuration differs: ${JSON.stringify(rebuilt.toJSON()).slice(0, 200)}`);
      if (rebuilt.variables.length !== f.flow.variables.length)
        fail(f, name, `rebuilt with ${rebuilt.variables.length} variables, saved ${f.flow.variables.length}`);
      const specs = f.flow.variables.map((v) => ({ shape: [...v.shape], dtype: 'float32' as const }));
      const data = Float32Array.from(f.flow.variables.flatMap((v) => values(v)));
      assignWeights(rebuilt.variables, specs, data);
      const solver: SolverOptions = { method: 'rk4', steps: 8 };
      const gap = tf.tidy(() => {
        const a = f.flow.logProbWith(x, { context: c, solver, random: 4 });
        const b = (rebuilt as ContinuousFlow).logProbWith(x, { context: c, solver, random: 4 });
        return tf.max(tf.abs(tf.sub(a, b))).dataSync()[0];
      });
      if (!(gap <= 1e-5)) fail(f, name, `the rebuilt flow's logProb differs by ${gap}`);
    } finally {
      rebuilt.dispose();
      tf.dispose([x, c]);
    }
  },
};

/** Runs one check on a fresh flow (or a plugin's field wrapped in one) from `factory`, disposed afterwards; throws an Error naming what failed. */
export function runContinuousCheck(check: ContinuousCheckName, factory: () => ContinuousFlow | VectorField, options: ContinuousConformanceOptions = {}): void {
  const fixture = makeFixture(factory, options);
  try {
    checks[check](fixture, check);
  } finally {
    fixture.flow.dispose();
  }
}

/** Runs every check; throws on the first failure. */
export function checkContinuousFlow(factory: () => ContinuousFlow | VectorField, options: ContinuousConformanceOptions = {}): void {
  for (const check of CONTINUOUS_CHECKS) runContinuousCheck(check, factory, options);
}
