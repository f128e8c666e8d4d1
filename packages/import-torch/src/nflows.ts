import * as tf from '@tensorflow/tfjs-core';
import { AffineTransformer, ElementwiseAffine, Invert, InvertibleLinear, Permute } from '@flows/bijectors';
import { ConditionalDiagonalNormal, DiagonalNormal, type Distribution, StandardNormal } from '@flows/distributions';
import { MLP, type VectorConditioner } from '@flows/networks';
import type { Described, TorchWeights } from './description.js';
import { ArchitectureError, UnsupportedArchitectureError } from './errors.js';
import { identityInputs, identityOutputs, type NetworkDescription, readNetwork, stackToMLP, toAutoregressiveNetwork, toConditioner } from './networks.js';
import {
  affinePiece,
  autoregressiveOutputs,
  autoregressivePiece,
  constantConditioner,
  couplingInputs,
  couplingOutputs,
  couplingPiece,
  nflowsSplineSettings,
  owning,
  type Piece,
  softplus,
} from './pieces.js';

/** The context width a described network reads after its main inputs (0 for none). */
function networkContext(net: NetworkDescription, mainInputs: number): number {
  if (net.kind === 'identity') return 0;
  if (net.kind === 'stack') return net.layers[0].inputs - mainInputs;
  return net.context?.inputs ?? 0;
}

function feature(values: number[], features: number, where: string): number[] {
  if (values.some((v) => !Number.isInteger(v) || v < 0 || v >= features) || new Set(values).size !== values.length) {
    throw new ArchitectureError(where, `must list distinct features among 0…${features - 1}`);
  }
  return values;
}

/** A coupling's split: which features it keeps, and those in the torch network's input order. */
function couplingSplit(node: Described, features: number): { kept: boolean[]; keptIndices: number[]; transformIndices: number[] } {
  const keptIndices = feature(node.integers('identityFeatures', 0, features), features, `${node.where}.identityFeatures`);
  const transformIndices = feature(node.integers('transformFeatures', 0, features), features, `${node.where}.transformFeatures`);
  if (keptIndices.length + transformIndices.length !== features || keptIndices.length === 0 || transformIndices.length === 0) {
    throw new ArchitectureError(node.where, 'identity and transform features must split the features, both non-empty');
  }
  // nflows lists both in increasing order (masked_select), which the project's mask assumes.
  const sorted = (a: number[]) => a.every((v, i) => i === 0 || a[i - 1] < v);
  if (!sorted(keptIndices) || !sorted(transformIndices)) throw new ArchitectureError(node.where, 'feature lists must be increasing');
  const kept = Array.from({ length: features }, (_, i) => keptIndices.includes(i));
  return { kept, keptIndices, transformIndices };
}

/**
 * The spline coupling of nflows and normflows (`PiecewiseRationalQuadraticCouplingTransform`,
 * `CoupledRationalQuadraticSpline`), with its unconditional spline on the kept features when it has
 * one: data to base, the coupling runs first (reading the kept features as given), then the
 * unconditional spline.
 */
export function splineCouplingPieces(node: Described, weights: TorchWeights, features: number, type: string): Piece[] {
  const settings = nflowsSplineSettings(node, type);
  const { kept, keptIndices } = couplingSplit(node, features);
  const network = readNetwork(node.node('network'), weights);
  const context = networkContext(network, keptIndices.length);
  const parameters = 3 * settings.bins - 1;
  const divisor = node.positive('rawDivisor');
  const outputs = couplingOutputs(
    kept,
    parameters,
    (k, p) => k * parameters + p,
    (p) => (p < 2 * settings.bins ? 1 / divisor : 1),
  );
  const conditioner = toConditioner(network, context, couplingInputs(keptIndices, features), outputs, type);
  const pieces: Piece[] = [couplingPiece(kept, conditioner, settings, 'data-to-base')];
  const unconditional = node.optionalNode('unconditional');
  if (unconditional) {
    try {
      pieces.push(unconditionalSplinePiece(unconditional, weights, kept, keptIndices, context, type));
    } catch (error) {
      pieces[0].dispose();
      throw error;
    }
  }
  return pieces;
}

