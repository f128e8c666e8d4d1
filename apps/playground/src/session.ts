import * as tf from '@tensorflow/tfjs-core';
import { Random } from '@flows/core';
import { columnStatistics, gridPoints, histogramOnGrid, plotRangeAround, type Range2D, toyByName, type ToyDistribution } from '@flows/datasets';
import { ContinuousFlow, flowMatchingLoss } from '@flows/continuous';
import type { Distribution, TransformedDistribution } from '@flows/distributions';
import { Adam, fit, klFromTargetAsync, modelFiles, modelFromFiles, samplerData, schedules, toyFlow, toyScheduleOptions } from '@flows/flows';
import { KL_SOLVER, pictureLogProb, pictureSolver, playgroundContinuousFlow, withSolver } from './continuous-model.js';
import { type FieldViews, fieldViews } from './field-views.js';
import { importedWindow } from './imported-window.js';
import { baseGridLines, flowLayers, pathToBase, pushForward } from './layer-pushes.js';
import { CNF_FLOW, type PlaygroundSettings } from './settings.js';

/**
 * The model of a run: a flow of layers (a base and a bijector, drawn layer by layer) or a continuous
 * flow (a base and a vector field, drawn as arrows and moving particles).
 */
export type PlaygroundModel = TransformedDistribution | ContinuousFlow;

/** Which of the two views a model gets, and what its training loss is. */
export type ModelKind = 'layered' | 'continuous';

/** Where the training points come from: a toy of `@flows/datasets`, or the user's own points. */
export type DataSpec = { kind: 'toy'; name: string } | { kind: 'points'; name: string; points: Float32Array };

/** What the page shows about a run. */
export interface SessionStatus {
  step: number;
  totalSteps: number;
  /** Mean training loss of the last chunk of steps (see `modelKind`); NaN before the first. */
  loss: number;
  /**
   * `layered`: a flow of layers, whose loss is the negative log-likelihood (nats); `continuous`: a
   * continuous flow, whose loss is flow matching's squared error of the velocity (no unit of density).
   */
  modelKind: ModelKind;
  /** KL(data ‖ model) in nats for toys with an exact density, at the last evaluation; null otherwise. */
  kl: number | null;
  klStandardError: number | null;
  /** Training throughput of the last chunk (samples per second of wall time). */
  samplesPerSecond: number;
  done: boolean;
  dataset: string;
  hasExactDensity: boolean;
  /** Where the model came from: trained here, or imported (then its file name). */
  origin: string;
  /** The window of the pictures. */
  range: Range2D;
}

/** The pictures of a run: densities on a grid, samples, and the curves. */
export interface SessionViews {
  range: Range2D;
  resolution: number;
  /** Model log-density on the grid (raster order of {@link gridPoints}). */
  modelLogDensity: Float32Array;
  /** True density (exact log-density exponentiated) or a histogram of data points, on the same grid. */
  referenceDensity: Float32Array;
  referenceKind: 'true density' | 'data histogram';
  modelSamples: Float32Array;
  dataSamples: Float32Array;
  lossCurve: { step: number; loss: number }[];
  klCurve: { step: number; kl: number }[];
}

/** The layer-by-layer picture: base grid lines and samples after each layer, and a data point's way back. */
export interface LayerViews {
  layerNames: string[];
  /** Per stage (0 = base, k = after layer k): the grid lines' points. */
  gridStages: Float32Array[];
  /** Per stage: the base samples' points. */
  sampleStages: Float32Array[];
  linesPerDirection: number;
  pointsPerLine: number;
  /** The chosen data point's position at each stage (its last entry is the point itself). */
  pointPath: [number, number][];
}

/** An imported model that does not fit the playground, or a data set that cannot be used. */
export class PlaygroundInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PlaygroundInputError';
  }
}

const KL_SAMPLES = 20_000;
/** A continuous flow's log-density is an adaptive ODE solve per point (over 100 evaluations of the field): fewer points, every fewer steps. */
const CONTINUOUS_KL_SAMPLES = 5_000;
/** Steps between KL evaluations while a run trains (the worker's cadence). */
const KL_EVERY = 250;
const CONTINUOUS_KL_EVERY = 1_000;
/** The vector-field view: particles from the base, arrows along a side, and at least this many frames from 0 to 1. */
const FIELD_PARTICLES = 300;
const FIELD_GRID = 15;
const FIELD_FRAMES = 32;

