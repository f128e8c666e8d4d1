import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { assignWeights, isRegistered, packWeights, Random } from '@flows/core';
import { DiagonalNormal, distributionFromJSON, StandardNormal } from '@flows/distributions';
import { loadModel, saveModel } from '@flows/model-files';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContinuousFlow, MLPVectorField, OdeMaxStepsError, registerVectorField } from './index.js';
import { LinearVectorField, linearFlowLogDensity } from './test-support/linear-field.js';

beforeAll(() => {
  if (!isRegistered('conditioner', LinearVectorField.className)) registerVectorField(LinearVectorField);
});

const points = [
  [0.3, -1.2],
  [2.5, 0.4],
  [-0.7, 0.05],
  [1.1, 1.9],
];

/** An MLP field with random weights (a fresh one has a zero last layer: the identity flow). */
function randomMlpFlow(options: { contextSize?: number; seed?: number; scale?: number } = {}): ContinuousFlow {
  const field = new MLPVectorField({ size: 2, hidden: [16, 16], contextSize: options.contextSize ?? 0, timeFeatures: 1, seed: options.seed ?? 1 });
  const random = new Random(options.seed ?? 1);
  for (const variable of field.trainableVariables) {
    tf.tidy(() => variable.assign(tf.add(variable, tf.tensor(random.fillNormal(new Float32Array(variable.size), 0, options.scale ?? 0.4), variable.shape))));
  }
  return new ContinuousFlow({ field });
}

function maxGap(a: tf.Tensor | number[], b: tf.Tensor | number[]): number {
  const x = Array.isArray(a) ? a : Array.from(a.dataSync());
  const y = Array.isArray(b) ? b : Array.from(b.dataSync());
  return Math.max(...x.map((v, i) => Math.abs(v - y[i])));
}

describe('ContinuousFlow on a linear field (closed form)', () => {
  const scale = 0.3;
  const omega = 0.8;
  const make = () => new ContinuousFlow({ field: new LinearVectorField({ size: 2 }).setScaleAndRotation(scale, omega) });

  it('logProb is the closed-form density of x = e^{s} R(ω) z, with the exact trace and with the default solver', () => {
    const flow = make();
    const x = tf.tensor2d(points);
    const logProb = flow.logProb(x);
    expect(maxGap(logProb, linearFlowLogDensity(points, scale, omega))).toBeLessThan(1e-4);
    expect(flow.lastSolveStats!.nfe).toBeGreaterThan(0);
    tf.dispose([x, logProb]);
    flow.dispose();
  });

  it('samples have the covariance e^{2s} I, and sampleAndLogProb matches logProb of its own samples', () => {
    const flow = make();
    const samples = flow.sample(20_000, { random: 3 });
    const { mean, variance } = tf.moments(samples, 0);
    expect(maxGap(mean, [0, 0])).toBeLessThan(0.05);
    expect(maxGap(variance, [Math.exp(2 * scale), Math.exp(2 * scale)])).toBeLessThan(0.06);
    const [drawn, logProb] = flow.sampleAndLogProb(50, { random: 4 });
    const again = flow.logProb(drawn);
    expect(maxGap(logProb, again)).toBeLessThan(1e-4);
    expect(maxGap(logProb, linearFlowLogDensity(drawn.arraySync() as number[][], scale, omega))).toBeLessThan(1e-4);
    tf.dispose([samples, mean, variance, drawn, logProb, again]);
    flow.dispose();
  });

  it('temperature scales the base noise; sampleAndLogProb reports the density at temperature 1', () => {
    const flow = make();
    const cold = flow.sample(20_000, { random: 5, temperature: 0.5 });
    const { variance } = tf.moments(cold, 0);
    expect(maxGap(variance, [0.25 * Math.exp(2 * scale), 0.25 * Math.exp(2 * scale)])).toBeLessThan(0.02);
    const [drawn, logProb] = flow.sampleAndLogProb(10, { random: 6, temperature: 0.5 });
    expect(maxGap(logProb, linearFlowLogDensity(drawn.arraySync() as number[][], scale, omega))).toBeLessThan(1e-4);
    tf.dispose([cold, variance, drawn, logProb]);
    flow.dispose();
  });

  it('transform goes from base to data and back (the flow map and its inverse)', () => {
    const flow = make();
    const z = tf.tensor2d(points);
    const x = flow.transform(z);
    const expected = points.flatMap(([a, b]) => [
      Math.exp(scale) * (Math.cos(omega) * a - Math.sin(omega) * b),
      Math.exp(scale) * (Math.sin(omega) * a + Math.cos(omega) * b),
    ]);
    expect(maxGap(x, expected)).toBeLessThan(1e-4);
    const back = flow.transform(x, { from: 1, to: 0 });
    expect(maxGap(back, points.flat())).toBeLessThan(1e-4);
    tf.dispose([z, x, back]);
    flow.dispose();
  });

  it("Hutchinson's log-density is unbiased: its mean over many probe draws is the exact one", () => {
    const flow = make();
    const x = tf.tensor2d(points);
    const exact = linearFlowLogDensity(points, scale, omega);
    for (const probe of ['gaussian', 'rademacher'] as const) {
      const random = new Random(8);
      const draws = 400;
      const sums = new Array(points.length).fill(0);
      const squares = new Array(points.length).fill(0);
      for (let k = 0; k < draws; k++) {
        const estimate = flow.logProbWith(x, { trace: { estimator: 'hutchinson', probe }, random, solver: { method: 'rk4', steps: 8 } });
        estimate.dataSync().forEach((v, i) => {
          sums[i] += v;
          squares[i] += v * v;
        });
        estimate.dispose();
      }
      exact.forEach((e, i) => {
        const mean = sums[i] / draws;
        const standardError = Math.sqrt(Math.max(squares[i] / draws - mean * mean, 0) / draws);
        expect(Math.abs(mean - e)).toBeLessThan(4 * standardError + 1e-3);
      });
    }
    x.dispose();
    flow.dispose();
  });
});