/** The elementwise spline on the kept features: a coupling on them with a constant conditioner. */
function unconditionalSplinePiece(node: Described, weights: TorchWeights, kept: boolean[], keptIndices: number[], context: number, type: string): Piece {
  const settings = nflowsSplineSettings(node, `${type} (unconditional transform)`);
  const k = settings.bins;
  const n = keptIndices.length;
  const widths = weights.tensor(node.tensorKey('widths', weights), [n, k], `${node.where}.widths`);
  const heights = weights.tensor(node.tensorKey('heights', weights), [n, k], `${node.where}.heights`);
  const derivatives = weights.tensor(node.tensorKey('derivatives', weights), [n, k - 1], `${node.where}.derivatives`);
  const parameters = 3 * k - 1;
  const values = new Float32Array(kept.length * parameters);
  keptIndices.forEach((i, j) => {
    for (let p = 0; p < k; p++) values[i * parameters + p] = widths[j * k + p];
    for (let p = 0; p < k; p++) values[i * parameters + k + p] = heights[j * k + p];
    for (let p = 0; p < k - 1; p++) values[i * parameters + 2 * k + p] = derivatives[j * (k - 1) + p];
  });
  // This spline changes the kept features and leaves the others: its own mask is the complement.
  const changed = kept.map((isKept) => !isKept);
  return couplingPiece(changed, constantConditioner(kept.length + context, values), settings, 'data-to-base');
}

export function nflowsPieces(node: Described, weights: TorchWeights, features: number): Piece[] {
  const type = node.string('type');
  switch (type) {
    case 'nflows.MaskedAffineAutoregressiveTransform': {
      const network = readNetwork(node.node('network'), weights);
      const scale = node.string('scale', ['softplus', 'sigmoid'] as const);
      const epsilon = node.number('epsilon');
      // nflows lays out (unconstrained scale, shift) per feature; the project (shift, raw scale).
      const outputs = autoregressiveOutputs(features, 2, (i, p) => i * 2 + (1 - p));
      const made = toAutoregressiveNetwork(network, features, networkContext(network, features), 2, outputs, type, null);
      return [autoregressivePiece(features, made, new AffineTransformer({ scale, scaleEpsilon: epsilon }))];
    }
    case 'nflows.MaskedPiecewiseRationalQuadraticAutoregressiveTransform':
    case 'normflows.AutoregressiveRationalQuadraticSpline': {
      const settings = nflowsSplineSettings(node, type);
      const network = readNetwork(node.node('network'), weights);
      const parameters = 3 * settings.bins - 1;
      const divisor = node.positive('rawDivisor');
      const outputs = autoregressiveOutputs(
        features,
        parameters,
        (i, p) => i * parameters + p,
        (p) => (p < 2 * settings.bins ? 1 / divisor : 1),
      );
      const made = toAutoregressiveNetwork(network, features, networkContext(network, features), parameters, outputs, type, null);
      return [autoregressivePiece(features, made, settings)];
    }
    case 'nflows.PiecewiseRationalQuadraticCouplingTransform':
    case 'normflows.CoupledRationalQuadraticSpline':
      return splineCouplingPieces(node, weights, features, type);
    case 'nflows.AffineCouplingTransform':
    case 'nflows.AdditiveCouplingTransform': {
      const { kept, keptIndices, transformIndices } = couplingSplit(node, features);
      const network = readNetwork(node.node('network'), weights);
      const context = networkContext(network, keptIndices.length);
      const inputs = couplingInputs(keptIndices, features);
      const t = transformIndices.length;
      if (type === 'nflows.AdditiveCouplingTransform') {
        const conditioner = toConditioner(
          network,
          context,
          inputs,
          couplingOutputs(kept, 1, (k) => k),
          type,
        );
        return [couplingPiece(kept, conditioner, 'additive', 'data-to-base')];
      }
      if (node.string('scale') !== 'sigmoid') throw new UnsupportedArchitectureError(type, `scale activation '${node.string('scale')}'`);
      // nflows lays out all shifts, then all unconstrained scales.
      const conditioner = toConditioner(
        network,
        context,
        inputs,
        couplingOutputs(kept, 2, (k, p) => (p === 0 ? k : t + k)),
        type,
      );
      return [couplingPiece(kept, conditioner, new AffineTransformer({ scale: 'sigmoid', scaleEpsilon: 1e-3 }), 'data-to-base')];
    }
    case 'nflows.Permutation': {
      const permutation = feature(node.integers('permutation', 0, features, features), features, `${node.where}.permutation`);
      // nflows maps data to base as z = x[perm]; the project's Permute does that in its inverse with the inverse order.
      const order = new Array<number>(features);
      permutation.forEach((source, target) => (order[source] = target));
      return [new Permute({ order })];
    }
    case 'nflows.BatchNorm': {
      const eps = node.positive('eps');
      const read = (key: string) => weights.tensor(node.tensorKey(key, weights), [features], `${node.where}.${key}`);
      const [raw, bias, mean, variance] = [read('unconstrainedWeight'), read('bias'), read('runningMean'), read('runningVar')];
      // Evaluation mode: z = w (x − μ) / √(v + ε) + b with w = softplus(raw) + ε, an elementwise affine map.
      const a = Float64Array.from(raw, (r, i) => (softplus(r) + eps) / Math.sqrt(variance[i] + eps));
      const c = Float64Array.from(a, (ai, i) => bias[i] - ai * mean[i]);
      return [affinePiece(a, c, type)];
    }
    case 'nflows.LULinear':
      return luLinearPieces(node, weights, features);
    default:
      throw new UnsupportedArchitectureError(type, 'this transform has no counterpart in the flows project');
  }
}

