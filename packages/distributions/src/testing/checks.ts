import * as tf from '@tensorflow/tfjs-core';
import { assignWeights, Random } from '@flows/core';
import type { Distribution } from '../distribution.js';
import { distributionFromJSON } from '../distribution-registry.js';

/**
 * Where the distribution puts its mass, so that the kit can check that it sums to one:
 * - `grid`: continuous events of at most two coordinates, integrated by the midpoint rule over
 *   `[low, high]` per coordinate (`points` cells per axis, default 200; the range should hold all
 *   but a negligible part of the mass);
 * - `integers`: discrete events, summed over every integer vector in `[low, high]` per coordinate;
 * - `none`: skip the normalisation and moment checks (events too large to enumerate).
 */
export type Support = { kind: 'grid'; low: number; high: number; points?: number } | { kind: 'integers'; low: number; high: number } | { kind: 'none' };

/** Options of the distribution conformance kit. */
export interface DistributionConformanceOptions {
  /** Where the mass is (default `none`). */
  support?: Support;
  /** Draws a context of `n` rows for conditional distributions (one fixed row is used for the normalisation checks). */
  context?: (random: Random, n: number) => tf.Tensor;
  /** Seed for the inputs, the perturbation and the samples (default 2024). */
  seed?: number;
  /** Standard deviation of the noise added to every trainable variable first (default 0.2), so that zero-initialised parameters are not special. */
  perturbation?: number;
  /** Samples drawn for the moment check (default 20 000). */
  samples?: number;
  /** Tolerance of the total mass (default 1e-3 absolute; grids over sharp edges need more). */
  massTolerance?: number;
}

export type DistributionCheckName = 'shapes' | 'normalization' | 'samplesMatchDensity' | 'batchIndependence' | 'memory' | 'serialization';

export const DISTRIBUTION_CHECKS: readonly DistributionCheckName[] = [
  'shapes',
  'normalization',
  'samplesMatchDensity',
  'batchIndependence',
  'memory',
  'serialization',
];

interface Fixture {
  distribution: Distribution;
  random: Random;
  options: DistributionConformanceOptions;
}

function makeFixture(factory: () => Distribution, options: DistributionConformanceOptions): Fixture {
  const random = new Random(options.seed ?? 2024);
  const distribution = factory();
  const std = options.perturbation ?? 0.2;
  for (const variable of distribution.trainableVariables) {
    const noise = random.fillNormal(new Float32Array(variable.size), 0, std);
    tf.tidy(() => variable.assign(tf.add(variable, tf.tensor(noise, variable.shape))));
  }
  return { distribution, random, options };
}

function fail(name: string, message: string): never {
  throw new Error(`${name}: ${message}`);
}

/** One row of context repeated `n` times (the normalisation holds per context value). */
function repeatedContext(fixture: Fixture, n: number): tf.Tensor | undefined {
  if (!fixture.options.context) return undefined;
  return tf.tidy(() => tf.tile(fixture.options.context!(new Random(7), 1), [n, 1]));
}

/** The points of the support (one row each) and the volume of a cell. */
function supportPoints(support: Support, eventSize: number, name: string): { points: tf.Tensor2D; cell: number } {
  if (support.kind === 'none') fail(name, 'no support to enumerate');
  let axis: number[];
  let cell: number;
  if (support.kind === 'grid') {
    const count = support.points ?? 200;
    const width = (support.high - support.low) / count;
    axis = Array.from({ length: count }, (_, i) => support.low + (i + 0.5) * width);
    cell = width ** eventSize;
  } else {
    axis = Array.from({ length: support.high - support.low + 1 }, (_, i) => support.low + i);
    cell = 1;
  }
  const total = axis.length ** eventSize;
  if (eventSize > 3 || total > 2_000_000)
    fail(name, `support of ${eventSize} coordinates with ${axis.length} values each is too large to enumerate; use { kind: 'none' }`);
  const values = new Float32Array(total * eventSize);
  for (let index = 0; index < total; index++) {
    let rest = index;
    for (let d = eventSize - 1; d >= 0; d--) {
      values[index * eventSize + d] = axis[rest % axis.length];
      rest = Math.floor(rest / axis.length);
    }
  }
  return { points: tf.tensor2d(values, [total, eventSize]), cell };
}

