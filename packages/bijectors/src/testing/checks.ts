import * as tf from '@tensorflow/tfjs-core';
import { assignWeights, type Bijector, bijectorFromJSON, Random } from '@flows/core';

/** Options of the conformance kit. Every tolerance is absolute on float32 values of order 1. */
export interface ConformanceOptions {
  /** Event shape to test with; required when the bijector accepts any shape (`eventShape` null). */
  eventShape?: number[];
  /** Batch size of the test inputs (default 6). */
  batchSize?: number;
  /** Seed for inputs and the variable perturbation (default 1234). */
  seed?: number;
  /** Draws inputs for the forward direction (default: standard normal). */
  sampleInput?: (random: Random, shape: number[]) => tf.Tensor;
  /** Draws inputs for the inverse direction (default: the forward map of fresh `sampleInput` draws). */
  sampleOutput?: (random: Random, shape: number[]) => tf.Tensor;
  /** Context width; when positive the kit feeds a standard-normal context. */
  contextSize?: number;
  /** Standard deviation of the noise added to every trainable variable before the checks (default 0.1). */
  perturbation?: number;
  /** Called after the perturbation, e.g. to switch a layer to evaluation mode. */
  prepare?: (bijector: Bijector) => void;
  /** Round-trip tolerance (default 1e-4, relative to 1 + |value|). */
  roundTripTolerance?: number;
  /** Log-det tolerance (default 2e-3 nats). */
  logDetTolerance?: number;
  /** How the reference Jacobian is computed (default 'autodiff'); 'none' skips that check. */
  jacobian?: 'autodiff' | 'none';
  /** Largest event size for the Jacobian check (default 64). */
  maxJacobianSize?: number;
  /** Whether the bijector must survive toJSON → bijectorFromJSON (default true). */
  serializable?: boolean;
  /** Variables that legitimately get no gradient (by index in `trainableVariables`). */
  gradientFreeVariables?: number[];
}

export type ConformanceCheckName =
  | 'logDetShape'
  | 'roundTripForward'
  | 'roundTripInverse'
  | 'logDetJacobian'
  | 'logDetConsistency'
  | 'batchIndependence'
  | 'gradients'
  | 'memory'
  | 'serialization';

export const CONFORMANCE_CHECKS: readonly ConformanceCheckName[] = [
  'logDetShape',
  'roundTripForward',
  'roundTripInverse',
  'logDetJacobian',
  'logDetConsistency',
  'batchIndependence',
  'gradients',
  'memory',
  'serialization',
];

interface Fixture {
  bijector: Bijector;
  factory: () => Bijector;
  shape: number[];
  /** Batch shape on the data side (the forward output). */
  outputShape: number[];
  random: Random;
  context?: tf.Tensor;
  options: Required<Pick<ConformanceOptions, 'roundTripTolerance' | 'logDetTolerance' | 'maxJacobianSize'>> & ConformanceOptions;
}

/** Gives every trainable variable a small random offset, so zero-initialised layers are not the identity. */
export function perturbVariables(bijector: Bijector, random: Random, std = 0.1): void {
  for (const v of bijector.trainableVariables) {
    const noise = random.fillNormal(new Float32Array(v.size), 0, std);
    tf.tidy(() => v.assign(tf.add(v, tf.tensor(noise, v.shape))));
  }
}

function makeFixture(factory: () => Bijector, options: ConformanceOptions): Fixture {
  const random = new Random(options.seed ?? 1234);
  const bijector = factory();
  perturbVariables(bijector, random, options.perturbation ?? 0.1);
  options.prepare?.(bijector);
  const eventShape = options.eventShape ?? (bijector.eventShape ? [...bijector.eventShape] : null);
  if (!eventShape) throw new Error(`${bijector.className} accepts any event shape: pass eventShape to the conformance kit`);
  const shape = [options.batchSize ?? 6, ...eventShape];
  const outputEventShape = options.eventShape ? null : bijector.outputEventShape;
  const outputShape = outputEventShape ? [shape[0], ...outputEventShape] : shape;
  const contextSize = options.contextSize ?? bijector.contextSize;
  const context = contextSize > 0 ? tf.tensor2d(random.fillNormal(new Float32Array(shape[0] * contextSize)), [shape[0], contextSize]) : undefined;
  return {
    bijector,
    factory,
    shape,
    outputShape,
    random,
    context,
    options: { roundTripTolerance: 1e-4, logDetTolerance: 2e-3, maxJacobianSize: 64, ...options },
  };
}

