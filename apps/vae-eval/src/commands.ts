import {
  BACKEND_OPTIONS,
  denseMultiplyAdds,
  describeOptions,
  type FigureSpec,
  parseOptions,
  sideBySideFigure,
  UsageError,
  writeFigure,
  defineOptions,
  type ParsedOptions,
  startBackend,
} from '@flows/cli-kit';
import { BINARIZATIONS, type Binarization, binarizedSplit, loadMnist, MNIST_BINARIZATION_SEEDS } from '@flows/datasets';
import { acquireRunLock, hasCheckpoint, loadCheckpoint, writeFileAtomic } from '@flows/flows';
import { PRIOR_KINDS, type PriorKind, vaeFromJSON } from '@flows/vae-priors';
import {
  evaluate,
  type ExperimentSettings,
  markdownTable,
  type PosteriorProjection,
  posteriorFigure,
  type RunResult,
  summarize,
  trainOne,
  writePictures,
} from './experiment.js';
import { checkResumedEpochs, checkVaeCheckpoint } from './vae-checkpoint.js';

const COMMON = defineOptions({
  out: { kind: 'string', required: true, description: 'output directory' },
  latent: { kind: 'positiveInteger', default: 10, description: 'latent size M (course: 32 or 10)' },
  epochs: { kind: 'positiveInteger', default: 1, description: 'epochs over the 60 000 binarized training images (short default)' },
  runs: { kind: 'positiveInteger', default: 1, description: 'training runs per prior (different seeds)' },
  'batch-size': { kind: 'positiveInteger', default: 128, description: 'batch size' },
  lr: { kind: 'positiveNumber', default: 1e-3, description: 'Adam learning rate' },
  'iw-samples': { kind: 'positiveInteger', default: 20, description: 'importance samples k for the IWAE log-likelihood (1000 for reported tables)' },
  limit: { kind: 'positiveInteger', description: 'use only the first N training and test images' },
  seed: { kind: 'nonNegativeInteger', default: 0, description: 'base seed' },
  binarization: {
    kind: 'string',
    choices: BINARIZATIONS,
    default: 'threshold',
    description: `threshold: v/255 > 0.5 (the exercise's); stochastic: each pixel 1 with probability v/255, drawn once (training images seed ${MNIST_BINARIZATION_SEEDS.train}, test images seed ${MNIST_BINARIZATION_SEEDS.test}), the binarized MNIST of published figures`,
  },
  'data-dir': { kind: 'string', description: 'directory with the four MNIST IDX files (default: embedded)' },
  ...BACKEND_OPTIONS,
  resume: { kind: 'boolean', description: 'continue: skip runs already in <out>/results.json, resume a run from its checkpoint' },
  quiet: { kind: 'boolean', description: 'no progress bars' },
});

/** What vae-eval writes into --out and its per-prior folders: temporaries of these left by a killed run are removed at the next. */
const VAE_EVAL_OUTPUTS = [
  /^results\.(json|md)$/,
  /^evaluation-k\d+\.(json|md)$/,
  /^posterior-vs-prior\.(json|svg|png)$/,
  /^(training|samples|reconstructions)\.(svg|png)$/,
];

export const TRAIN_OPTIONS = defineOptions({
  prior: { kind: 'string', choices: PRIOR_KINDS, default: 'gaussian', description: 'prior of the VAE' },
  ...COMMON,
});
export const COMPARE_OPTIONS = defineOptions({
  priors: { kind: 'string', default: PRIOR_KINDS.join(','), description: 'comma-separated priors to compare' },
  ...COMMON,
});

export const TRAIN_HELP = `vae-eval train: train VAEs (course architecture, 784-512-512) on binarized MNIST with one prior,
R runs, and report the test ELBO and IWAE log-likelihood (mean ± std over runs) with pictures.

Usage: vae-eval train --prior gaussian|mog|flow|vamp --out <dir> [options]

${describeOptions(TRAIN_OPTIONS)}`;

export const COMPARE_HELP = `vae-eval compare: train every prior (gaussian, mog, flow, vamp) R times and write a table
(results.md, results.json) and one picture with a panel per prior (prior samples in red against
aggregate-posterior samples in blue, one PCA fitted on the posterior samples).

Usage: vae-eval compare --out <dir> [options]

${describeOptions(COMPARE_OPTIONS)}`;

export const EVALUATE_OPTIONS = defineOptions({
  out: { kind: 'string', required: true, description: 'the output directory of an earlier train or compare (its results.json and checkpoints)' },
  'iw-samples': { kind: 'positiveInteger', default: 1000, description: 'importance samples k for the IWAE log-likelihood' },
  priors: { kind: 'string', description: 'comma-separated priors to evaluate (default: every prior in results.json)' },
  'data-dir': COMMON['data-dir'],
  ...BACKEND_OPTIONS,
  quiet: COMMON.quiet,
});

