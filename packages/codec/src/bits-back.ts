import { exactExp, exactLog, exactSqrt } from './exact-math.js';
import { bucketBits, gaussianBucketWindow, type BucketWindow, type BucketWindowOptions, LatentLattice, popBucket, pushBucket } from './latent-lattice.js';
import { quantizeProbabilities, type QuantizedDistribution } from './quantized-distribution.js';
import { MAX_PRECISION, RansError, RansStack, type SymbolInterval, type SymbolLookup } from './rans.js';

/**
 * A prior over the coded latent coordinates y:
 *
 * - `standard-normal`: every lattice bucket has probability exactly 1/B;
 * - `mixture`: p(y) = Σ_k π_k Π_i N(y_i; m_ki, s_ki²) (the mixture and VampPrior priors), the
 *   component k coded by a second bits-back step: popped from Q(k | y), pushed under π;
 * - `flow`: p(y) the density of y = f(u), u ~ N(0, I), for a bijection f (a flow prior), coded by
 *   local bits-back coding (Ho, Lohn and Abbeel 2019): u is an auxiliary latent on a lattice of its
 *   own with y | u ~ N(f(u), diag σ_n²), σ_n a few lattice buckets wide where f(u) falls. The
 *   encoder pops u from r(u | y) = N(f⁻¹(y), J diag(σ_n²) Jᵀ), J the Jacobian of f⁻¹ at y (the
 *   posterior of u under the linearised f, exact as σ_n → 0), then pushes y under N(f(u), diag σ_n²)
 *   and u under N(0, I). Per item this costs about −log₂ p_f(y) − log₂ |cell of y|, the flow's own
 *   density, when f is nearly linear over σ_n.
 */
export type BitsBackPrior =
  | { kind: 'standard-normal' }
  | {
      kind: 'mixture';
      /** Mixture weights π_k (any non-negative numbers; normalised). */
      weights: ArrayLike<number>;
      /** Component means, K × M row-major. */
      means: ArrayLike<number>;
      /** Component standard deviations, K × M row-major. */
      stds: ArrayLike<number>;
    }
  | {
      kind: 'flow';
      /** f(u): the flow's sampling direction, base to latent. */
      forward(base: Float64Array): ArrayLike<number>;
      /** f⁻¹(y) and J = ∂f⁻¹/∂y there (M × M row-major, J[j][i] = ∂u_j/∂y_i). */
      inverse(latent: Float64Array): { base: ArrayLike<number>; jacobian: ArrayLike<number> };
      /**
       * σ_n: a fixed standard deviation, or (`noiseInBuckets`) so many widths of y's lattice bucket
       * where it falls. Small enough for f to be nearly linear over it, several buckets wide so that
       * the lattice resolves N(f(u), σ_n²). Default: 8 buckets.
       */
      noiseStd?: number;
      noiseInBuckets?: number;
      /** The base's lattice: 2^bits buckets per coordinate (default 16; u is known to about σ_n there). */
      baseBits?: number;
    };

/** A Gaussian q(y | x) = N(mean, L Lᵀ) over the coded latent coordinates, L lower-triangular. */
export interface BitsBackPosterior {
  mean: ArrayLike<number>;
  /** The diagonal standard deviations, for a diagonal posterior (give this or `scaleTril`). */
  scale?: ArrayLike<number>;
  /** L, M × M row-major, lower-triangular with a positive diagonal (a full covariance L Lᵀ). */
  scaleTril?: ArrayLike<number>;
}

/**
 * A latent-variable model of binary vectors x ∈ {0, 1}^D, as bits-back coding sees it: a prior over
 * M continuous latents y, a Gaussian posterior q(y | x), and a Bernoulli likelihood p(x | y).
 *
 * Encoder and decoder call `posterior` and `likelihood` with the same arguments and must get the
 * same numbers back (bit for bit): call the networks in the same way on both sides (same backend,
 * one item per call). Any mismatch is caught by the digest of the decoded data, never written silently.
 */
export interface BitsBackModel {
  latentSize: number;
  observationSize: number;
  prior: BitsBackPrior;
  /** q(y | x) for one binary vector x. */
  posterior(observation: Uint8Array): BitsBackPosterior;
  /** P(x_d = 1 | y) for every d, at the lattice point y (bucket centres). */
  likelihood(latent: Float64Array): ArrayLike<number>;
}