function sampleX(f: Fixture): tf.Tensor {
  if (f.options.sampleInput) return f.options.sampleInput(f.random, f.shape);
  const size = f.shape.reduce((a, b) => a * b, 1);
  return tf.tensor(f.random.fillNormal(new Float32Array(size)), f.shape);
}

function sampleY(f: Fixture): tf.Tensor {
  if (f.options.sampleOutput) return f.options.sampleOutput(f.random, f.outputShape);
  const x = sampleX(f);
  const y = f.bijector.forward(x, f.context);
  x.dispose();
  return y;
}

function maxScaledError(actual: tf.Tensor, expected: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.div(tf.abs(tf.sub(actual, expected)), tf.add(1, tf.abs(expected)))).dataSync()[0]);
}

function fail(f: Fixture, check: string, message: string): never {
  throw new Error(`${f.bijector.className} failed ${check}: ${message}`);
}

const checks: Record<ConformanceCheckName, (f: Fixture) => void> = {
  logDetShape(f) {
    const x = sampleX(f);
    const [y, logDet] = f.bijector.forwardAndLogDet(x, f.context);
    const ok = logDet.rank === 1 && logDet.shape[0] === f.shape[0] && y.shape.join() === f.outputShape.join();
    const message = `forward gave y ${JSON.stringify(y.shape)} and logDet ${JSON.stringify(logDet.shape)} for x ${JSON.stringify(x.shape)}`;
    const finite = tf.tidy(() => tf.all(tf.isFinite(logDet)).dataSync()[0] && tf.all(tf.isFinite(y)).dataSync()[0]);
    tf.dispose([x, y, logDet]);
    if (!ok) fail(f, 'logDetShape', message);
    if (!finite) fail(f, 'logDetShape', 'forward produced NaN or infinity');
  },

  roundTripForward(f) {
    if (!f.bijector.hasInverse) return;
    const x = sampleX(f);
    const y = f.bijector.forward(x, f.context);
    const back = f.bijector.inverse(y, f.context);
    const error = maxScaledError(back, x);
    tf.dispose([x, y, back]);
    if (!(error <= f.options.roundTripTolerance)) fail(f, 'roundTripForward', `inverse(forward(x)) differs from x by ${error}`);
  },

  roundTripInverse(f) {
    if (!f.bijector.hasInverse) return;
    const y = sampleY(f);
    const x = f.bijector.inverse(y, f.context);
    const back = f.bijector.forward(x, f.context);
    const error = maxScaledError(back, y);
    tf.dispose([x, y, back]);
    if (!(error <= f.options.roundTripTolerance)) fail(f, 'roundTripInverse', `forward(inverse(y)) differs from y by ${error}`);
  },

  logDetJacobian(f) {
    if (f.options.jacobian === 'none') return;
    const size = f.shape.slice(1).reduce((a, b) => a * b, 1);
    if (size > f.options.maxJacobianSize) return;
    const x = sampleX(f);
    const batch = f.shape[0];
    const jacobians = Array.from({ length: batch }, () => new Float64Array(size * size));
    for (let row = 0; row < size; row++) {
      const gradient = tf.tidy(() => {
        const output = (input: tf.Tensor) => {
          const [y] = f.bijector.uncheckedForwardAndLogDet(input, f.context);
          return tf.sum(tf.slice(tf.reshape(y, [batch, size]), [0, row], [batch, 1]));
        };
        return tf.grad(output)(x);
      });
      const values = gradient.dataSync();
      gradient.dispose();
      for (let n = 0; n < batch; n++) for (let col = 0; col < size; col++) jacobians[n][row * size + col] = values[n * size + col];
    }
    const [, logDet] = f.bijector.forwardAndLogDet(x, f.context);
    const reported = logDet.dataSync();
    tf.dispose([x, logDet]);
    for (let n = 0; n < batch; n++) {
      const expected = logAbsDet(jacobians[n], size);
      const tolerance = f.options.logDetTolerance * Math.max(1, Math.abs(expected));
      if (!(Math.abs(reported[n] - expected) <= tolerance)) {
        fail(f, 'logDetJacobian', `row ${n}: logDet ${reported[n]} but log|det J| from autodiff is ${expected}`);
      }
    }
  },

  logDetConsistency(f) {
    if (!f.bijector.hasInverse) return;
    const x = sampleX(f);
    const [y, forwardLogDet] = f.bijector.forwardAndLogDet(x, f.context);
    const [, inverseLogDet] = f.bijector.inverseAndLogDet(y, f.context);
    const error = tf.tidy(() => tf.max(tf.abs(tf.add(forwardLogDet, inverseLogDet))).dataSync()[0]);
    const scale = tf.tidy(() => tf.max(tf.abs(forwardLogDet)).dataSync()[0]);
    tf.dispose([x, y, forwardLogDet, inverseLogDet]);
    if (!(error <= f.options.logDetTolerance * Math.max(1, scale))) {
      fail(f, 'logDetConsistency', `forward logDet + inverse logDet at matching points is ${error}, not 0`);
    }
  },

  batchIndependence(f) {
    const x = sampleX(f);
    const [y, logDet] = f.bijector.forwardAndLogDet(x, f.context);
    const batch = f.shape[0];
    for (const n of [0, batch - 1]) {
      const begin = f.shape.map((_, axis) => (axis === 0 ? n : 0));
      const size = f.shape.map((d, axis) => (axis === 0 ? 1 : d));
      const xRow = tf.slice(x, begin, size);
      const outputBegin = f.outputShape.map((_, axis) => (axis === 0 ? n : 0));
      const outputSize = f.outputShape.map((d, axis) => (axis === 0 ? 1 : d));
      const contextRow = f.context ? tf.slice(f.context, [n, 0], [1, f.context.shape[1]!]) : undefined;
      const [yRow, logDetRow] = f.bijector.forwardAndLogDet(xRow, contextRow);
      const expectedY = tf.slice(y, outputBegin, outputSize);
      const expectedLogDet = tf.slice(logDet, [n], [1]);
      const errorY = maxScaledError(yRow, expectedY);
      const errorLogDet = maxScaledError(logDetRow, expectedLogDet);
      tf.dispose([xRow, yRow, logDetRow, expectedY, expectedLogDet]);
      if (contextRow) contextRow.dispose();
      if (!(errorY <= 1e-4 && errorLogDet <= 1e-4)) {
        tf.dispose([x, y, logDet]);
        fail(f, 'batchIndependence', `row ${n} alone gives y off by ${errorY} and logDet off by ${errorLogDet}`);
      }
    }
    tf.dispose([x, y, logDet]);
  },

  gradients(f) {
    const variables = f.bijector.trainableVariables;
    if (variables.length === 0) return;
    const x = sampleX(f);
    const y = f.bijector.hasInverse ? sampleY(f) : undefined;
    // Separate weights for each direction, so that no two terms can cancel.
    const weights = tf.tensor(f.random.fillNormal(new Float32Array(x.size)), f.outputShape);
    const inverseWeights = tf.tensor(f.random.fillNormal(new Float32Array(x.size)), x.shape);
    let grads: tf.NamedTensorMap;
    try {
      ({ grads } = tf.variableGrads(() => {
        const [out, logDet] = f.bijector.uncheckedForwardAndLogDet(x, f.context);
        let loss = tf.add(tf.sum(tf.mul(out, weights)), tf.sum(logDet));
        if (y) {
          const [back, inverseLogDet] = f.bijector.uncheckedInverseAndLogDet(y, f.context);
          loss = tf.add(loss, tf.add(tf.sum(tf.mul(back, inverseWeights)), tf.sum(tf.mul(inverseLogDet, 0.5))));
        }
        return loss as tf.Scalar;
      }, variables));
    } catch (error) {
      tf.dispose([x, weights, inverseWeights, ...(y ? [y] : [])]);
      fail(f, 'gradients', `no gradient reaches any trainable variable (${(error as Error).message})`);
    }
    const exempt = new Set(f.options.gradientFreeVariables ?? []);
    const missing: string[] = [];
    variables.forEach((v, i) => {
      const g = grads[v.name];
      const reached = g !== undefined && tf.tidy(() => tf.any(tf.notEqual(g, 0)).dataSync()[0]);
      const finite = g === undefined || tf.tidy(() => tf.all(tf.isFinite(g)).dataSync()[0]);
      if (!finite) missing.push(`variable ${i} (${v.shape.join('x')}) got a NaN or infinite gradient`);
      else if (!reached && !exempt.has(i)) missing.push(`variable ${i} (${v.shape.join('x')}) got no gradient`);
    });
    tf.dispose([x, weights, inverseWeights, ...(y ? [y] : []), ...Object.values(grads)]);
    if (missing.length) fail(f, 'gradients', missing.join('; '));
  },

  memory(f) {
    const beforeConstruction = tf.memory().numTensors;
    f.factory().dispose();
    const constructionLeak = tf.memory().numTensors - beforeConstruction;
    if (constructionLeak !== 0) fail(f, 'memory', `constructing and disposing one leaked ${constructionLeak} tensors`);
    const x = sampleX(f);
    const y = f.bijector.hasInverse ? sampleY(f) : undefined;
    const run = () => {
      tf.dispose(f.bijector.forwardAndLogDet(x, f.context));
      if (y) tf.dispose(f.bijector.inverseAndLogDet(y, f.context));
      tf.dispose(f.bijector.forward(x, f.context));
      if (y) tf.dispose(f.bijector.inverse(y, f.context));
    };
    run(); // burn-in: lazily created constants may appear once
    const before = tf.memory().numTensors;
    run();
    run();
    const after = tf.memory().numTensors;
    tf.dispose([x, ...(y ? [y] : [])]);
    if (after !== before) fail(f, 'memory', `${after - before} tensors leaked over two calls of each method`);
    // Saving calls getConfig and toJSON (often once per layer of a long chain): they must not leak either.
    const beforeConfig = tf.memory().numTensors;
    f.bijector.getConfig();
    f.bijector.toJSON();
    const configLeak = tf.memory().numTensors - beforeConfig;
    if (configLeak !== 0) fail(f, 'memory', `getConfig and toJSON leaked ${configLeak} tensors`);
  },

  serialization(f) {
    if (f.options.serializable === false) return;
    const config = f.bijector.getConfig();
    const json = JSON.parse(JSON.stringify(f.bijector.toJSON()));
    let copy: Bijector;
    try {
      copy = bijectorFromJSON(json);
    } catch (error) {
      fail(
        f,
        'serialization',
        `rebuilding from getConfig() ${describeConfig(config)} failed (${(error as Error).message}); getConfig must return every option the constructor needs`,
      );
    }
    try {
      if (copy.className !== f.bijector.className) fail(f, 'serialization', `reloaded as ${copy.className}`);
      // Compare the structure before any numbers: a config that misses an option usually shows up here first.
      const shapes = (b: Bijector) => b.variables.map((v) => `[${v.shape.join(', ')}]`).join(' ');
      if (shapes(copy) !== shapes(f.bijector)) {
        fail(
          f,
          'serialization',
          `getConfig() ${describeConfig(config)} rebuilds a bijector with variables ${shapes(copy) || '(none)'}, not ${shapes(f.bijector) || '(none)'}; getConfig must return every option the constructor needs`,
        );
      }
      const sameShape = (a: readonly number[] | null, b: readonly number[] | null) => JSON.stringify(a) === JSON.stringify(b);
      if (!sameShape(copy.eventShape, f.bijector.eventShape) || copy.contextSize !== f.bijector.contextSize) {
        fail(
          f,
          'serialization',
          `getConfig() ${describeConfig(config)} rebuilds event shape ${JSON.stringify(copy.eventShape)} and context ${copy.contextSize}, not ${JSON.stringify(f.bijector.eventShape)} and ${f.bijector.contextSize}`,
        );
      }
      const copyConfig = JSON.stringify(copy.getConfig());
      if (copyConfig !== JSON.stringify(json.config)) {
        fail(f, 'serialization', `the rebuilt bijector's getConfig() ${copyConfig} differs from the original's ${JSON.stringify(json.config)}`);
      }
      const packed = packWeightsSync(f.bijector);
      assignWeights(copy.variables, packed.specs, packed.data);
      const x = sampleX(f);
      const [y1, l1] = f.bijector.forwardAndLogDet(x, f.context);
      const [y2, l2] = copy.forwardAndLogDet(x, f.context);
      const error = Math.max(maxScaledError(y2, y1), maxScaledError(l2, l1));
      tf.dispose([x, y1, l1, y2, l2]);
      if (!(error <= 1e-5)) fail(f, 'serialization', `the reloaded bijector differs by ${error}`);
    } finally {
      copy.dispose();
    }
  },
};