export const EVALUATE_HELP = `vae-eval evaluate: evaluate the trained runs of an earlier train or compare again, from their last
checkpoints, with another number of importance samples (the reported tables use k = 1000), on
the same test images; writes evaluation-k<k>.md and evaluation-k<k>.json beside results.json.
Runs already in that file are skipped, so a stopped evaluation continues where it was.

Usage: vae-eval evaluate --out <dir> [options]   (or vae-eval eval)

${describeOptions(EVALUATE_OPTIONS)}`;

function parsePriors(value: string): PriorKind[] {
  const priors = value
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  const unknown = priors.filter((p) => !(PRIOR_KINDS as readonly string[]).includes(p));
  if (unknown.length || priors.length === 0)
    throw new UsageError(`--priors: unknown prior '${unknown[0] ?? ''}'; expected a comma-separated list of ${PRIOR_KINDS.join(', ')}`);
  return priors as PriorKind[];
}

export async function evaluateCommand(argv: string[]): Promise<void> {
  const o = parseOptions(argv, EVALUATE_OPTIONS);
  if (o.help) return void console.log(EVALUATE_HELP);
  const { join } = await import('node:path');
  const { readFile } = await import('node:fs/promises');
  const out = o.out;
  const k = o['iw-samples'];
  let previous: { settings: ExperimentSettings; runs: RunResult[] };
  try {
    previous = JSON.parse(await readFile(join(out, 'results.json'), 'utf8'));
  } catch (error) {
    throw new UsageError(`--out: no readable results.json in ${out} (${(error as Error).message.split('\n')[0]}); train or compare first`);
  }
  const wanted = o.priors === undefined ? null : new Set(parsePriors(String(o.priors)));
  const runs = previous.runs.filter((r) => !wanted || wanted.has(r.prior));
  if (runs.length === 0) throw new UsageError(`--priors: results.json in ${out} has no runs of ${[...(wanted ?? [])].join(', ')}`);
  // The output directory is checked (created, probe-written) and locked before any work: an
  // unwritable --out fails now, not after training, and a second run into it is refused.
  const runLock = await acquireRunLock(out, 'vae-eval evaluate', undefined, { outputs: VAE_EVAL_OUTPUTS });
  try {
    // Importance-weighted evaluation decodes k codes per image: large work, threads pay.
    const backend = await startBackend(o, Number.POSITIVE_INFINITY);
    const dataDir = o['data-dir'];
    const test = binarizedSplit(await loadMnist('test', { dataDir }), previous.settings.binarization ?? 'threshold', MNIST_BINARIZATION_SEEDS.test);
    const settings = { ...previous.settings, iwSamples: k };
    const jsonPath = join(out, `evaluation-k${k}.json`);
    const results: RunResult[] = [];
    try {
      const earlier = JSON.parse(await readFile(jsonPath, 'utf8')) as { runs: RunResult[] };
      results.push(...earlier.runs.filter((r) => runs.some((q) => q.prior === r.prior && q.run === r.run)));
    } catch {
      // nothing evaluated yet
    }
    // Every run's checkpoint is checked to be a VAE before any is evaluated.
    for (const run of runs) {
      const dir = join(out, run.prior, `run-${run.run + 1}`, 'checkpoint');
      if (await hasCheckpoint(dir)) await checkVaeCheckpoint(dir);
    }
    for (const run of runs) {
      const name = `${run.prior} run ${run.run + 1}`;
      if (results.some((r) => r.prior === run.prior && r.run === run.run)) {
        console.error(`${name}: already evaluated with k = ${k}`);
        continue;
      }
      const dir = join(out, run.prior, `run-${run.run + 1}`, 'checkpoint');
      if (!(await hasCheckpoint(dir))) throw new Error(`${name}: no checkpoint in ${dir}; it is needed to evaluate the run again`);
      const { model: vae } = await loadCheckpoint(dir, vaeFromJSON);
      const started = performance.now();
      const { elbo, iwae } = await evaluate(vae, test, k, settings.limit, o.quiet === true ? undefined : name);
      vae.dispose();
      const seconds = (performance.now() - started) / 1000;
      results.push({ ...run, testElbo: elbo, testIwae: iwae, iwSamples: k, seconds });
      console.error(`${name}: test ELBO ${elbo.toFixed(2)}  IWAE(k=${k}) ${iwae.toFixed(2)} nats  (${seconds.toFixed(0)} s)`);
      await writeFileAtomic(jsonPath, `${JSON.stringify({ settings, backend: backend.name, runs: results, summary: summarize(results) }, null, 2)}\n`);
    }
    const table = markdownTable(results, settings);
    await writeFileAtomic(join(out, `evaluation-k${k}.md`), `${table}\n`);
    console.log(`${table}\n\nresults: ${jsonPath}`);
  } finally {
    await runLock.release();
  }
}