/** nflows' LU linear `z = L U x + b`: the project's InvertibleLinear (inverted, identity permutation), then the shift. */
function luLinearPieces(node: Described, weights: TorchWeights, features: number): Piece[] {
  const n = node.integer('features', 1);
  if (n !== features) throw new ArchitectureError(`${node.where}.features`, `is ${n}, the flow has ${features}`);
  const eps = node.positive('eps');
  const triangle = (n * (n - 1)) / 2;
  const lowerEntries = weights.tensor(node.tensorKey('lowerEntries', weights), [triangle], `${node.where}.lowerEntries`);
  const upperEntries = weights.tensor(node.tensorKey('upperEntries', weights), [triangle], `${node.where}.upperEntries`);
  const diagonal = weights.tensor(node.tensorKey('unconstrainedUpperDiag', weights), [n], `${node.where}.unconstrainedUpperDiag`);
  const bias = weights.tensor(node.tensorKey('bias', weights), [n], `${node.where}.bias`);
  const lower = new Float32Array(n * n);
  const upper = new Float32Array(n * n);
  // numpy's tril_indices(n, -1) and triu_indices(n, 1) run row by row.
  let l = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) lower[i * n + j] = lowerEntries[l++];
  let u = 0;
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) upper[i * n + j] = upperEntries[u++];
  const linear = new InvertibleLinear({ size: n, identityPermutation: true });
  tf.tidy(() => {
    linear.lower.assign(tf.tensor2d(lower, [n, n]));
    linear.upper.assign(tf.tensor2d(upper, [n, n]));
    linear.logScale.assign(tf.tensor1d(Float32Array.from(diagonal, (d) => Math.log(softplus(d) + eps))));
  });
  // Data to base: first W x (the inverted layer's inverse is the layer's forward), then + b.
  return [new Invert(linear), new ElementwiseAffine({ size: n, shift: Float32Array.from(bias, (b) => -b) })];
}

/** A context encoder (`nn.Linear`, a stack or the identity) as the project MLP of a ConditionalDiagonalNormal. */
function encoderInto(network: NetworkDescription, distribution: ConditionalDiagonalNormal, owner: string): void {
  const size = distribution.eventShape[0];
  const context = distribution.contextSize;
  let source: MLP;
  if (network.kind === 'identity') {
    source = new MLP({ inputSize: context, outputSize: 2 * size, hidden: [], seed: 0 });
    tf.tidy(() => source.weights[0].assign(tf.eye(context)));
  } else if (network.kind === 'stack') source = stackToMLP(network, 0, identityInputs(context), identityOutputs(2 * size), owner);
  else throw new UnsupportedArchitectureError(owner, 'a context encoder that is not a plain stack of layers');
  const target = distribution.network;
  if (target.hidden.join(',') !== source.hidden.join(',') || target.activation !== source.activation) {
    source.dispose();
    throw new Error('internal: the encoder and the distribution disagree on their network');
  }
  source.trainableVariables.forEach((v, i) => target.trainableVariables[i].assign(v));
  source.dispose();
}