function describeConfig(config: unknown): string {
  const text = JSON.stringify(config) ?? String(config);
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

function packWeightsSync(bijector: Bijector) {
  const specs = bijector.variables.map((v) => ({ shape: [...v.shape], dtype: 'float32' as const }));
  const total = bijector.variables.reduce((sum, v) => sum + v.size, 0);
  const data = new Float32Array(total);
  let offset = 0;
  for (const v of bijector.variables) {
    data.set(v.dataSync() as Float32Array, offset);
    offset += v.size;
  }
  return { specs, data };
}

/** log|det A| of a row-major n × n matrix, by LU with partial pivoting in float64. */
export function logAbsDet(matrix: Float64Array | number[], n: number): number {
  const a = Float64Array.from(matrix);
  let logDet = 0;
  for (let k = 0; k < n; k++) {
    let pivot = k;
    for (let i = k + 1; i < n; i++) if (Math.abs(a[i * n + k]) > Math.abs(a[pivot * n + k])) pivot = i;
    if (a[pivot * n + k] === 0) return -Infinity;
    if (pivot !== k) for (let j = 0; j < n; j++) [a[k * n + j], a[pivot * n + j]] = [a[pivot * n + j], a[k * n + j]];
    const diagonal = a[k * n + k];
    logDet += Math.log(Math.abs(diagonal));
    for (let i = k + 1; i < n; i++) {
      const factor = a[i * n + k] / diagonal;
      for (let j = k; j < n; j++) a[i * n + j] -= factor * a[k * n + j];
    }
  }
  return logDet;
}

/** Runs one named check on a fresh bijector from `factory`; throws on failure. */
export function runConformanceCheck(name: ConformanceCheckName, factory: () => Bijector, options: ConformanceOptions = {}): void {
  const fixture = makeFixture(factory, options);
  try {
    checks[name](fixture);
  } finally {
    fixture.bijector.dispose();
    fixture.context?.dispose();
  }
}

/** Runs every conformance check; throws on the first failure. Framework-agnostic. */
export function checkBijector(factory: () => Bijector, options: ConformanceOptions = {}): void {
  for (const name of CONFORMANCE_CHECKS) runConformanceCheck(name, factory, options);
}