async function runPriors(priors: readonly PriorKind[], o: ParsedOptions<typeof COMMON>): Promise<void> {
  const { join } = await import('node:path');
  // The output directory is checked (created, probe-written) and locked before any work: an
  // unwritable --out fails now, not after training, and a second run into it is refused.
  const runLock = await acquireRunLock(o.out, 'vae-eval', undefined, { outputs: VAE_EVAL_OUTPUTS });
  try {
    // The VAE's encoder and decoder (784-512-512 and back) per step: the work decides whether wasm threads pay.
    const latent = o.latent;
    const work = (denseMultiplyAdds([784, 512, 512, 2 * latent]) + denseMultiplyAdds([latent, 512, 512, 784])) * o['batch-size'];
    const backend = await startBackend(o, work);
    const dataDir = o['data-dir'];
    const binarization = o.binarization as Binarization;
    const [train, test] = (await Promise.all([loadMnist('train', { dataDir }), loadMnist('test', { dataDir })])).map((split) =>
      binarizedSplit(split, binarization, MNIST_BINARIZATION_SEEDS[split.split]),
    );
    const settings: ExperimentSettings = {
      latent: o.latent,
      epochs: o.epochs,
      batchSize: o['batch-size'],
      learningRate: o.lr,
      iwSamples: o['iw-samples'],
      limit: o.limit,
      seed: o.seed,
      quiet: o.quiet === true,
      // Only when not the default, so that results.json of earlier runs still resumes.
      ...(binarization === 'stochastic' ? { binarization } : {}),
    };
    const out = o.out;
    const results: RunResult[] = [];
    const done = new Set<string>();
    if (o.resume) {
      const { readFile } = await import('node:fs/promises');
      try {
        const previous = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as { runs: RunResult[]; settings: ExperimentSettings };
        if (JSON.stringify({ ...previous.settings, quiet: false }) === JSON.stringify({ ...settings, quiet: false })) {
          for (const r of previous.runs) {
            results.push(r);
            done.add(`${r.prior}/${r.run}`);
          }
        } else {
          console.error('note: settings differ from the previous results.json; finished runs are redone');
        }
      } catch {
        // no previous results: start fresh, but still resume from checkpoints
      }
    }
    // Before any training: every checkpoint this resume would continue holds a VAE with no more epochs than --epochs.
    if (o.resume) {
      for (const prior of priors) {
        for (let run = 0; run < o.runs; run++) {
          const dir = join(out, prior, `run-${run + 1}`, 'checkpoint');
          if (!done.has(`${prior}/${run}`) && (await hasCheckpoint(dir))) checkResumedEpochs(dir, (await checkVaeCheckpoint(dir)).epoch, o.epochs);
        }
      }
    }
    for (const prior of priors) {
      for (let run = 0; run < o.runs; run++) {
        if (done.has(`${prior}/${run}`)) {
          console.error(`${prior} run ${run + 1}: already done`);
          continue;
        }
        const { vae, result } = await trainOne(prior, run, train, test, settings, join(out, prior, `run-${run + 1}`), o.resume === true);
        results.push(result);
        console.error(
          `${prior} run ${run + 1}: test ELBO ${result.testElbo.toFixed(2)}  IWAE(k=${result.iwSamples}) ${result.testIwae.toFixed(2)} nats  (${result.seconds.toFixed(0)} s)`,
        );
        if (run === 0) await writePictures(join(out, prior), prior, vae, test, settings.limit);
        vae.dispose();
        await writeFileAtomic(
          join(out, 'results.json'),
          `${JSON.stringify({ settings, backend: backend.name, runs: results, summary: summarize(results) }, null, 2)}\n`,
        );
      }
    }
    const table = markdownTable(results, settings);
    await writeFileAtomic(join(out, 'results.md'), `${table}\n`);
    const { readFile } = await import('node:fs/promises');
    const panels: FigureSpec[] = [];
    for (const prior of priors)
      panels.push(posteriorFigure(JSON.parse(await readFile(join(out, prior, 'posterior-vs-prior.json'), 'utf8')) as PosteriorProjection));
    const figure = await writeFigure(
      join(out, 'posterior-vs-prior'),
      sideBySideFigure("aggregate posterior q(z) against the prior p(z), on the posterior samples' first two principal components", panels),
      writeFileAtomic,
    );
    console.log(
      `${table}\n\npanels (${priors.join(', ')}): ${figure}\nper prior: ${join(out, '<prior>', 'samples.png')}, reconstructions.png\nresults: ${join(out, 'results.json')}`,
    );
  } finally {
    await runLock.release();
  }
}

export async function trainCommand(argv: string[]): Promise<void> {
  const o = parseOptions(argv, TRAIN_OPTIONS);
  if (o.help) return void console.log(TRAIN_HELP);
  await runPriors([o.prior], o);
}

export async function compareCommand(argv: string[]): Promise<void> {
  const o = parseOptions(argv, COMPARE_OPTIONS);
  if (o.help) return void console.log(COMPARE_HELP);
  await runPriors(parsePriors(String(o.priors)), o);
}