/** The shape of the project MLP a described encoder becomes. */
function encoderShape(network: NetworkDescription, owner: string): { hidden: number[]; activation: MLP['activation']; inputs: number; outputs: number } {
  if (network.kind === 'identity') return { hidden: [], activation: 'relu', inputs: -1, outputs: -1 };
  if (network.kind !== 'stack') throw new UnsupportedArchitectureError(owner, 'a context encoder that is not a plain stack of layers');
  return {
    hidden: network.layers.slice(0, -1).map((l) => l.outputs),
    activation: network.activation,
    inputs: network.layers[0].inputs,
    outputs: network.layers[network.layers.length - 1].outputs,
  };
}

/** A conditional diagonal normal (nflows' and normflows'): mean then log-scale from an encoder of the context. */
export function conditionalNormal(node: Described, weights: TorchWeights, features: number, owner: string): ConditionalDiagonalNormal {
  const network = readNetwork(node.node('network'), weights);
  const shape = encoderShape(network, owner);
  const contextSize = shape.inputs === -1 ? 2 * features : shape.inputs;
  if (shape.outputs !== -1 && shape.outputs !== 2 * features)
    throw new ArchitectureError(node.where, `the encoder gives ${shape.outputs} values, not 2 × ${features}`);
  if (network.kind === 'stack' && network.finalActivation)
    throw new UnsupportedArchitectureError(owner, `a context encoder ending in ${network.finalActivation}`);
  const distribution = new ConditionalDiagonalNormal({ size: features, contextSize, hidden: shape.hidden, activation: shape.activation });
  return owning([distribution], () => {
    encoderInto(network, distribution, owner);
    return distribution;
  });
}

function nflowsBase(node: Described, weights: TorchWeights, features: number): Distribution {
  const type = node.string('type');
  if (type === 'StandardNormal') return new StandardNormal(features);
  if (type === 'nflows.ConditionalDiagonalNormal') return conditionalNormal(node, weights, features, type);
  if (type === 'nflows.DiagonalNormal') {
    const mean = weights.tensor(node.tensorKey('mean', weights), [features], `${node.where}.mean`);
    const logStd = weights.tensor(node.tensorKey('logStd', weights), [features], `${node.where}.logStd`);
    return new DiagonalNormal({ size: features, mean: Float32Array.from(mean), logScale: Float32Array.from(logStd), trainable: true });
  }
  throw new UnsupportedArchitectureError(type, 'this base distribution is not read for nflows flows');
}

/** An nflows flow's pieces (data-to-base order), base and embedding network. */
export function nflowsFlow(
  root: Described,
  weights: TorchWeights,
  features: number,
): { pieces: Piece[]; base: Distribution; embedding: VectorConditioner | null } {
  const pieces: Piece[] = [];
  const built: { dispose(): void }[] = [];
  try {
    for (const node of root.nodes('transforms')) pieces.push(...nflowsPieces(node, weights, features));
    built.push(...pieces);
    const base = nflowsBase(root.node('base'), weights, features);
    built.push(base);
    const described = root.optionalNode('embedding');
    let embedding: VectorConditioner | null = null;
    if (described) {
      const network = readNetwork(described, weights);
      if (network.kind !== 'stack') throw new UnsupportedArchitectureError('nflows embedding_net', 'an embedding network that is not a plain stack of layers');
      const inputs = network.layers[0].inputs;
      embedding = stackToMLP(network, 0, identityInputs(inputs), identityOutputs(network.layers[network.layers.length - 1].outputs), 'nflows embedding_net');
    }
    return { pieces, base, embedding };
  } catch (error) {
    for (const module of built.length ? built : pieces) module.dispose();
    throw error;
  }
}