/** Probabilities (mass per point, or density times cell volume) over the enumerated support. */
function massOverSupport(fixture: Fixture, name: string): { points: tf.Tensor2D; mass: Float64Array } {
  const { distribution, options } = fixture;
  const { points, cell } = supportPoints(options.support ?? { kind: 'none' }, distribution.eventSize, name);
  const context = repeatedContext(fixture, points.shape[0]);
  const logProb = tf.tidy(() => distribution.logProb(tf.reshape(points, [points.shape[0], ...distribution.eventShape]), context));
  const values = logProb.dataSync();
  tf.dispose([logProb, context]);
  const mass = Float64Array.from(values, (value) => Math.exp(value) * cell);
  return { points, mass };
}

const checks: Record<DistributionCheckName, (fixture: Fixture, name: string) => void> = {
  shapes(fixture, name) {
    const { distribution, random } = fixture;
    const n = 5;
    const context = fixture.options.context?.(random, n);
    const samples = distribution.sample(n, { random, context });
    const logProb = distribution.logProb(samples, context);
    try {
      if (samples.shape.join(',') !== [n, ...distribution.eventShape].join(','))
        fail(name, `sample(${n}) has shape [${samples.shape}], expected [${[n, ...distribution.eventShape]}]`);
      if (logProb.shape.join(',') !== `${n}`) fail(name, `logProb of ${n} rows has shape [${logProb.shape}], expected [${n}]`);
      const values = logProb.dataSync();
      if (!values.every(Number.isFinite)) fail(name, `logProb of its own samples is not finite: [${Array.from(values)}]`);
    } finally {
      tf.dispose([samples, logProb, context]);
    }
  },

  normalization(fixture, name) {
    if ((fixture.options.support ?? { kind: 'none' }).kind === 'none') return;
    const { points, mass } = massOverSupport(fixture, name);
    points.dispose();
    const total = mass.reduce((a, b) => a + b, 0);
    const tolerance = fixture.options.massTolerance ?? 1e-3;
    if (!(Math.abs(total - 1) <= tolerance))
      fail(
        name,
        `the ${fixture.options.support!.kind === 'grid' ? 'density integrates' : 'masses sum'} to ${total.toFixed(6)} over the support, not 1 (tolerance ${tolerance})`,
      );
  },

  samplesMatchDensity(fixture, name) {
    const { distribution, random, options } = fixture;
    const n = options.samples ?? 20_000;
    const size = distribution.eventSize;
    const context = repeatedContext(fixture, n);
    const drawn = tf.tidy(() => tf.reshape(distribution.sample(n, { random, context }), [n, size]));
    const sampleValues = drawn.dataSync();
    tf.dispose([drawn, context]);
    const sampleMean = new Float64Array(size);
    for (let i = 0; i < n; i++) for (let d = 0; d < size; d++) sampleMean[d] += sampleValues[i * size + d] / n;
    if ((options.support ?? { kind: 'none' }).kind === 'none') {
      // Without a support to enumerate: the sample mean of −log p against the closed-form entropy, where there is one.
      let entropy: number;
      try {
        entropy = distribution.entropy();
      } catch {
        return;
      }
      const logProb = tf.tidy(() =>
        distribution.logProb(tf.reshape(tf.tensor(sampleValues, [n, size]), [n, ...distribution.eventShape]), repeatedContext(fixture, n)),
      );
      const values = Array.from(logProb.dataSync());
      logProb.dispose();
      const mean = -values.reduce((a, b) => a + b, 0) / n;
      const variance = values.reduce((a, b) => a + (-b - mean) ** 2, 0) / (n - 1);
      const allowed = 5 * Math.sqrt(variance / n) + 1e-4;
      if (!(Math.abs(mean - entropy) <= allowed))
        fail(name, `−mean log p of ${n} samples is ${mean.toFixed(4)}, the entropy ${entropy.toFixed(4)} (allowed ${allowed.toExponential(2)})`);
      return;
    }
    // With a support: the mean and variance of each coordinate under the density, against the samples.
    const { points, mass } = massOverSupport(fixture, name);
    const pointValues = points.dataSync();
    points.dispose();
    const total = mass.reduce((a, b) => a + b, 0);
    for (let d = 0; d < size; d++) {
      let mean = 0;
      let second = 0;
      for (let k = 0; k < mass.length; k++) {
        const value = pointValues[k * size + d];
        mean += (mass[k] / total) * value;
        second += (mass[k] / total) * value * value;
      }
      const variance = Math.max(second - mean * mean, 1e-12);
      const cellWidth = options.support!.kind === 'grid' ? (options.support!.high - options.support!.low) / (options.support!.points ?? 200) : 0;
      const allowed = 5 * Math.sqrt(variance / n) + cellWidth;
      if (!(Math.abs(sampleMean[d] - mean) <= allowed)) {
        fail(
          name,
          `coordinate ${d}: the samples' mean is ${sampleMean[d].toFixed(4)}, the density's ${mean.toFixed(4)} (allowed ${allowed.toExponential(2)}): sample and logProb disagree`,
        );
      }
    }
  },

  batchIndependence(fixture, name) {
    const { distribution, random } = fixture;
    const n = 4;
    const context = fixture.options.context?.(random, n);
    const samples = distribution.sample(n, { random, context });
    const together = distribution.logProb(samples, context);
    const whole = together.dataSync();
    try {
      for (let i = 0; i < n; i++) {
        const row = tf.tidy(() => distribution.logProb(tf.slice(samples, i, 1), context ? tf.slice(context, i, 1) : undefined).dataSync()[0]);
        if (!(Math.abs(row - whole[i]) <= 1e-4 * (1 + Math.abs(row))))
          fail(name, `row ${i}: logProb alone is ${row}, in a batch ${whole[i]}: rows influence each other`);
      }
    } finally {
      tf.dispose([samples, together, context]);
    }
  },

  memory(fixture, name) {
    const { distribution, random } = fixture;
    const context = fixture.options.context?.(random, 3);
    const warm = distribution.sample(3, { random, context });
    tf.dispose([warm, distribution.logProb(warm, context)]);
    const before = tf.memory().numTensors;
    const samples = distribution.sample(3, { random, context });
    const logProb = distribution.logProb(samples, context);
    tf.dispose([samples, logProb]);
    distribution.toJSON();
    const after = tf.memory().numTensors;
    context?.dispose();
    warm.dispose();
    if (after !== before) fail(name, `sample, logProb and toJSON leaked ${after - before} tensors`);
  },

  serialization(fixture, name) {
    const { distribution, random } = fixture;
    const saved = JSON.parse(JSON.stringify(distribution.toJSON()));
    const rebuilt = distributionFromJSON(saved);
    const context = fixture.options.context?.(random, 4);
    try {
      if (rebuilt.className !== distribution.className) fail(name, `rebuilt as ${rebuilt.className}`);
      if (JSON.stringify(rebuilt.toJSON()) !== JSON.stringify(saved))
        fail(name, `the rebuilt distribution's config differs: ${JSON.stringify(rebuilt.toJSON()).slice(0, 200)} vs ${JSON.stringify(saved).slice(0, 200)}`);
      if (rebuilt.variables.length !== distribution.variables.length)
        fail(name, `rebuilt with ${rebuilt.variables.length} variables, saved ${distribution.variables.length}`);
      const specs = distribution.variables.map((variable) => ({ shape: [...variable.shape], dtype: 'float32' as const }));
      const data = Float32Array.from(distribution.variables.flatMap((variable) => Array.from(variable.dataSync())));
      assignWeights(rebuilt.variables, specs, data);
      const samples = distribution.sample(4, { random, context });
      const expected = distribution.logProb(samples, context);
      const actual = rebuilt.logProb(samples, context);
      const gap = tf.tidy(() => tf.max(tf.abs(tf.sub(expected, actual))).dataSync()[0]);
      tf.dispose([samples, expected, actual]);
      if (!(gap <= 1e-5)) fail(name, `the rebuilt distribution's logProb differs by ${gap}`);
    } finally {
      rebuilt.dispose();
      context?.dispose();
    }
  },
};

/** Runs one check on a fresh distribution from `factory` (disposed afterwards); throws an Error naming what failed. */
export function runDistributionCheck(check: DistributionCheckName, factory: () => Distribution, options: DistributionConformanceOptions = {}): void {
  const fixture = makeFixture(factory, options);
  try {
    checks[check](fixture, `${fixture.distribution.className} ${check}`);
  } finally {
    fixture.distribution.dispose();
  }
}

/** Runs every check; throws on the first failure. */
export function checkDistribution(factory: () => Distribution, options: DistributionConformanceOptions = {}): void {
  for (const check of DISTRIBUTION_CHECKS) runDistributionCheck(check, factory, options);
}
