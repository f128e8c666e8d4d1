import * as tf from '@tensorflow/tfjs-core';
import { Random } from '@flows/core';
import {
  appWasmThreads,
  denseMultiplyAdds,
  THREADS_OPTION,
  NATIVE_BLAS_OPTION,
  NO_NATIVE_OPTION,
  nativeBlasSetting,
  describeOptions,
  formatDuration,
  formatRate,
  parseOptions,
  ProgressBar,
  readNumericCsv,
  UsageError,
  defineOptions,
} from '@flows/cli-kit';
import {
  columnStatistics,
  GaussianMixtureToy,
  histogramOnGrid,
  plotRangeAround,
  type Range2D,
  TOY_NAMES,
  toyByName,
  type ToyDistribution,
} from '@flows/datasets';
import type { Distribution } from '@flows/distributions';
import {
  acquireRunLock,
  Adam,
  type AdamState,
  describeBackend,
  fit,
  klFromTargetAsync,
  MASK_STRATEGIES,
  meanNegativeLogLikelihoodAsync,
  samplerData,
  saveModel,
  schedules,
  selectBackend,
  splitRows,
  type Standardization,
  tensorData,
  TOY_FLOWS,
  toyFlow,
  type ToyFlowKind,
  toyScheduleOptions,
  type TrainingData,
  writeFileAtomic,
} from '@flows/flows';
import { TARGET_NAMES, trainOnTarget } from './fit-target.js';
import { checkTrainingPoints } from './point-checks.js';
import { budgetWarning, DEFAULT_STEPS, type TrainingBudget, trainingBudget } from './training-budget.js';
import { openToyRun } from './resume.js';
import { densityOnGrid, PANEL, writeToyPictures, writeTrainingCurves } from './pictures.js';

export const TRAIN_OPTIONS = defineOptions({
  data: { kind: 'string', description: `a toy (${TOY_NAMES.join(', ')}) or a CSV file of points` },
  target: { kind: 'string', description: `instead of data: fit by reverse KL to a 2-D density known up to a constant (${TARGET_NAMES.join(', ')})` },
  conditional: { kind: 'boolean', description: 'condition the flow on the mixture component of each point (two-gaussians, eight-gaussians)' },
  out: { kind: 'string', required: true, description: 'output directory (model/, metrics.json, density, samples and training pictures as .svg and .png)' },
  flow: {
    kind: 'string',
    choices: TOY_FLOWS,
    default: 'realnvp',
    description: 'affine (Real NVP) or additive (NICE) couplings, MAF, rational-quadratic spline couplings or spline MAF',
  },
  layers: { kind: 'positiveInteger', default: 8, description: 'layers (couplings, MAF or spline layers)' },
  bins: { kind: 'positiveInteger', default: 8, description: 'spline bins K (--flow spline, spline-ar)' },
  bound: { kind: 'positiveNumber', default: 3, description: 'spline interval [-B, B] in standardised units, identity outside (--flow spline, spline-ar)' },
  hidden: { kind: 'integerList', default: [64, 64], description: 'hidden widths of the scale and translation networks' },
  mask: { kind: 'string', choices: MASK_STRATEGIES, default: 'alternating', description: 'mask strategy (flipped every layer; random: drawn once per layer)' },
  'no-tanh': { kind: 'boolean', description: 'do not bound the scale network with tanh' },
  epochs: {
    // Not 0: --epochs 0 wrote an untrained model.
    kind: 'positiveInteger',
    description: `passes over the training set (default: toys one epoch of --train-size samples; CSV data ${DEFAULT_STEPS} optimizer steps, or one epoch if that is more)`,
  },
  steps: { kind: 'positiveInteger', description: 'optimizer steps to train, instead of --epochs' },
  'train-size': { kind: 'positiveInteger', default: 3_000_000, description: 'fresh samples per epoch for toys' },
  'batch-size': { kind: 'positiveInteger', default: 1000, description: 'batch size' },
  lr: { kind: 'positiveNumber', default: 2e-3, description: 'peak learning rate (Adam)' },
  schedule: { kind: 'string', choices: ['cosine', 'constant'], default: 'cosine', description: 'learning-rate schedule' },
  'clip-norm': { kind: 'positiveNumber', description: 'clip the gradient norm' },
  'test-size': { kind: 'positiveInteger', default: 200_000, description: 'held-out samples for the test NLL (toys)' },
  seed: { kind: 'nonNegativeInteger', default: 0, description: 'seed for masks, weights, data and noise' },
  backend: {
    kind: 'string',
    choices: ['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu'],
    default: 'auto',
    description: 'TensorFlow.js backend (or FLOWS_BACKEND)',
  },
  threads: THREADS_OPTION,
  'native-blas': NATIVE_BLAS_OPTION,
  'no-native': NO_NATIVE_OPTION,
  resume: { kind: 'boolean', description: 'continue a killed run from <out>/checkpoint (same options; a finished run gets its missing final files)' },
  'checkpoint-every': {
    kind: 'positiveInteger',
    default: 1000,
    description: 'steps between checkpoints (CSV data: rounded down to whole epochs, at least one)',
  },
  'no-standardize': {
    kind: 'boolean',
    description:
      'CSV data: model the raw values (by default the flow sees each column standardised to mean 0 and standard deviation 1, through an affine layer whose log-det is counted)',
  },
  'keep-outliers': {
    kind: 'boolean',
    description:
      'CSV data: train on rows far outside the rest (by default they are refused by name: one such row sets the standardisation and the model learns little else)',
  },
  quiet: { kind: 'boolean', description: 'no progress bar, and no warning about a short run (it is still recorded in metrics.json)' },
});