/** How latents are discretised and how much is borrowed to start the chain. */
export interface BitsBackOptions {
  /** The lattice: 2^latentBits buckets per latent coordinate (default 12). */
  latentBits?: number;
  /**
   * The lattice's scale s: buckets of equal mass under N(0, s²) (default 1). Must be 1 for the
   * standard normal prior (whose cost is then exact); wider for latents spread wider, as under a flow prior.
   */
  latentScale?: number;
  /**
   * The seed: pseudo-random 32-bit words below the message, which the first item's posterior pops
   * read (bits-back needs bits to pop before it has pushed any). Encoding draws them as deep as the
   * pops reach (at least this many, default 2: the state's two words) and returns how many it drew;
   * decoding checks that exactly those come back (when given, that there were this many). 2 to 2^20.
   */
  initialWords?: number;
  /** The seed of those words (default 0); decoding needs the same. */
  initialSeed?: number;
  /** How the posterior's and the mixture components' Gaussians are windowed on the lattice. */
  window?: BucketWindowOptions;
  /** Called after each item with the number done. */
  onProgress?: (done: number, total: number) => void;
}

/** Where the bits of a bits-back message went, summed over items (in bits). */
export interface BitsBackAccount {
  /** −log₂ p(x | y) at the quantised Bernoulli probabilities. */
  observation: number;
  /** −log₂ P(y) (and −log₂ π_k for a mixture). */
  prior: number;
  /** log₂ Q(y | x): the bits got back from the posterior. */
  posterior: number;
  /** log₂ Q(k | y) for a mixture, log₂ R(u | y) for a flow: the bits got back from the prior's auxiliary variable. */
  auxiliary: number;
}

const BERNOULLI_PRECISION = MAX_PRECISION;
const BERNOULLI_TOTAL = 2 ** BERNOULLI_PRECISION;

/**
 * Bernoulli(p) without a table: P(1) = f/2^16 with f = round(p · 2^16) kept in 1…2^16 − 1, so
 * either value can always be coded. One mutable instance serves every pixel (millions per data set).
 */
class BernoulliLookup implements SymbolLookup {
  readonly precision = BERNOULLI_PRECISION;
  private zeroFrequency = BERNOULLI_TOTAL / 2;

  set(probabilityOfOne: number): this {
    if (!(probabilityOfOne >= 0 && probabilityOfOne <= 1)) throw new RangeError(`a Bernoulli probability must be in [0, 1], got ${probabilityOfOne}`);
    const one = Math.min(BERNOULLI_TOTAL - 1, Math.max(1, Math.round(probabilityOfOne * BERNOULLI_TOTAL)));
    this.zeroFrequency = BERNOULLI_TOTAL - one;
    return this;
  }

  interval(symbol: number): SymbolInterval {
    return symbol === 0 ? { start: 0, frequency: this.zeroFrequency } : { start: this.zeroFrequency, frequency: BERNOULLI_TOTAL - this.zeroFrequency };
  }

  symbolOf(slot: number): number {
    return slot < this.zeroFrequency ? 0 : 1;
  }

  bits(symbol: number): number {
    return BERNOULLI_PRECISION - Math.log2(this.interval(symbol).frequency);
  }
}

/** The most initial words a message may start on (4 MiB of them): the decoder makes as many. */
export const MAX_INITIAL_WORDS = 2 ** 20;

/** `initialWords` of the options (default 2), checked: a whole number from 2 to 2^20. */
function checkInitialWords(value: number | undefined): number {
  const words = value ?? 2;
  if (!(Number.isInteger(words) && words >= 2 && words <= MAX_INITIAL_WORDS))
    throw new RangeError(`initialWords must be a whole number from 2 to 2^20, got ${words}`);
  return words;
}

/**
 * The seed stream (mulberry32 from `seed`): word 0 and 1 are the message's first state (the high
 * word made odd, so never 0), words 2, 3, … lie below it in that order, word 2 on top, as an endless
 * stack that encoding reads only as deep as it needs.
 */
export class SeedStream {
  private state: number;
  drawn = 0;

  constructor(seed = 0) {
    this.state = (0x5eed1e55 + Math.imul(seed, 0x9e3779b9)) >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const word = (t ^ (t >>> 14)) >>> 0;
    return this.drawn++ === 0 ? (word | 1) >>> 0 : word;
  }