/**
 * One training run of the playground: the model, its optimizer and data stream, and the numbers
 * and pictures the page shows. Runs wherever TensorFlow.js runs (a Web Worker in the page, Node in
 * the tests); the same settings, seed and backend give the same numbers, however the steps are
 * split into chunks.
 */
export class PlaygroundSession {
  model: PlaygroundModel;
  private optimizer: Adam;
  private readonly random: Random;
  private readonly toy: ToyDistribution | null;
  private readonly points: Float32Array | null;
  /** The window of the pictures: the data's, or, after an import, one that also holds the model. */
  range: Range2D;
  private readonly lossCurve: { step: number; loss: number }[] = [];
  private readonly klCurve: { step: number; kl: number }[] = [];
  private lastLoss = Number.NaN;
  private lastKl: { kl: number; standardError: number } | null = null;
  private lastRate = 0;
  private origin = 'trained here';
  private referenceCache: { resolution: number; values: Float32Array } | null = null;

  constructor(
    readonly settings: PlaygroundSettings,
    readonly data: DataSpec,
  ) {
    if (data.kind === 'toy') {
      this.toy = toyByName(data.name);
      this.points = null;
      this.range = this.toy.plotRange;
    } else {
      if (data.points.length < 2 * 20) throw new PlaygroundInputError(`${data.name}: needs at least 20 points to train on, has ${data.points.length / 2}`);
      this.toy = null;
      this.points = data.points;
      this.range = plotRangeAround(data.points);
    }
    if (settings.flow === CNF_FLOW && this.points) {
      // As toy-flow refuses CSV data for --flow cnf: its base is not standardised to the points.
      throw new PlaygroundInputError(`${data.name}: the continuous flow (cnf) trains on the built-in toys; for your own points choose another flow`);
    }
    // The toy apps' one model: the same settings and seed build what `toy-flow train --flow` builds.
    this.model =
      settings.flow === CNF_FLOW
        ? playgroundContinuousFlow({ hidden: settings.hidden, seed: settings.seed })
        : toyFlow({
            flow: settings.flow,
            layers: settings.layers,
            hidden: settings.hidden,
            mask: settings.mask,
            bins: settings.bins,
            seed: settings.seed,
            standardization: this.points ? columnStatistics(this.points, 2) : null,
          });
    this.optimizer = this.newOptimizer();
    this.random = new Random(settings.seed + 17);
  }

  private newOptimizer(): Adam {
    const total = this.settings.steps;
    const learningRate = schedules.cosine(this.settings.learningRate, total, toyScheduleOptions(total));
    return new Adam(this.model.trainableVariables, { learningRate });
  }

  get step(): number {
    return this.optimizer.step;
  }

  get done(): boolean {
    return this.optimizer.step >= this.settings.steps;
  }

  get modelKind(): ModelKind {
    return this.model instanceof ContinuousFlow ? 'continuous' : 'layered';
  }

  /** Steps between the KL evaluations of a training run. */
  get klEvery(): number {
    return this.model instanceof ContinuousFlow ? CONTINUOUS_KL_EVERY : KL_EVERY;
  }

  get hasExactDensity(): boolean {
    return Boolean(this.toy?.hasExactDensity);
  }

  /** Draws n training points (fresh toy samples, or the user's points with replacement). */
  private sampleData(n: number, random: Random): tf.Tensor2D {
    if (this.toy) return this.toy.sample(n, { random }) as tf.Tensor2D;
    const points = this.points!;
    const count = points.length / 2;
    const batch = new Float32Array(2 * n);
    for (let i = 0; i < n; i++) {
      const k = Math.min(count - 1, Math.floor(random.uniform() * count));
      batch[2 * i] = points[2 * k];
      batch[2 * i + 1] = points[2 * k + 1];
    }
    return tf.tensor2d(batch, [n, 2]);
  }

  /** Trains up to `steps` more optimizer steps (never past the run's total); returns how many ran. */
  async train(steps: number): Promise<number> {
    const count = Math.min(steps, this.settings.steps - this.optimizer.step);
    if (count <= 0) return 0;
    const batchSize = this.settings.batchSize;
    const started = performance.now();
    // A continuous flow learns by flow matching, its noise and times from the run's generator (toy-flow's flowMatchingLossWith).
    const loss =
      this.model instanceof ContinuousFlow
        ? { loss: (model: Distribution, batch: { x: tf.Tensor }) => flowMatchingLoss(model as ContinuousFlow, batch.x, { random: this.random }) }
        : {};
    const result = await fit(
      this.model,
      samplerData((n, random) => this.sampleData(n, random), count * batchSize),
      { epochs: 1, batchSize, optimizer: this.optimizer, random: this.random, reportEvery: count, ...loss },
    );
    const seconds = (performance.now() - started) / 1000;
    this.lastLoss = result.loss;
    this.lastRate = (count * batchSize) / Math.max(seconds, 1e-6);
    this.lossCurve.push({ step: this.optimizer.step, loss: result.loss });
    return count;
  }