export const TRAIN_HELP = `toy-flow train: fit a flow to a 2-D toy density (or your CSV points), then write the model,
metrics.json, and pictures of the model density and samples.

Usage: toy-flow train --data <name|file.csv> --out <dir> [options]
       toy-flow train --target <name> --out <dir> [options]

${describeOptions(TRAIN_OPTIONS)}

Examples:
  toy-flow train --data two-gaussians --out runs/two-gaussians
  toy-flow train --data chequerboard --out runs/chequerboard --layers 12 --hidden 128,128 --train-size 6000000
  toy-flow train --data chequerboard --out runs/spline --flow spline --layers 6 --bins 16
  toy-flow train --data eight-gaussians --out runs/conditional --conditional
  toy-flow train --target u3 --out runs/u3 --flow spline --train-size 1000000`;

interface Source {
  name: string;
  /** Fresh samples every batch (the toys), rather than a fixed data set (CSV). */
  fresh: boolean;
  size: number;
  /**
   * Per-column mean and standard deviation of the training points (CSV data): the model ends in a
   * fixed-at-start affine layer `y = μ + σ ⊙ x`, so its flow sees standardised data whatever the units.
   */
  standardization: Standardization | null;
  /** Points drawn behind the model samples in samples.png (CSV data), or null. */
  dataPoints: Float32Array | null;
  /** Number of labels (components) of a conditional source, 0 otherwise. */
  labels: number;
  entropy: number | null;
  /** Model samples for the pictures (conditional models draw labels with the mixture weights). */
  sampleModel(model: Distribution, n: number, seed: number): Promise<Float32Array>;
  /** What the density picture shows: the model, or its marginal over labels. */
  pictureModel(model: Distribution): Distribution;
  train: TrainingData;
  testNll(model: Distribution): Promise<number>;
  target: ToyDistribution | null;
  range: Range2D | null;
  reference(): Promise<Float32Array | null>;
  dispose(): void;
}

// Read-backs here are asynchronous: WebGPU in Node cannot read synchronously.
async function unconditionalSamples(model: Distribution, n: number, seed: number): Promise<Float32Array> {
  const samples = model.sample(n, { random: seed });
  const values = (await samples.data()) as Float32Array;
  samples.dispose();
  return values;
}

const oneHot = (labels: Int32Array, count: number) => tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(labels, 'int32'), count), 'float32'));

/**
 * A Gaussian-mixture toy with the component of each point as the context (one-hot), for a
 * conditional flow p(x | component).
 */