  /** The message's words as {@link RansStack} holds them when `count` seed words lie under it and nothing else: words count−1 … 2, then the state. */
  static layout(count: number, seed = 0): Uint32Array {
    const stream = new SeedStream(seed);
    const drawn = Array.from({ length: count }, () => stream.next());
    return Uint32Array.from([...drawn.slice(2).reverse(), drawn[0], drawn[1]]);
  }
}

/**
 * The prior's side of each item, around an auxiliary variable a (none for the standard normal, the
 * component k for a mixture, the base point u for a flow): after y is popped from the posterior,
 * `popAuxiliary` takes a from its posterior given y; after x is pushed, `push` pushes y given a and
 * then a under its prior. Decoding runs the mirror: `pop` (a, then y), and later `pushAuxiliary`.
 */
class PriorCoder {
  private readonly weights?: QuantizedDistribution;
  private readonly logWeights?: Float64Array;
  private readonly components: number;
  private readonly baseLattice?: LatentLattice;
  private readonly noiseInBuckets: number = 8;

  constructor(
    private readonly prior: BitsBackPrior,
    private readonly lattice: LatentLattice,
    private readonly latentSize: number,
    private readonly window: BucketWindowOptions,
  ) {
    this.components = 1;
    if (prior.kind === 'standard-normal' && lattice.scale !== 1)
      throw new RangeError(`the standard normal prior codes on the lattice of scale 1, not ${lattice.scale}`);
    if (prior.kind === 'flow') {
      this.noiseInBuckets = prior.noiseInBuckets ?? 8;
      if (!(this.noiseInBuckets > 0 && Number.isFinite(this.noiseInBuckets)))
        throw new RangeError(`a flow prior's noiseInBuckets must be finite and > 0, got ${prior.noiseInBuckets}`);
      if (prior.noiseStd !== undefined && !(prior.noiseStd > 0 && Number.isFinite(prior.noiseStd)))
        throw new RangeError(`a flow prior's noiseStd must be finite and > 0, got ${prior.noiseStd}`);
      this.baseLattice = new LatentLattice(prior.baseBits ?? 16);
      return;
    }
    if (prior.kind !== 'mixture') return;
    const k = prior.weights.length;
    if (k < 1 || prior.means.length !== k * latentSize || prior.stds.length !== k * latentSize)
      throw new RangeError(
        `a mixture prior over ${latentSize} latents with ${k} weights needs ${k * latentSize} means and stds, got ${prior.means.length} and ${prior.stds.length}`,
      );
    this.components = k;
    this.weights = quantizeProbabilities(prior.weights, MAX_PRECISION);
    let sum = 0;
    for (let j = 0; j < k; j++) sum += prior.weights[j];
    this.logWeights = Float64Array.from({ length: k }, (_, j) => exactLog(prior.weights[j] / sum));
  }

  private componentWindow(component: number, coordinate: number): BucketWindow {
    const prior = this.prior as Extract<BitsBackPrior, { kind: 'mixture' }>;
    const at = component * this.latentSize + coordinate;
    return gaussianBucketWindow(this.lattice, prior.means[at], prior.stds[at], this.window);
  }

  /**
   * Q(k | y) = π_k P(y | k) / Σ_j π_j P(y | j), the exact posterior of the component given the
   * buckets: popping k from it and pushing k under π gets back what coding k cost, so a mixture
   * costs −log₂ Σ_k π_k P(y | k), its own probability of the buckets.
   */
  private componentPosterior(buckets: Int32Array): QuantizedDistribution {
    const prior = this.prior as Extract<BitsBackPrior, { kind: 'mixture' }>;
    const logJoint = new Float64Array(this.components);
    let largest = -Infinity;
    for (let k = 0; k < this.components; k++) {
      let total = (this.logWeights as Float64Array)[k];
      for (let i = 0; i < this.latentSize; i++) {
        const at = k * this.latentSize + i;
        total += this.lattice.logGaussianMass(buckets[i], prior.means[at], prior.stds[at]);
      }
      logJoint[k] = total;
      largest = Math.max(largest, total);
    }
    return quantizeProbabilities(
      Array.from(logJoint, (value) => exactExp(value - largest)),
      MAX_PRECISION,
    );
  }

  /** σ_n at a point of y's lattice: `noiseInBuckets` widths of its bucket (an end bucket, unbounded, takes its neighbour's). */
  private noiseAt(bucket: number): number {
    const fixed = (this.prior as Extract<BitsBackPrior, { kind: 'flow' }>).noiseStd;
    if (fixed !== undefined) return fixed;
    const inner = Math.min(this.lattice.buckets - 2, Math.max(1, bucket));
    return this.noiseInBuckets * (this.lattice.edges[inner + 1] - this.lattice.edges[inner]);
  }