describe('ContinuousFlow with the MLP field', () => {
  it('the adaptive solver at the default tolerances agrees with a fine fixed-step solve to 1e-3 nats', () => {
    const flow = randomMlpFlow({ scale: 0.6 });
    const x = tf.tensor2d(points);
    const adaptive = flow.logProb(x);
    const nfe = flow.lastSolveStats!.nfe;
    const reference = flow.logProbWith(x, { solver: { method: 'rk4', steps: 400 } });
    expect(maxGap(adaptive, reference)).toBeLessThan(1e-3);
    // The field is not trivial: the density moved away from the base's, and the solver had work to do.
    const base = new StandardNormal(2).logProb(x);
    expect(maxGap(adaptive, base)).toBeGreaterThan(0.1);
    expect(nfe).toBeGreaterThan(20);
    tf.dispose([x, adaptive, reference, base]);
    flow.dispose();
  });

  it('takes a context: the density changes with it, and a missing context is refused by name', () => {
    const flow = randomMlpFlow({ contextSize: 3 });
    const x = tf.tensor2d(points);
    const c1 = tf.zeros([4, 3]);
    const c2 = tf.ones([4, 3]);
    const a = flow.logProb(x, c1);
    const b = flow.logProb(x, c2);
    expect(maxGap(a, b)).toBeGreaterThan(1e-3);
    const samples = flow.sample(4, { random: 1, context: c2 });
    expect(samples.shape).toEqual([4, 2]);
    expect(() => flow.logProb(x)).toThrow(/needs a context of width 3/);
    tf.dispose([x, c1, c2, a, b, samples]);
    flow.dispose();
  });

  it('a learned base (DiagonalNormal) is part of the flow: its variables are trained and saved', () => {
    const field = new MLPVectorField({ size: 2, hidden: [8], seed: 2 });
    const flow = new ContinuousFlow({ field, base: new DiagonalNormal({ size: 2, mean: [1, -1], logScale: [0.2, 0.1] }) });
    expect(flow.trainableVariables.length).toBe(2 + field.trainableVariables.length);
    const x = tf.tensor2d(points);
    const logProb = flow.logProb(x);
    // A zero field is the identity map: the density is the base's.
    const base = flow.base.logProb(x);
    expect(maxGap(logProb, base)).toBeLessThan(1e-5);
    tf.dispose([x, logProb, base]);
    flow.dispose();
  });

  it('a solve that runs out of steps says so and leaks nothing', () => {
    const flow = randomMlpFlow({ scale: 0.6 });
    const x = tf.tensor2d(points);
    const before = tf.memory().numTensors;
    expect(() => flow.logProbWith(x, { solver: { method: 'dopri5', rtol: 1e-9, atol: 1e-9, maxSteps: 3 } })).toThrow(OdeMaxStepsError);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    flow.dispose();
  });

  it('public methods leak no tensors', () => {
    const flow = randomMlpFlow({ contextSize: 1 });
    const x = tf.tensor2d(points);
    const context = tf.ones([4, 1]);
    const run = () => {
      tf.dispose([
        flow.logProb(x, context),
        flow.logProbWith(x, { context, trace: { estimator: 'hutchinson' } }),
        flow.sample(4, { random: 1, context }),
        ...flow.sampleAndLogProb(4, { random: 2, context }),
        flow.transform(x, { context, from: 1, to: 0.5 }),
      ]);
    };
    run();
    const before = tf.memory().numTensors;
    run();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, context]);
    flow.dispose();
  });
});