function openLabelledToy(data: string, options: { trainSize: number; testSize: number; seed: number }): Source {
  const toy = TOY_NAMES.includes(data) ? toyByName(data) : null;
  if (!(toy instanceof GaussianMixtureToy)) {
    throw new UsageError(`--conditional needs a toy with labelled components (two-gaussians, eight-gaussians), got '${data}'`);
  }
  const count = toy.components.length;
  const weights = toy.components.map((c) => c.weight);
  return {
    name: data,
    fresh: true,
    size: 2,
    standardization: null,
    dataPoints: null,
    labels: count,
    entropy: toy.conditionalEntropy,
    target: toy,
    range: toy.plotRange,
    train: {
      size: options.trainSize,
      *batches(batchSize: number, random: Random) {
        for (let start = 0; start < options.trainSize; start += batchSize) {
          const { x, labels } = toy.sampleLabelled(Math.min(batchSize, options.trainSize - start), random);
          yield { x, context: oneHot(labels, count) };
        }
      },
    },
    testNll: async (model) => {
      const { x, labels } = toy.sampleLabelled(options.testSize, new Random(options.seed + 1_000_003));
      const context = oneHot(labels, count);
      const nll = await meanNegativeLogLikelihoodAsync(model, tensorData(x, context), { batchSize: 10_000 });
      tf.dispose([x, context]);
      return nll;
    },
    sampleModel: async (model, n, seed) => {
      const random = new Random(seed);
      const labels = Int32Array.from({ length: n }, () => {
        let u = random.uniform();
        let k = 0;
        while (k < count - 1 && u >= weights[k]) u -= weights[k++];
        return k;
      });
      const context = oneHot(labels, count);
      const samples = model.sample(n, { random, context });
      const values = (await samples.data()) as Float32Array;
      tf.dispose([samples, context]);
      return values;
    },
    pictureModel: (model) => marginalOverLabels(model, weights),
    reference: () => densityOnGrid(toy, toy.plotRange),
    dispose: () => toy.dispose(),
  };
}

/** p(x) = Σ_k w_k p(x | k) of a label-conditioned model, as a distribution for the density picture. */
function marginalOverLabels(model: Distribution, weights: number[]): Distribution {
  const count = weights.length;
  return {
    uncheckedLogProb: (x: tf.Tensor) => {
      const n = x.shape[0];
      const terms = weights.map((w, k) =>
        tf.add(model.uncheckedLogProb(x, tf.tile(tf.cast(tf.oneHot(tf.tensor1d([k], 'int32'), count), 'float32'), [n, 1])), Math.log(w)),
      );
      return tf.logSumExp(tf.stack(terms, 1), 1);
    },
  } as unknown as Distribution;
}

/** The first `steps` batches of fresh-sample data, as data of their own (one segment of a run). */
function firstBatches(data: TrainingData, steps: number, batchSize: number): TrainingData {
  return {
    size: steps * batchSize,
    *batches(size: number, random: Random) {
      const all = data.batches(size, random)[Symbol.iterator]();
      try {
        for (let k = 0; k < steps; k++) {
          const next = all.next();
          if (next.done) return;
          yield next.value;
        }
      } finally {
        all.return?.(undefined);
      }
    },
  };
}

async function openSource(
  data: string,
  options: { trainSize: number; testSize: number; seed: number; standardize: boolean; keepOutliers: boolean },
): Promise<Source> {
  if (TOY_NAMES.includes(data)) {
    const toy = toyByName(data);
    return {
      name: data,
      fresh: true,
      size: 2,
      standardization: null,
      dataPoints: null,
      labels: 0,
      entropy: toy.hasExactDensity ? toy.entropy() : null,
      sampleModel: unconditionalSamples,
      pictureModel: (model) => model,
      train: samplerData((n, random) => toy.sample(n, { random }), options.trainSize),
      testNll: async (model) => {
        const test = toy.sample(options.testSize, { random: options.seed + 1_000_003 });
        const nll = await meanNegativeLogLikelihoodAsync(model, test, { batchSize: 10_000 });
        test.dispose();
        return nll;
      },
      target: toy,
      range: toy.plotRange,
      reference: async () => {
        if (toy.hasExactDensity) return densityOnGrid(toy, toy.plotRange);
        const samples = toy.sample(500_000, { random: options.seed + 7 });
        const values = (await samples.data()) as Float32Array;
        samples.dispose();
        return histogramOnGrid(values, toy.plotRange, PANEL);
      },
      dispose: () => toy.dispose(),
    };
  }
  if (!/\.csv$/i.test(data)) throw new UsageError(`unknown dataset '${data}'; expected one of ${TOY_NAMES.join(', ')}, or a .csv file`);
  const table = await readNumericCsv(data);
  if (table.columns < 2) throw new UsageError(`${data}: needs at least 2 columns (one point per row), found ${table.columns}`);
  if (table.rows < 20) throw new UsageError(`${data}: needs at least 20 rows to train and hold out a test part, found ${table.rows}`);
  checkTrainingPoints(table, data, { keepOutliers: options.keepOutliers, standardize: options.standardize });
  const all = tf.tensor2d(table.values, [table.rows, table.columns]);
  const [train, test] = splitRows(all, 0.1, new Random(options.seed));
  all.dispose();
  // The window of the pictures, by the playground's rule for the same points.
  const range = table.columns === 2 ? plotRangeAround(table.values) : null;
  return {
    name: data,
    fresh: false,
    size: table.columns,
    standardization: options.standardize ? columnStatistics(await train.data(), table.columns) : null,
    dataPoints: table.columns === 2 ? table.values.subarray(0, 2 * Math.min(table.rows, 5000)) : null,
    labels: 0,
    entropy: null,
    sampleModel: unconditionalSamples,
    pictureModel: (model) => model,
    train: tensorData(train),
    testNll: (model) => meanNegativeLogLikelihoodAsync(model, test),
    target: null,
    range,
    reference: async () => (range ? histogramOnGrid(table.values, range, PANEL) : null),
    dispose: () => tf.dispose([train, test]),
  };
}