  /** r(u | y) = N(f⁻¹(y), J diag(σ_n²) Jᵀ) of a flow prior, as a posterior coder on the base's lattice. */
  private localPosterior(buckets: Int32Array): PosteriorCoder {
    const prior = this.prior as Extract<BitsBackPrior, { kind: 'flow' }>;
    const m = this.latentSize;
    const { base, jacobian } = prior.inverse(Float64Array.from(buckets, (bucket) => this.lattice.centres[bucket]));
    if (base.length !== m || jacobian.length !== m * m)
      throw new RangeError(`the flow prior's inverse gave ${base.length} values and a Jacobian of ${jacobian.length}; expected ${m} and ${m * m}`);
    const columns = Float64Array.from({ length: m * m }, (_, at) => jacobian[at] * this.noiseAt(buckets[at % m]));
    return new PosteriorCoder({ mean: base, scaleTril: choleskyOfProduct(columns, m) }, m, this.baseLattice as LatentLattice, this.window);
  }

  /** The windows of y | u ~ N(f(u), diag σ_n²) on y's lattice. */
  private noiseWindows(base: Int32Array): BucketWindow[] {
    const prior = this.prior as Extract<BitsBackPrior, { kind: 'flow' }>;
    const lattice = this.baseLattice as LatentLattice;
    const centre = prior.forward(Float64Array.from(base, (bucket) => lattice.centres[bucket]));
    if (centre.length !== this.latentSize) throw new RangeError(`the flow prior's forward gave ${centre.length} values for ${this.latentSize} latents`);
    return Array.from({ length: this.latentSize }, (_, i) => {
      if (!Number.isFinite(centre[i])) throw new RangeError(`the flow prior's forward gave ${centre[i]} at coordinate ${i}`);
      return gaussianBucketWindow(this.lattice, centre[i], this.noiseAt(this.lattice.bucketOf(centre[i])), this.window);
    });
  }

  /** Pops the auxiliary variable given the buckets of y; returns it and the bits got back. */
  popAuxiliary(stack: RansStack, buckets: Int32Array): { auxiliary: number | Int32Array; bits: number } {
    if (this.prior.kind === 'mixture') {
      const components = this.componentPosterior(buckets);
      const component = stack.pop(components);
      return { auxiliary: component, bits: components.bits(component) };
    }
    if (this.prior.kind === 'flow') {
      const base = new Int32Array(this.latentSize);
      const bits = this.localPosterior(buckets).pop(stack, base);
      return { auxiliary: base, bits };
    }
    return { auxiliary: 0, bits: 0 };
  }

  /** Pushes the auxiliary variable back under its posterior given y (decoding). */
  pushAuxiliary(stack: RansStack, buckets: Int32Array, auxiliary: number | Int32Array): void {
    if (this.prior.kind === 'mixture') {
      const components = this.componentPosterior(buckets);
      stack.push(components.interval(auxiliary as number), components.precision);
    } else if (this.prior.kind === 'flow') {
      this.localPosterior(buckets).push(stack, auxiliary as Int32Array);
    }
  }

  /** Pushes y given the auxiliary variable, then the auxiliary variable under its prior; returns the bits. */
  push(stack: RansStack, buckets: Int32Array, auxiliary: number | Int32Array): number {
    let bits = 0;
    if (this.prior.kind === 'standard-normal') {
      for (let i = this.latentSize - 1; i >= 0; i--) stack.push({ start: buckets[i], frequency: 1 }, this.lattice.bits);
      return this.latentSize * this.lattice.bits;
    }
    if (this.prior.kind === 'flow') {
      const base = auxiliary as Int32Array;
      const windows = this.noiseWindows(base);
      for (let i = this.latentSize - 1; i >= 0; i--) {
        pushBucket(stack, buckets[i], windows[i], this.lattice);
        bits += bucketBits(buckets[i], windows[i], this.lattice);
      }
      const baseBits = (this.baseLattice as LatentLattice).bits;
      for (let i = this.latentSize - 1; i >= 0; i--) stack.push({ start: base[i], frequency: 1 }, baseBits);
      return bits + this.latentSize * baseBits;
    }
    const component = auxiliary as number;
    for (let i = this.latentSize - 1; i >= 0; i--) {
      const window = this.componentWindow(component, i);
      pushBucket(stack, buckets[i], window, this.lattice);
      bits += bucketBits(buckets[i], window, this.lattice);
    }
    const weights = this.weights as QuantizedDistribution;
    stack.push(weights.interval(component), weights.precision);
    return bits + weights.bits(component);
  }

