import { denseMultiplyAdds, parseOptions, startBackend, UsageError } from '@flows/cli-kit';
import { TOY_NAMES } from '@flows/datasets';
import { acquireRunLock, schedules, toyFlow, type ToyFlowKind, toyScheduleOptions } from '@flows/flows';
import { trainOnTarget } from './fit-target.js';
import { CNF_FLOW } from './continuous-toy-flow.js';
import { defaultTestSize, TRAIN_HELP, TRAIN_OPTIONS } from './train-options.js';
import { trainOnData } from './train-on-data.js';
import { budgetWarning, trainingBudget } from './training-budget.js';

export { TRAIN_HELP, TRAIN_OPTIONS } from './train-options.js';

/**
 * What `--flow cnf` trains on: a built-in toy, by flow matching. Reverse KL would solve the ODE
 * with its trace at every step (not written yet), the toys' labels would need a conditional field
 * and CSV data their standardisation in the flow; each is refused with the flags that work.
 */
function checkContinuousRun(data: string | undefined, target: string | undefined, conditional: boolean): void {
  if (target !== undefined) throw new UsageError('--flow cnf trains by flow matching on --data (a toy); for --target use another --flow');
  if (conditional) throw new UsageError('--flow cnf trains unconditional flows; leave out --conditional or use another --flow');
  if (data !== undefined && !TOY_NAMES.includes(data)) {
    throw new UsageError(`--flow cnf trains on the built-in toys (${TOY_NAMES.join(', ')}); for the points of ${data} use another --flow`);
  }
}

/**
 * `toy-flow train`: checks the options, takes the run lock of `--out`, starts the backend, then
 * trains on data (`train-on-data.ts`) or on a target density by reverse KL (`fit-target.ts`).
 */
export async function train(argv: string[]): Promise<void> {
  const o = parseOptions(argv, TRAIN_OPTIONS);
  if (o.help) {
    console.log(TRAIN_HELP);
    return;
  }
  const started = performance.now();
  if ((o.data === undefined) === (o.target === undefined))
    throw new UsageError('give either --data (density estimation) or --target (reverse KL), not both or neither');
  if (o.conditional && o.target !== undefined) throw new UsageError('--conditional goes with --data (labelled toy samples), not --target');
  if (o.flow === CNF_FLOW) checkContinuousRun(o.data, o.target, Boolean(o.conditional));
  else if (o.objective !== undefined) {
    throw new UsageError(
      `--objective ${o.objective} chooses how a continuous flow trains (--flow cnf); --flow ${o.flow} has one objective (maximum likelihood on --data, reverse KL on --target): leave out --objective, or use --flow cnf`,
    );
  }
  // The output directory is checked (created, probe-written) and locked before any work: an
  // unwritable --out fails now, not after training, and a second run into it is refused.
  const runLock = await acquireRunLock(o.out, 'toy-flow train', undefined, { outputs: [/^(density|samples|training)\.(svg|png)$/] });
  try {
    // A step's matrix work decides whether threads pay (bench/results.md): for the toys they do not.
    const backend = await startBackend(o, 2 * o.layers * denseMultiplyAdds([2, ...o.hidden, 2]) * o['batch-size']);
    const learningRateFor = (steps: number) => (o.schedule === 'cosine' ? schedules.cosine(o.lr, steps, toyScheduleOptions(steps)) : o.lr);
    if (o.data !== undefined) {
      await trainOnData({ ...o, data: o.data }, { backend: backend.name, learningRateFor, started });
      return;
    }
    const targetName = o.target as string;
    const batchSize = o['batch-size'];
    const budget = trainingBudget({ epochs: o.epochs, steps: o.steps, size: o['train-size'], batchSize, fresh: true });
    // A run too short to converge is said to be so before it starts.
    const warning = budgetWarning(budget, `--train-size ${o['train-size']}`, batchSize);
    if (warning && !o.quiet) console.error(`warning: ${warning}`);
    const steps = budget.steps;
    const settings = {
      target: targetName,
      flow: o.flow,
      layers: o.layers,
      hidden: o.hidden,
      steps,
      batchSize,
      learningRate: o.lr,
      schedule: o.schedule,
      seed: o.seed,
    };
    const model = toyFlow({
      flow: o.flow as ToyFlowKind,
      layers: o.layers,
      hidden: o.hidden,
      mask: o.mask,
      scaleTanh: !o['no-tanh'],
      bins: o.bins,
      bound: o.bound,
      seed: o.seed,
    });
    await trainOnTarget({
      targetName,
      model,
      steps,
      batchSize,
      learningRate: learningRateFor(steps),
      clipNorm: o['clip-norm'],
      seed: o.seed,
      evaluationSamples: o['test-size'] ?? defaultTestSize(o.flow),
      quiet: Boolean(o.quiet),
      out: o.out,
      backend: backend.name,
      settings,
      checkpointEvery: o['checkpoint-every'],
      resume: Boolean(o.resume),
    });
    model.dispose();
  } finally {
    await runLock.release();
  }
}