export async function train(argv: string[]): Promise<void> {
  const o = parseOptions(argv, TRAIN_OPTIONS);
  if (o.help) {
    console.log(TRAIN_HELP);
    return;
  }
  const seed = o.seed;
  const started = performance.now();
  if ((o.data === undefined) === (o.target === undefined))
    throw new UsageError('give either --data (density estimation) or --target (reverse KL), not both or neither');
  if (o.conditional && o.target !== undefined) throw new UsageError('--conditional goes with --data (labelled toy samples), not --target');
  // The output directory is checked (created, probe-written) and locked before any work: an
  // unwritable --out fails now, not after training, and a second run into it is refused.
  const runLock = await acquireRunLock(o.out, 'toy-flow train', undefined, { outputs: [/^(density|samples|training)\.(svg|png)$/] });
  try {
    // A step's matrix work decides whether wasm threads pay (bench/results.md): for the toys they do not.
    const work = 2 * o.layers * denseMultiplyAdds([2, ...o.hidden, 2]) * o['batch-size'];
    const backend = await selectBackend({
      backend: o.backend,
      wasmThreads: await appWasmThreads(o.threads, work),
      nativeBlas: nativeBlasSetting(o['native-blas'], o['no-native'], o.backend),
    });
    console.error(describeBackend(backend));
    const batchSize = o['batch-size'];
    const lr = o.lr;
    const learningRateFor = (totalSteps: number) => (o.schedule === 'cosine' ? schedules.cosine(lr, totalSteps, toyScheduleOptions(totalSteps)) : lr);
    // The toy apps' one model (the playground builds the same from the same settings).
    const modelSettings = {
      flow: o.flow as ToyFlowKind,
      layers: o.layers,
      hidden: o.hidden,
      mask: o.mask,
      scaleTanh: !o['no-tanh'],
      bins: o.bins,
      bound: o.bound,
      seed,
    };
    // A run too short to converge is said to be so before it starts (and recorded in metrics.json).
    const shortRunWarning = (budget: TrainingBudget, epochDescription: string) => {
      const warning = budgetWarning(budget, epochDescription, batchSize);
      if (warning && !o.quiet) console.error(`warning: ${warning}`);
      return warning;
    };
    if (o.target !== undefined) {
      const budget = trainingBudget({ epochs: o.epochs, steps: o.steps, size: o['train-size'], batchSize, fresh: true });
      shortRunWarning(budget, `--train-size ${o['train-size']}`);
      const steps = budget.steps;
      const settings = { target: o.target, flow: o.flow, layers: o.layers, hidden: o.hidden, steps, batchSize, learningRate: lr, schedule: o.schedule, seed };
      const model = toyFlow(modelSettings);
      await trainOnTarget({
        targetName: o.target,
        model,
        steps,
        batchSize,
        learningRate: learningRateFor(steps),
        clipNorm: o['clip-norm'],
        seed,
        evaluationSamples: o['test-size'],
        quiet: Boolean(o.quiet),
        out: o.out,
        backend: backend.name,
        settings,
        checkpointEvery: o['checkpoint-every'],
        resume: Boolean(o.resume),
      });
      model.dispose();
      return;
    }
    // Checked above (--data xor --target); stated again for the compiler.
    const data = o.data;
    if (data === undefined) throw new UsageError('give --data (density estimation) or --target (reverse KL)');
    const source = o.conditional
      ? openLabelledToy(data, { trainSize: o['train-size'], testSize: o['test-size'], seed })
      : await openSource(data, {
          trainSize: o['train-size'],
          testSize: o['test-size'],
          seed,
          standardize: !o['no-standardize'],
          keepOutliers: Boolean(o['keep-outliers']),
        });
    const budget = trainingBudget({ epochs: o.epochs, steps: o.steps, size: source.train.size, batchSize, fresh: source.fresh });
    const { stepsPerEpoch, steps: totalSteps } = budget;
    const warning = shortRunWarning(budget, source.fresh ? `--train-size ${source.train.size}` : `${source.train.size} training rows`);
    const settings = {
      flow: o.flow,
      layers: o.layers,
      hidden: o.hidden,
      mask: o.mask,
      scaleTanh: !o['no-tanh'],
      epochs: o.epochs ?? null,
      steps: totalSteps,
      trainSize: source.target ? o['train-size'] : source.train.size,
      batchSize: o['batch-size'],
      learningRate: o.lr,
      schedule: o.schedule,
      clipNorm: o['clip-norm'] ?? null,
      conditional: Boolean(o.conditional),
      standardized: source.standardization !== null,
      seed,
    };
    if (o.mask === 'checkerboard' && source.size === 2)
      throw new UsageError("--mask checkerboard needs image-shaped data (a square number of dimensions > 2); use 'alternating' or 'half' for 2-D points");
    const { join } = await import('node:path');
    const { rm } = await import('node:fs/promises');
    const out = o.out;
    const schedule = learningRateFor(totalSteps);
    const runSettings = { ...settings, dataset: source.name };
    const training = await openToyRun(out, runSettings, Boolean(o.resume), ['epochs', 'steps']);
    const checkpoint = training.resumed;
    const model =
      checkpoint?.model ?? toyFlow({ ...modelSettings, size: source.size, contextSize: source.labels || undefined, standardization: source.standardization });
    const random = checkpoint ? Random.fromState(checkpoint.randomState) : new Random(seed + 17);
    const restored: AdamState | null = checkpoint?.optimizerState ?? null;
    let trainSeconds = training.saved<number>('seconds') ?? 0;
    let lastLoss = training.saved<number>('loss') ?? Number.NaN;
    const history = training.rows;
    if (restored) console.error(`resuming after step ${restored.step} of ${totalSteps}`);
    const optimizer = new Adam(model.trainableVariables, { learningRate: schedule, clipNorm: o['clip-norm'] });
    if (restored) optimizer.setState(restored);
    const firstStep = optimizer.step;
    const bar = o.quiet || firstStep >= totalSteps ? null : new ProgressBar({ total: totalSteps - firstStep, label: 'train' });
    // In segments with a checkpoint after each: every --checkpoint-every steps for fresh samples
    // (toys); for a fixed data set (CSV) as many whole epochs as fit in --checkpoint-every steps,
    // at least one (a small file's default run is hundreds of epochs). A run resumed from a
    // checkpoint takes the same segments, so it ends exactly where the uninterrupted run does.
    const every = source.fresh ? o['checkpoint-every'] : stepsPerEpoch * Math.max(1, Math.floor(o['checkpoint-every'] / stepsPerEpoch));
    while (optimizer.step < totalSteps) {
      const target = Math.min(totalSteps, (Math.floor(optimizer.step / every) + 1) * every);
      const result = await fit(model, source.fresh ? firstBatches(source.train, target - optimizer.step, batchSize) : source.train, {
        epochs: source.fresh ? 1 : Math.ceil((target - optimizer.step) / stepsPerEpoch),
        steps: target,
        initialEpoch: Math.floor(optimizer.step / stepsPerEpoch),
        batchSize,
        optimizer,
        random,
        reportEvery: 100,
        // A diverging run's advice names this app's flags; tanh-bounded scales only when --no-tanh turned them off.
        settingNames: { learningRate: '--lr', clipNorm: '--clip-norm', ...(o['no-tanh'] ? { scaleTanh: 'leave out --no-tanh' } : {}) },
        onProgress: (p) => {
          history.push({ step: p.step, loss: p.loss, learningRate: p.learningRate });
          bar?.update(p.step - firstStep, {
            loss: p.loss.toFixed(4),
            'samples/s': formatRate(p.samplesPerSecond),
            ETA: formatDuration((p.elapsedSeconds / Math.max(1, p.step - firstStep)) * (totalSteps - p.step)),
          });
        },
      });
      trainSeconds += result.seconds;
      lastLoss = result.loss;
      await training.checkpoint({
        model,
        optimizer,
        random,
        epoch: Math.floor(optimizer.step / stepsPerEpoch),
        extra: { seconds: trainSeconds, loss: lastLoss },
      });
    }
    bar?.finish();
    const result = { steps: optimizer.step, loss: lastLoss };
    optimizer.dispose();
    // One commit for the run's files: the old metrics go first, so that a run killed before its
    // new metrics are written leaves a model without metrics, never beside another model's.
    await rm(join(out, 'metrics.json'), { force: true });
    const savedModel = await saveModel(model, join(out, 'model'), { app: 'toy-flow', dataset: source.name, settings });

    const testNll = await source.testNll(model);
    const entropy = source.entropy;
    const direct =
      source.target?.hasExactDensity && !source.labels
        ? await klFromTargetAsync(model, source.target, { samples: o['test-size'], seed: seed + 2_000_003 })
        : null;
    const metrics = {
      dataset: source.name,
      testNll,
      testSize: source.target ? o['test-size'] : null,
      entropy,
      kl: entropy === null ? null : testNll - entropy,
      klDirect: direct ? { estimate: direct.kl, standardError: direct.standardError } : null,
      trainLoss: result.loss,
      modelChecksum: savedModel.weights.checksum,
      settings,
      backend: backend.name,
      steps: result.steps,
      warnings: warning ? [warning] : [],
      // The pictures' window, [[x0, x1], [y0, y1]] (null beyond 2-D): the playground shows the same data in the same one.
      plotRange: source.range,
      samplesPerSecond: (result.steps * batchSize) / trainSeconds,
      trainSeconds,
      seconds: (performance.now() - started) / 1000,
      history,
    };
    await writeFileAtomic(join(out, 'metrics.json'), `${JSON.stringify(metrics, null, 2)}\n`);
    let pictures = history.length > 0 ? `\ncurves:    ${await writeTrainingCurves(out, history, 'negative log-likelihood')}` : '';
    if (source.range) {
      const values = await source.sampleModel(model, 5000, seed + 99);
      const reference = await source.reference();
      if (reference) {
        const referenceKind = source.target?.hasExactDensity ? 'true density' : 'data histogram';
        const paths = await writeToyPictures(out, source.pictureModel(model), reference, source.range, values, source.dataPoints, {
          name: source.name,
          reference: referenceKind,
        });
        pictures += `\npictures:  ${paths.density} (model | ${referenceKind}), ${paths.samples}`;
      }
    }
    console.log(
      `dataset:   ${source.name}\ntest NLL:  ${testNll.toFixed(4)} nats` +
        (source.labels ? `\n           (conditional: −log p(x | component), ${source.labels} components)` : '') +
        (entropy !== null
          ? `\nentropy:   ${entropy.toFixed(4)} nats${source.labels ? ' (H(X | component))' : ''}\nKL:        ${(testNll - entropy).toFixed(4)} nats (test NLL - entropy)`
          : '') +
        (direct ? `\nKL direct: ${direct.kl.toFixed(4)} ± ${direct.standardError.toFixed(4)} nats (E_p[log p - log q])` : '') +
        `\ntraining:  ${result.steps} steps, ${formatRate(metrics.samplesPerSecond)} samples/s, ${formatDuration(trainSeconds)} on ${backend.name}` +
        `\nmodel:     ${join(out, 'model')}\nmetrics:   ${join(out, 'metrics.json')}${pictures}`,
    );
    source.dispose();
    model.dispose();
  } finally {
    await runLock.release();
  }
}
