import { BACKEND_OPTIONS, defineOptions, describeOptions, type ParsedOptions } from '@flows/cli-kit';
import { TOY_NAMES } from '@flows/datasets';
import { MASK_STRATEGIES, TOY_FLOWS } from '@flows/flows';
import { CNF_FLOW, CNF_OBJECTIVES, CNF_TEST_SIZE, DEFAULT_CNF_OBJECTIVE } from './continuous-toy-flow.js';
import { TARGET_NAMES } from './fit-target.js';
import { DEFAULT_STEPS } from './training-budget.js';

/** Held-out toy samples of the test NLL of the toy model's flows. */
const DEFAULT_TEST_SIZE = 200_000;

/** The options of `toy-flow train`; the flows are the toy model's (`toyFlow` of `@flows/builders`), as the playground's are. */
export const TRAIN_OPTIONS = defineOptions({
  data: { kind: 'string', description: `a toy (${TOY_NAMES.join(', ')}) or a CSV file of points` },
  target: { kind: 'string', description: `instead of data: fit by reverse KL to a 2-D density known up to a constant (${TARGET_NAMES.join(', ')})` },
  conditional: { kind: 'boolean', description: 'condition the flow on the mixture component of each point (two-gaussians, eight-gaussians)' },
  out: { kind: 'string', required: true, description: 'output directory (model/, metrics.json, density, samples and training pictures as .svg and .png)' },
  flow: {
    kind: 'string',
    // The toy model's flows (the playground's too), and a continuous flow of @flows/continuous.
    choices: [...TOY_FLOWS, CNF_FLOW],
    default: 'realnvp',
    description:
      'affine (Real NVP) or additive (NICE) couplings, MAF, rational-quadratic spline couplings, spline MAF, or a continuous flow (cnf: built-in toys only; --hidden sizes its vector field, --objective says how it trains)',
  },
  objective: {
    // No default in the parser: given with another --flow it is refused, not ignored.
    kind: 'string',
    choices: CNF_OBJECTIVES,
    description: `--flow cnf only: how it trains: flow-matching (conditional flow matching, simulation-free) or likelihood (maximum likelihood through the solver, FFJORD: backpropagates through 8 Runge-Kutta 4 steps with the exact trace, many times a flow-matching step's cost) (default ${DEFAULT_CNF_OBJECTIVE}; --resume keeps the checkpoint's)`,
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
  'test-size': {
    kind: 'positiveInteger',
    description: `held-out samples for the test NLL (toys; default ${DEFAULT_TEST_SIZE}, ${CNF_TEST_SIZE} for --flow cnf, whose log-densities are ODE solves)`,
  },
  seed: { kind: 'nonNegativeInteger', default: 0, description: 'seed for masks, weights, data and noise' },
  ...BACKEND_OPTIONS,
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
  toy-flow train --data two-gaussians --out runs/cnf --flow cnf --hidden 128,128,128 --steps 30000 --batch-size 512
  toy-flow train --data two-gaussians --out runs/cnf-ml --flow cnf --objective likelihood --steps 1000 --batch-size 256
  toy-flow train --target u3 --out runs/u3 --flow spline --train-size 1000000`;

/** `--test-size` when it is not given: each of a continuous flow's test points costs an ODE solve. */
export function defaultTestSize(flow: string): number {
  return flow === CNF_FLOW ? CNF_TEST_SIZE : DEFAULT_TEST_SIZE;
}

/** The parsed options of `toy-flow train`. */
export type TrainArguments = ParsedOptions<typeof TRAIN_OPTIONS>;