  /** Pops what {@link push} pushed: the auxiliary variable, then the buckets of y. */
  pop(stack: RansStack, buckets: Int32Array): number | Int32Array {
    const uniform = (bits: number): SymbolLookup => ({ precision: bits, symbolOf: (slot) => slot, interval: (symbol) => ({ start: symbol, frequency: 1 }) });
    if (this.prior.kind === 'standard-normal') {
      const lookup = uniform(this.lattice.bits);
      for (let i = 0; i < this.latentSize; i++) buckets[i] = stack.pop(lookup);
      return 0;
    }
    if (this.prior.kind === 'flow') {
      const lookup = uniform((this.baseLattice as LatentLattice).bits);
      const base = new Int32Array(this.latentSize);
      for (let i = 0; i < this.latentSize; i++) base[i] = stack.pop(lookup);
      const windows = this.noiseWindows(base);
      for (let i = 0; i < this.latentSize; i++) buckets[i] = popBucket(stack, windows[i], this.lattice);
      return base;
    }
    const component = stack.pop(this.weights as QuantizedDistribution);
    for (let i = 0; i < this.latentSize; i++) buckets[i] = popBucket(stack, this.componentWindow(component, i), this.lattice);
    return component;
  }
}

/**
 * The autoregressive factors of q(y | x) = N(μ, L Lᵀ) on the lattice: y_i given the buckets
 * already chosen for y_0…y_{i−1} is N(μ_i + Σ_{j<i} L_ij ε_j, L_ii²), with ε_j = (ȳ_j − μ_j −
 * Σ_{k<j} L_jk ε_k)/L_jj from the bucket centres ȳ_j. The encoder pops the buckets in this order;
 * the decoder rebuilds the same windows from the same buckets and pushes them back in reverse.
 */
class PosteriorCoder {
  private readonly mean: ArrayLike<number>;
  private readonly tril: Float64Array;
  private readonly noise: Float64Array;

  constructor(
    posterior: BitsBackPosterior,
    private readonly latentSize: number,
    private readonly lattice: LatentLattice,
    private readonly window: BucketWindowOptions,
  ) {
    const m = latentSize;
    if (posterior.mean.length !== m) throw new RangeError(`the posterior's mean has ${posterior.mean.length} values, not the ${m} latents`);
    this.mean = posterior.mean;
    this.tril = new Float64Array(m * m);
    if (posterior.scaleTril) {
      if (posterior.scaleTril.length !== m * m) throw new RangeError(`the posterior's scaleTril has ${posterior.scaleTril.length} values, not ${m} × ${m}`);
      for (let i = 0; i < m; i++) for (let j = 0; j <= i; j++) this.tril[i * m + j] = posterior.scaleTril[i * m + j];
    } else if (posterior.scale) {
      if (posterior.scale.length !== m) throw new RangeError(`the posterior's scale has ${posterior.scale.length} values, not the ${m} latents`);
      for (let i = 0; i < m; i++) this.tril[i * m + i] = posterior.scale[i];
    } else {
      throw new RangeError('a posterior needs `scale` or `scaleTril`');
    }
    for (let i = 0; i < m; i++) {
      const value = this.tril[i * m + i];
      if (!(value > 0 && Number.isFinite(value))) throw new RangeError(`the posterior's scale ${i} is ${value}: it must be finite and > 0`);
    }
    this.noise = new Float64Array(m);
  }

  /** The conditional mean of coordinate i given ε_0…ε_{i−1}, and its window on the lattice. */
  private windowAt(i: number): { centre: number; window: BucketWindow } {
    const m = this.latentSize;
    let centre = this.mean[i];
    for (let j = 0; j < i; j++) centre += this.tril[i * m + j] * this.noise[j];
    return { centre, window: gaussianBucketWindow(this.lattice, centre, this.tril[i * m + i], this.window) };
  }

  /** ε_i from the bucket chosen for coordinate i. */
  private record(i: number, centre: number, bucket: number): void {
    this.noise[i] = (this.lattice.centres[bucket] - centre) / this.tril[i * this.latentSize + i];
  }

