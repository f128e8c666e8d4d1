/**
 * A toy density's check: the mean natural-log density of `points` draws of the toy `data` from the
 * generator seeded by `seed`, to `tolerance` (absolute, nats).
 */
export interface ToyCheck {
  kind: 'toy-log-density';
  data: string;
  points: number;
  seed: number;
  meanLogProb: number;
  tolerance: number;
}

/**
 * A VAE's check: the mean negative ELBO in nats of the first `images` MNIST test images, binarized
 * as `binarization` says (stochastically with the test images' seed of `MNIST_BINARIZATION_SEEDS`),
 * one z per image drawn with `Random(noise)`, to `tolerance` (absolute, nats).
 */
export interface BinarizedMnistCheck {
  kind: 'binarized-mnist-elbo';
  images: number;
  binarization: 'threshold' | 'stochastic';
  noise: number;
  negativeElboNats: number;
  tolerance: number;
}

/**
 * An MNIST density's check: the test bits per dimension of the first `images` MNIST test images,
 * dequantized with the fixed noise of `noiseSeed` (`imageBatches` of `@flows/datasets` with
 * `noise: 'fixed'`) and seen through the logit with `logitAlpha`, whose log-det is counted:
 * `bpd = (−log p(x)/784 + log 256)/log 2`, to `tolerance` (absolute, bits/dim). mnist-flow's
 * `eval --limit <images>` prints the same figure.
 */
export interface MnistDensityCheck {
  kind: 'mnist-bits-per-dim';
  images: number;
  noiseSeed: number;
  logitAlpha: number;
  bitsPerDim: number;
  tolerance: number;
}

/**
 * An integer discrete flow's check (8-bit MNIST, for lossless coding): the negative log2-likelihood
 * per pixel of the first `images` MNIST test images as integers 0…255 (an integer flow's
 * log-probability is of a mass, so no dequantization and no bin width), to `tolerance` (absolute,
 * bits/dim); `flow-codec train` prints the same figure on its test images. `fileBytes` is the
 * length of the file `flow-codec compress --input mnist-test --limit <images>` writes with the
 * model: the codec's arithmetic is exact, so it is the same on every backend, and flow-codec's tests
 * check it and the round trip.
 */
export interface Mnist8BitCheck {
  kind: 'mnist-8bit-bits-per-dim';
  images: number;
  bitsPerDim: number;
  tolerance: number;
  fileBytes: number;
}

/**
 * What a shipped model says about itself: what it was trained on and how, the figure it reaches
 * and a check anyone can rerun. A card describes the files that ship, so its figures were
 * measured with them (weights at the precision stored).
 */
export interface ModelCard {
  /** The name to load it by (`loadPretrained(name)`, the apps' `--model pretrained:<name>`). */
  name: string;
  /** One line for listings. */
  title: string;
  /** The app whose commands take it (its `metadata.app`, or the app whose format it follows). */
  app: string;
  /** The data it was trained on, and how they are drawn. */
  data: string;
  /** What is done to the data before the model sees them ("none" for the toys). */
  preprocessing: string;
  /** The model in words: family, layers, widths, parameters. */
  architecture: string;
  /** The headline figure, as the app reports it on its full test set. */
  figure: { name: string; value: number; measuredOn: string };
  /** A figure on a fixed subset that a test recomputes from the shipped files, whatever the backend. */
  check: ToyCheck | BinarizedMnistCheck | MnistDensityCheck | Mnist8BitCheck;
  /** The command that trained it, from the repository's root. */
  command: string;
  /** How long the training took, and on what. */
  trainingTime: string;
  /** The precision the weights are stored in (`float16`: rounded from the trained float32 ones, the card measured with them). */
  precision: 'float32' | 'float16';
  /** Bytes on disk: the description and the weights. */
  sizeBytes: number;
}