  /**
   * KL(p ‖ q) = E_p[log p − log q] with fixed samples of the toy (null when it has no exact density);
   * a continuous flow's on fewer samples, by {@link KL_SOLVER}.
   */
  async evaluateKl(): Promise<number | null> {
    if (!this.toy?.hasExactDensity) return null;
    const continuous = this.model instanceof ContinuousFlow;
    const model = this.model instanceof ContinuousFlow ? withSolver(this.model, KL_SOLVER) : this.model;
    const estimate = await klFromTargetAsync(model, this.toy, {
      samples: continuous ? CONTINUOUS_KL_SAMPLES : KL_SAMPLES,
      batchSize: continuous ? 1_000 : undefined,
      seed: this.settings.seed + 2_000_003,
    });
    this.lastKl = { kl: estimate.kl, standardError: estimate.standardError };
    const last = this.klCurve.at(-1);
    if (last?.step === this.optimizer.step) last.kl = estimate.kl;
    else this.klCurve.push({ step: this.optimizer.step, kl: estimate.kl });
    return estimate.kl;
  }

  status(): SessionStatus {
    return {
      step: this.optimizer.step,
      totalSteps: this.settings.steps,
      loss: this.lastLoss,
      modelKind: this.modelKind,
      kl: this.lastKl?.kl ?? null,
      klStandardError: this.lastKl?.standardError ?? null,
      samplesPerSecond: this.lastRate,
      done: this.done,
      dataset: this.data.name,
      hasExactDensity: this.hasExactDensity,
      origin: this.origin,
      range: this.range,
    };
  }

  /** Natural-log model densities at the points (interleaved x, y). */
  async logProb(points: Float32Array): Promise<Float32Array> {
    const x = tf.tensor2d(points, [points.length / 2, 2]);
    const logProb = this.model.logProb(x);
    const values = (await logProb.data()) as Float32Array;
    tf.dispose([x, logProb]);
    return values;
  }

  private async referenceDensity(resolution: number): Promise<Float32Array> {
    if (this.referenceCache?.resolution === resolution) return this.referenceCache.values;
    let values: Float32Array;
    if (this.toy?.hasExactDensity) {
      const grid = tf.tensor2d(gridPoints(this.range, resolution), [resolution * resolution, 2]);
      const logProb = this.toy.logProb(grid);
      values = Float32Array.from((await logProb.data()) as Float32Array, Math.exp);
      tf.dispose([grid, logProb]);
    } else {
      const points = this.toy ? await this.draw((n, random) => this.toy!.sample(n, { random }) as tf.Tensor2D, 200_000, 7) : this.points!;
      values = histogramOnGrid(points, this.range, resolution);
    }
    this.referenceCache = { resolution, values };
    return values;
  }

  private async draw(sample: (n: number, random: Random) => tf.Tensor2D, n: number, seedOffset: number): Promise<Float32Array> {
    const tensor = sample(n, new Random(this.settings.seed + seedOffset));
    const values = (await tensor.data()) as Float32Array;
    tensor.dispose();
    return values;
  }

  /** The model's log-densities on the picture's grid: a continuous flow's by the picture solver (`solverSteps` RK4 steps, exact trace). */
  private async pictureLogProb(points: Float32Array): Promise<Float32Array> {
    const model = this.model;
    if (!(model instanceof ContinuousFlow)) return this.logProb(points);
    const logProb = tf.tidy(() => pictureLogProb(model, tf.tensor2d(points, [points.length / 2, 2]), this.settings.solverSteps));
    const values = (await logProb.data()) as Float32Array;
    logProb.dispose();
    return values;
  }

  /** Samples of the model: a continuous flow's base draws carried to the data by the picture solver. */
  private modelSample(n: number, random: Random): tf.Tensor2D {
    const model = this.model;
    if (!(model instanceof ContinuousFlow)) return model.sample(n, { random }) as tf.Tensor2D;
    return tf.tidy(() => model.uncheckedTransform(model.base.sample(n, { random }), 0, 1, undefined, pictureSolver(this.settings.solverSteps)) as tf.Tensor2D);
  }