  /** Pops y_0…y_{M−1} into `buckets`; returns the bits got back. */
  pop(stack: RansStack, buckets: Int32Array): number {
    let bits = 0;
    for (let i = 0; i < this.latentSize; i++) {
      const { centre, window } = this.windowAt(i);
      buckets[i] = popBucket(stack, window, this.lattice);
      bits += bucketBits(buckets[i], window, this.lattice);
      this.record(i, centre, buckets[i]);
    }
    return bits;
  }

  /** Pushes the buckets back, y_{M−1} first, so that a pop finds them in order. */
  push(stack: RansStack, buckets: Int32Array): void {
    const windows: BucketWindow[] = [];
    for (let i = 0; i < this.latentSize; i++) {
      const { centre, window } = this.windowAt(i);
      windows.push(window);
      this.record(i, centre, buckets[i]);
    }
    for (let i = this.latentSize - 1; i >= 0; i--) pushBucket(stack, buckets[i], windows[i], this.lattice);
  }
}

function checkObservation(observation: Uint8Array, size: number, index: number): void {
  if (observation.length !== size) throw new RangeError(`item ${index} has ${observation.length} values; the model codes ${size}`);
  for (let d = 0; d < size; d++) {
    if (observation[d] > 1) throw new RangeError(`item ${index} has the value ${observation[d]} at ${d}: bits-back coding here is for binary data (0 or 1)`);
  }
}

function checkedProbabilities(model: BitsBackModel, latent: Float64Array): ArrayLike<number> {
  const probabilities = model.likelihood(latent);
  if (probabilities.length !== model.observationSize)
    throw new RangeError(`the likelihood gave ${probabilities.length} probabilities for ${model.observationSize} values`);
  return probabilities;
}

/**
 * Bits-back coding with asymmetric numeral systems (BB-ANS; Townsend, Bird and Barber 2019) of
 * binary vectors under a latent-variable model. For each item x, in order:
 *
 * 1. pop y ~ q(y | x) from the message (its buckets on the lattice), which takes −log₂ Q(y | x) bits back;
 * 2. for a mixture prior, pop the component k ~ Q(k | y); for a flow prior, the base point u ~ r(u | y);
 * 3. push x under p(x | y), costing −log₂ p(x | y);
 * 4. push y under the prior (for a mixture: under component k, then k under π; for a flow: under
 *    N(f(u), σ_n² I), then u under N(0, I)).
 *
 * Each item adds −log₂ p(x | y) − log₂ P(y) + log₂ Q(y | x) bits (P(y) the prior's own probability
 * of y's buckets, its auxiliary variable's bits given back), the negative ELBO in bits with one
 * latent draw, up to the lattice's and the quantisation's small losses. The chain starts on a
 * seed of fixed pseudo-random words, which the first item's pops read: drawn as the pops need them
 * (a model with many latents needs more), never a fixed number that a large model could exhaust.
 * They are counted in the message and come back intact when decoding ends, which
 * {@link decodeBitsBack} checks; `initialWords` says how many were drawn (the file overhead of
 * bits-back coding, with the final state: `32 · initialWords` bits).
 */
export function encodeBitsBack(
  model: BitsBackModel,
  items: readonly Uint8Array[],
  options: BitsBackOptions = {},
): { message: Uint8Array; account: BitsBackAccount; initialWords: number } {
  const lattice = new LatentLattice(options.latentBits ?? 12, options.latentScale ?? 1);
  const window = options.window ?? {};
  const m = model.latentSize;
  const priorCoder = new PriorCoder(model.prior, lattice, m, window);
  const words = checkInitialWords(options.initialWords);
  const seed = new SeedStream(options.initialSeed);
  const upfront = Array.from({ length: words }, () => seed.next());
  const stack = new RansStack([...upfront.slice(2).reverse(), upfront[0], upfront[1]], {
    refill: () => {
      if (seed.drawn >= MAX_INITIAL_WORDS)
        throw new RangeError(`the first items' pops need more than 2^20 seed words: the posterior is not one that bits-back coding can start on`);
      return seed.next();
    },
  });
  const account: BitsBackAccount = { observation: 0, prior: 0, posterior: 0, auxiliary: 0 };
  const bernoulli = new BernoulliLookup();
  const buckets = new Int32Array(m);
  const latent = new Float64Array(m);
  for (const [index, observation] of items.entries()) {
    checkObservation(observation, model.observationSize, index);
    account.posterior += new PosteriorCoder(model.posterior(observation), m, lattice, window).pop(stack, buckets);
    const { auxiliary, bits } = priorCoder.popAuxiliary(stack, buckets);
    account.auxiliary += bits;
    for (let i = 0; i < m; i++) latent[i] = lattice.centres[buckets[i]];
    const probabilities = checkedProbabilities(model, latent);
    for (let d = model.observationSize - 1; d >= 0; d--) {
      bernoulli.set(probabilities[d]);
      stack.push(bernoulli.interval(observation[d]), BERNOULLI_PRECISION);
      account.observation += bernoulli.bits(observation[d]);
    }
    account.prior += priorCoder.push(stack, buckets, auxiliary);
    options.onProgress?.(index + 1, items.length);
  }
  return { message: stack.toBytes(), account, initialWords: seed.drawn };
}

