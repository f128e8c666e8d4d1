import { BACKEND_OPTIONS, defineOptions, describeOptions, type ParsedOptions } from '@flows/cli-kit';
import { ARCHITECTURES } from './mnist-model.js';
import { DATA_DIR_OPTION } from './options.js';

/** The logit preprocessing's α of the default run: Real NVP's and MAF's published MNIST setting. */
export const DEFAULT_LOGIT_ALPHA = 0.000001;

export const TRAIN_OPTIONS = defineOptions({
  out: { kind: 'string', required: true, description: 'run directory (checkpoint/, model/, metrics.json, samples-*.png)' },
  mask: {
    kind: 'string',
    choices: ['random', 'checkerboard'],
    default: 'checkerboard',
    description: 'random half per layer (drawn once, saved) or the Real NVP checkerboard, inverted each layer',
  },
  layers: { kind: 'positiveInteger', default: 6, description: 'coupling layers' },
  hidden: {
    kind: 'integerList',
    default: [256, 256],
    description: 'hidden widths of the scale and translation networks (tanh ends the scale network); cnf: of the vector field (swish)',
  },
  epochs: { kind: 'positiveInteger', default: 3, description: 'epochs over the 60 000 training images' },
  'batch-size': { kind: 'positiveInteger', default: 256, description: 'batch size' },
  lr: { kind: 'positiveNumber', default: 1e-3, description: 'Adam learning rate' },
  'lr-schedule': { kind: 'string', choices: ['constant', 'cosine'], default: 'cosine', description: 'cosine decay to lr/100 over all --epochs, or constant' },
  'clip-norm': { kind: 'positiveNumber', default: 100, description: 'clip the gradient norm' },
  'weight-decay': { kind: 'number', default: 0, description: 'decoupled weight decay (AdamW); the fully connected flows overfit MNIST on long runs' },
  'fixed-scale': { kind: 'boolean', description: 'plain s = tanh(raw), without the learnable per-pixel factor on the scale' },
  logit: {
    kind: 'positiveNumber',
    description: `the logit preprocessing of the published figures with this alpha (default ${DEFAULT_LOGIT_ALPHA}): x = (v + U)/256, y = logit(alpha + (1 - 2 alpha) x), log-det counted`,
  },
  'exercise-scaling': { kind: 'boolean', description: "the exercise's dequantization x = v/255 + U/255 instead of the logit (bpd with log 255)" },
  temperature: {
    kind: 'positiveNumber',
    default: 0.5,
    description: 'temperature of the sample grids: the base noise scaled by it (Glow, §5: a reduced temperature draws from where the density is high)',
  },
  limit: { kind: 'positiveInteger', description: 'use only the first N training and test images (quick runs)' },
  'test-limit': {
    kind: 'positiveInteger',
    description: "score only the first N test images after every epoch (a cnf's log-density is an ODE solve per batch; eval --limit scores a saved model)",
  },
  validation: {
    kind: 'nonNegativeInteger',
    default: 0,
    description:
      "hold out the last N training images, score them after every epoch, and keep the best epoch's weights in <out>/best-model (and at the end in <out>/model): early stopping without looking at the test set",
  },
  patience: { kind: 'positiveInteger', description: 'with --validation: stop after this many epochs without a better validation bpd' },
  seed: { kind: 'nonNegativeInteger', default: 0, description: 'seed for masks, weights, shuffles and noise' },
  resume: { kind: 'boolean', description: 'continue from <out>/checkpoint (same options as the first run; a finished run gets its missing final outputs)' },
  'allow-option-changes': {
    kind: 'boolean',
    description:
      'with --resume: continue although options differ from the checkpointed run (the checkpoint keeps its model and preprocessing; the other options apply from here on)',
  },
  architecture: {
    kind: 'string',
    choices: ARCHITECTURES,
    default: 'coupling',
    description:
      "fully connected couplings (exercise 2.5), a multi-scale Glow (squeezes, ActNorm, 1x1 convolutions, convolutional couplings, factor-out), or a continuous flow (cnf: an MLP vector field of --hidden on the pixels and the time, trained by flow matching; bits/dim through the ODE solver with Hutchinson's trace)",
  },
  'steps-per-level': { kind: 'positiveInteger', default: 4, description: 'multiscale: flow steps per level (2 levels: 28x28x1 → 14x14x4 → 7x7x8)' },
  channels: {
    kind: 'integerList',
    default: [32, 32],
    description: "multiscale: channels of the convolutional conditioners (with --conditioner gated-residual, one entry: the residual stream's channels)",
  },
  conditioner: {
    kind: 'string',
    choices: ['conv', 'gated-residual'],
    default: 'conv',
    description:
      "multiscale: the couplings' networks: ConvNets of --channels (Real NVP, Glow), or Flow++'s gated residual networks (--blocks blocks of h ← h + g1·sigmoid(g2), concatenated ELUs)",
  },
  blocks: { kind: 'positiveInteger', default: 2, description: 'multiscale with --conditioner gated-residual: gated residual blocks per network' },
  prior: {
    kind: 'string',
    choices: ['conditional', 'standard'],
    default: 'conditional',
    description:
      "multiscale: the prior of the factored-out channels: Glow's learned one (a normal whose mean and scale a convolution computes from the channels that go on; the last level's a learned diagonal normal), or Real NVP's standard normal",
  },
  dequantization: {
    kind: 'string',
    choices: ['uniform', 'variational'],
    default: 'uniform',
    description:
      "multiscale: uniform noise in each pixel's bin (Real NVP's), or Flow++'s variational dequantization: a flow q(u|x) of the noise (a convolutional normal given the image, then 2 couplings of 16 channels) trained with the flow on the bound E_q[log p(v/256 + u/256) − log q(u|x)], which the test figure then is; model/ is the flow on logits as in every run, q stays in the checkpoint",
  },
  conditional: {
    kind: 'boolean',
    description: 'a class-conditional flow: the one-hot digit label is the context of every coupling; grids show one row per digit',
  },
  'data-dir': DATA_DIR_OPTION,
  ...BACKEND_OPTIONS,
  quiet: { kind: 'boolean', description: 'no progress bar' },
});

export const TRAIN_HELP = `mnist-flow train: Real NVP with fully connected couplings on dequantized MNIST (exercise 2.5),
or (--architecture multiscale) a multi-scale Glow with convolutional couplings, or (--architecture cnf)
a continuous normalizing flow trained by flow matching.
After every epoch: the test bits per dimension on all test images (fixed noise), an 8 x 8 sample
grid, a checkpoint (atomic), and metrics.json. --resume continues a killed run.

Usage: mnist-flow train --out <dir> [options]

${describeOptions(TRAIN_OPTIONS)}`;

/** The parsed options of `mnist-flow train`. */
export type TrainOptions = ParsedOptions<typeof TRAIN_OPTIONS>;