describe('saving and loading', () => {
  let folder: string;
  beforeAll(() => {
    folder = mkdtempSync(join(tmpdir(), 'continuous-flow-'));
  });
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  it('rebuilds from toJSON through the distribution registry and takes the packed weights back', async () => {
    const flow = new ContinuousFlow({
      field: new MLPVectorField({ size: 2, hidden: [12], timeFeatures: 2, activation: 'tanh', seed: 5 }),
      solver: { method: 'rk4', steps: 20 },
      trace: { estimator: 'hutchinson', probe: 'gaussian', probes: 2, seed: 9 },
    });
    const random = new Random(1);
    for (const v of flow.trainableVariables) tf.tidy(() => v.assign(tf.tensor(random.fillNormal(new Float32Array(v.size), 0, 0.5), v.shape)));
    const saved = JSON.parse(JSON.stringify(flow.toJSON()));
    expect(saved.config.solver).toEqual({ method: 'rk4', steps: 20 });
    expect(saved.config.trace).toEqual({ estimator: 'hutchinson', probe: 'gaussian', probes: 2, seed: 9 });
    const rebuilt = distributionFromJSON(saved) as ContinuousFlow;
    expect(rebuilt).toBeInstanceOf(ContinuousFlow);
    const { specs, data } = await packWeights(flow.variables);
    assignWeights(rebuilt.variables, specs, data);
    const x = tf.tensor2d(points);
    // The same seed gives the same Hutchinson probes: the two agree to rounding.
    const a = flow.logProb(x);
    const b = rebuilt.logProb(x);
    expect(maxGap(a, b)).toBeLessThan(1e-5);
    tf.dispose([x, a, b]);
    flow.dispose();
    rebuilt.dispose();
  });

  it('round-trips through the model files of @flows/model-files (saveModel, loadModel), a plugin field too', async () => {
    for (const [name, flow] of [
      ['mlp', randomMlpFlow({ seed: 4 })],
      [
        'linear',
        new ContinuousFlow({ field: new LinearVectorField({ size: 2 }).setScaleAndRotation(0.2, -0.5), solver: { method: 'dopri5', rtol: 1e-6, atol: 1e-6 } }),
      ],
    ] as const) {
      await saveModel(flow, join(folder, name));
      const loaded = (await loadModel(join(folder, name))) as ContinuousFlow;
      expect(loaded.solver).toEqual(flow.solver);
      const x = tf.tensor2d(points);
      const a = flow.logProb(x);
      const b = loaded.logProb(x);
      expect(maxGap(a, b)).toBeLessThan(1e-6);
      tf.dispose([x, a, b]);
      flow.dispose();
      loaded.dispose();
    }
  });

  it('refuses a hostile configuration by name, and frees what it built before the refusal', () => {
    const good = randomMlpFlow().toJSON();
    const before = tf.memory().numTensors;
    const edit = (change: (config: Record<string, unknown>) => void) => {
      const copy = JSON.parse(JSON.stringify(good));
      change(copy.config);
      return () => distributionFromJSON(copy);
    };
    expect(edit((c) => (c.solver = { method: 'rk4', steps: 1e9 }))).toThrow(/steps must be an integer from 1 to 1000000/);
    expect(edit((c) => (c.solver = { method: 'dopri5', rtol: 'x' }))).toThrow(/rtol must be a positive finite number/);
    expect(edit((c) => (c.solver = { method: 'rk45' }))).toThrow(/unknown solver method "rk45"/);
    expect(edit((c) => (c.trace = { estimator: 'skilling' }))).toThrow(/estimator must be 'exact' or 'hutchinson'/);
    expect(edit((c) => (c.trace = { probes: -3 }))).toThrow(/probes must be an integer from 1 to 1024/);
    expect(edit((c) => ((c.field as { className: string }).className = 'Nope'))).toThrow(/unknown vector field class 'Nope'; registered: .*MLPVectorField/);
    // A coupling's network is refused where a field is due, before it is built.
    expect(edit((c) => (c.field = { className: 'MLP', config: { inputSize: 3, outputSize: 2, hidden: [4] } }))).toThrow(/unknown vector field class 'MLP'/);
    expect(edit((c) => ((c.base as { config: unknown }).config = { eventShape: [3] }))).toThrow(/event shape \[3\] and the field's \[2\] differ/);
    expect(edit((c) => (c.extra = 1))).toThrow(/unknown option 'extra'/);
    expect(tf.memory().numTensors).toBe(before);
  });
});