/**
 * Decodes `count` items from a message of {@link encodeBitsBack} with the same model and options:
 * the steps run backwards, last item first. Throws a {@link RansError} when the message ends early
 * or does not come back to its initial words (a corrupt message, or another model).
 */
export function decodeBitsBack(model: BitsBackModel, message: Uint8Array, count: number, options: BitsBackOptions = {}): Uint8Array[] {
  // Checked before anything is decoded or allocated: both may come from a file.
  if (!(Number.isSafeInteger(count) && count >= 0)) throw new RangeError(`the count of items to decode must be a whole number ≥ 0, got ${count}`);
  const words = options.initialWords === undefined ? undefined : checkInitialWords(options.initialWords);
  const lattice = new LatentLattice(options.latentBits ?? 12, options.latentScale ?? 1);
  const window = options.window ?? {};
  const m = model.latentSize;
  const priorCoder = new PriorCoder(model.prior, lattice, m, window);
  const stack = RansStack.fromBytes(message);
  const bernoulli = new BernoulliLookup();
  const buckets = new Int32Array(m);
  const latent = new Float64Array(m);
  const items: Uint8Array[] = new Array(count);
  for (let index = count - 1; index >= 0; index--) {
    const auxiliary = priorCoder.pop(stack, buckets);
    for (let i = 0; i < m; i++) latent[i] = lattice.centres[buckets[i]];
    const probabilities = checkedProbabilities(model, latent);
    const observation = new Uint8Array(model.observationSize);
    for (let d = 0; d < model.observationSize; d++) {
      observation[d] = stack.pop(bernoulli.set(probabilities[d]));
    }
    priorCoder.pushAuxiliary(stack, buckets, auxiliary);
    new PosteriorCoder(model.posterior(observation), m, lattice, window).push(stack, buckets);
    items[index] = observation;
    options.onProgress?.(count - index, count);
  }
  // What is left must be the seed the encoder drew: as many words as it said, or (not told) as many as are left.
  const left = stack.toWords();
  const expected = SeedStream.layout(words ?? Math.max(2, Math.min(left.length, MAX_INITIAL_WORDS)), options.initialSeed);
  if (left.length !== expected.length || left.some((word, k) => word !== expected[k]))
    throw new RansError('the message did not come back to its initial words: it is corrupt, or was decoded with another model or other options');
  return items;
}

/**
 * The lower Cholesky factor L of C Cᵀ (n × n, row-major) in float64: the scale of a Gaussian whose
 * covariance is C Cᵀ. A tiny relative jitter keeps it positive definite when C is nearly singular.
 */
export function choleskyOfProduct(columns: ArrayLike<number>, n: number): Float64Array {
  const covariance = new Float64Array(n * n);
  let trace = 0;
  for (let i = 0; i < n; i++)
    for (let j = 0; j <= i; j++) {
      let sum = 0;
      for (let k = 0; k < n; k++) sum += columns[i * n + k] * columns[j * n + k];
      covariance[i * n + j] = sum;
      covariance[j * n + i] = sum;
      if (i === j) trace += sum;
    }
  const jitter = 1e-12 * (trace / n) + 1e-300;
  const factor = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = covariance[i * n + j] + (i === j ? jitter : 0);
      for (let k = 0; k < j; k++) sum -= factor[i * n + k] * factor[j * n + k];
      factor[i * n + j] = i === j ? exactSqrt(Math.max(sum, jitter)) : sum / factor[j * n + j];
    }
  }
  return factor;
}