  async views(resolution = 72, sampleCount = 1000): Promise<SessionViews> {
    const modelLogDensity = await this.pictureLogProb(gridPoints(this.range, resolution));
    const modelSamples = await this.draw((n, random) => this.modelSample(n, random), sampleCount, 99);
    const dataSamples = this.points
      ? this.points.subarray(0, 2 * Math.min(sampleCount, this.points.length / 2))
      : await this.draw((n, random) => this.sampleData(n, random), sampleCount, 98);
    return {
      range: this.range,
      resolution,
      modelLogDensity,
      referenceDensity: await this.referenceDensity(resolution),
      referenceKind: this.toy?.hasExactDensity ? 'true density' : 'data histogram',
      modelSamples,
      dataSamples: Float32Array.from(dataSamples),
      lossCurve: [...this.lossCurve],
      klCurve: [...this.klCurve],
    };
  }

  /** Base grid lines and samples through each layer, and the path of `point` (data space) back to the base. */
  async layerViews(point: [number, number], sampleCount = 500): Promise<LayerViews> {
    if (this.model instanceof ContinuousFlow) throw new PlaygroundInputError('a continuous flow has no layers: its view is the vector field (fieldViews)');
    const layers = flowLayers(this.model.bijector);
    const linesPerDirection = 13;
    const pointsPerLine = 61;
    const baseSamples = await this.draw((n, random) => this.model.base.sample(n, { random }) as tf.Tensor2D, sampleCount, 97);
    return {
      layerNames: layers.map((layer) => layer.className),
      gridStages: await pushForward(layers, baseGridLines(linesPerDirection, pointsPerLine)),
      sampleStages: await pushForward(layers, baseSamples),
      linesPerDirection,
      pointsPerLine,
      pointPath: await pathToBase(layers, point),
    };
  }

  /**
   * The vector field and the particles of a continuous flow over time (see {@link fieldViews}): RK4
   * with the run's `solverSteps`, or more steps for a smooth animation (the particles are few).
   */
  async fieldViews(): Promise<FieldViews> {
    if (!(this.model instanceof ContinuousFlow))
      throw new PlaygroundInputError('the vector-field view is for continuous flows (cnf); a flow of layers has the layer-by-layer view');
    return fieldViews(this.model, {
      particles: FIELD_PARTICLES,
      steps: Math.max(FIELD_FRAMES, this.settings.solverSteps),
      gridSize: FIELD_GRID,
      dataWindow: this.range,
      seed: this.settings.seed + 96,
    });
  }

  /** The files `saveModel` would write for this model (`model.json` and its weights file). */
  async exportFiles(): Promise<Record<string, string | Uint8Array>> {
    const { files } = await modelFiles(this.model, { app: 'playground', dataset: this.data.name, settings: { ...this.settings, autostart: false } });
    return files;
  }

  /**
   * Replaces the model by one read from saved files (`toy-flow train`'s `model/`, or an export):
   * checked first, so a file that does not fit leaves the current run as it was. Training then
   * continues from the imported weights with a fresh optimizer.
   */
  importFiles(files: Record<string, string | Uint8Array>, origin: string): void {
    const imported = modelFromFiles(files) as Distribution;
    const problem =
      imported.eventSize !== 2
        ? `the model is ${imported.eventSize}-dimensional; the playground shows 2-D flows (toy-flow's models)`
        : imported.contextSize > 0
          ? `the model is conditional (context of width ${imported.contextSize}); the playground shows unconditional flows`
          : !(imported instanceof ContinuousFlow) && !('bijector' in imported && 'base' in imported)
            ? `the model is a ${imported.className}, not a flow (a base distribution and a bijector, or a continuous flow)`
            : null;
    if (problem) {
      imported.dispose();
      throw new PlaygroundInputError(`${origin}: ${problem}`);
    }
    this.optimizer.dispose();
    this.model.dispose();
    this.model = imported as PlaygroundModel;
    this.optimizer = this.newOptimizer();
    this.origin = `imported from ${origin}`;
    this.range = importedWindow(this.model, this.range, this.settings.seed);
    this.referenceCache = null;
    this.lossCurve.length = 0;
    this.klCurve.length = 0;
    this.lastLoss = Number.NaN;
    this.lastKl = null;
  }

  dispose(): void {
    this.optimizer.dispose();
    this.model.dispose();
    this.toy?.dispose();
  }
}
