export { RansStack, RansError, MAX_PRECISION, type RansStackOptions, type SymbolInterval, type SymbolLookup } from './rans.js';
export {
  EXACT_MATH_VERSION,
  exactExp,
  exactLog,
  exactExpm1,
  exactLog1p,
  exactTanh,
  exactSigmoid,
  exactSoftplus,
  exactSqrt,
  powerOfTwo,
  floorLog2,
  roundHalfToEven,
} from './exact-math.js';
export {
  QuantizedDistribution,
  quantizeProbabilities,
  quantizedBernoulli,
  quantizedDiscretizedLogistic,
  quantizedLogisticMixture,
  quantizedGaussianBuckets,
  standardNormalBucketEdges,
  standardNormalBucketCentres,
  standardNormalCdf,
} from './quantized-distribution.js';
export {
  writeContainer,
  readContainer,
  assertSameModel,
  assertDecoded,
  modelIdentity,
  sha256,
  CodecFileError,
  CONTAINER_VERSION,
  MAX_CONTAINER_ELEMENTS,
  descriptionProblem,
  shownValue,
  type ContainerDescription,
} from './container.js';
export {
  pushInteger,
  popInteger,
  integerWindow,
  integerMixtureWindow,
  integerMixtureCdfWindow,
  MixtureCdfLookup,
  ComputedCdfLookup,
  type IntegerCodingOptions,
  type IntegerWindow,
  type TabulatedIntegerWindow,
  type WindowDistribution,
} from './integer-coding.js';
export { UniformDistribution } from './uniform-distribution.js';
export { pushScaled, popScaled, type ScaledKernel, type Tails } from './scaled-coding.js';
export { popBaseSide, pushDataSide, popDataSide, pushBaseSide, affineMap, type MonotoneMap } from './local-bits-back-step.js';
export {
  LatentLattice,
  gaussianBucketWindow,
  pushBucket,
  popBucket,
  bucketBits,
  type BucketWindow,
  type BucketWindowOptions,
} from './latent-lattice.js';
export {
  encodeBitsBack,
  decodeBitsBack,
  choleskyOfProduct,
  SeedStream,
  MAX_INITIAL_WORDS,
  type BitsBackModel,
  type BitsBackPrior,
  type BitsBackPosterior,
  type BitsBackOptions,
  type BitsBackAccount,
} from './bits-back.js';
