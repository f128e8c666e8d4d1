import * as tf from '@tensorflow/tfjs-core';
import { ActNorm, AffineTransformer, MaskedAffineCoupling, Permute } from '@flows/bijectors';
import { DiagonalNormal, type Distribution, StandardNormal } from '@flows/distributions';
import { MLP, type VectorConditioner } from '@flows/networks';
import type { Described, TorchWeights } from './description.js';
import { ArchitectureError, UnsupportedArchitectureError } from './errors.js';
import { conditionalNormal, nflowsPieces } from './nflows.js';
import { identityInputs, identityOutputs, readNetwork, stackToMLP, toConditioner } from './networks.js';
import { couplingInputs, couplingOutputs, couplingPiece, owning, type Piece } from './pieces.js';

/** normflows' Split: the indices of z1 (the conditioning half) and z2 (the transformed half) of a vector. */
function split(mode: string, features: number, owner: string): { first: number[]; second: number[] } {
  const all = Array.from({ length: features }, (_, i) => i);
  const half = Math.ceil(features / 2);
  switch (mode) {
    case 'channel':
      return { first: all.slice(0, half), second: all.slice(half) };
    case 'channel_inv':
      return { first: all.slice(half), second: all.slice(0, half) };
    case 'checkerboard':
      return { first: all.filter((i) => i % 2 === 1), second: all.filter((i) => i % 2 === 0) };
    case 'checkerboard_inv':
      return { first: all.filter((i) => i % 2 === 0), second: all.filter((i) => i % 2 === 1) };
    default:
      throw new UnsupportedArchitectureError(owner, `split mode '${mode}'`);
  }
}

/** A scale or translation network of MaskedAffineFlow (the whole masked vector in, D out), or zeros where normflows has none. */
function maskedFlowNetwork(node: Described | null, weights: TorchWeights, features: number, owner: string): { network: MLP; tanh: boolean } {
  if (node === null) {
    const zeros = new MLP({ inputSize: features, outputSize: features, hidden: [], seed: 0 });
    tf.tidy(() => zeros.weights[0].assign(tf.zeros([features, features])));
    return { network: zeros, tanh: false };
  }
  const described = readNetwork(node, weights);
  if (described.kind !== 'stack') throw new UnsupportedArchitectureError(owner, 'scale and translation networks that are not plain stacks of layers');
  const final = described.finalActivation;
  if (final !== null && final !== 'tanh')
    throw new UnsupportedArchitectureError(owner, `a network ending in ${final} (only a scale network's tanh has a counterpart)`);
  const network = stackToMLP({ ...described, finalActivation: null }, 0, identityInputs(features), identityOutputs(features), owner);
  return { network, tanh: final === 'tanh' };
}

function normflowsPieces(node: Described, weights: TorchWeights, features: number): Piece[] {
  const type = node.string('type');
  switch (type) {
    case 'normflows.MaskedAffineFlow': {
      const mask = node.integers('mask', 0, 1, features);
      const scale = maskedFlowNetwork(node.optionalNode('scale'), weights, features, type);
      const translation = owning([scale.network], () => maskedFlowNetwork(node.optionalNode('translation'), weights, features, type));
      if (translation.tanh) {
        scale.network.dispose();
        translation.network.dispose();
        throw new UnsupportedArchitectureError(type, 'a translation network ending in tanh');
      }
      // f(z) = b z + (1 − b)(z exp(s(b z)) + t(b z)): the project's masked affine coupling, tanh on s when normflows has it.
      return [
        owning(
          [scale.network, translation.network],
          () => new MaskedAffineCoupling({ mask, scale: scale.network, translation: translation.network, scaleTanh: scale.tanh }),
        ),
      ];
    }
    case 'normflows.AffineCouplingBlock': {
      const { first, second } = split(node.string('splitMode'), features, type);
      if (first.length === 0 || second.length === 0) throw new ArchitectureError(node.where, 'a split with an empty half');
      const kept = Array.from({ length: features }, (_, i) => first.includes(i));
      const network = readNetwork(node.node('network'), weights);
      const inputs = couplingInputs(first, features);
      // The transformed half in normflows' order (the kept coordinates come first in `kept`'s walk).
      const position = new Map(second.map((i, k) => [i, k]));
      const outputsFor = (parameters: number, row: (k: number, p: number) => number) => {
        const map = couplingOutputs(kept, parameters, () => 0);
        for (const [i, k] of position) for (let p = 0; p < parameters; p++) map.source[i * parameters + p] = row(k, p);
        return map;
      };
      if (!node.boolean('scale')) {
        const conditioner = toConditioner(
          network,
          0,
          inputs,
          outputsFor(1, (k) => k),
          type,
        );
        return [couplingPiece(kept, conditioner, 'additive', 'base-to-data')];
      }
      const scaleMap = node.string('scaleMap');
      let transformer: AffineTransformer;
      if (scaleMap === 'exp') transformer = new AffineTransformer({ logScaleBound: null });
      else if (scaleMap === 'sigmoid_inv') transformer = new AffineTransformer({ scale: 'sigmoid', scaleEpsilon: 0 });
      else
        throw new UnsupportedArchitectureError(type, `scale_map '${scaleMap}' (z / sigmoid(s + 2) + t has no counterpart; 'exp' and 'sigmoid_inv' are read)`);
      // param[:, 0::2] are shifts and param[:, 1::2] raw scales: per coordinate (shift, scale), as the project's.
      const conditioner = toConditioner(
        network,
        0,
        inputs,
        outputsFor(2, (k, p) => 2 * k + p),
        type,
      );
      return [couplingPiece(kept, conditioner, transformer, 'base-to-data')];
    }
    case 'normflows.AutoregressiveRationalQuadraticSpline':
    case 'normflows.CoupledRationalQuadraticSpline':
      // nflows' code inside normflows' wrappers, whose forward is the transform's inverse: as in nflows, data to base.
      return nflowsPieces(node, weights, features);
    case 'normflows.ActNorm': {
      const s = weights.tensor(node.tensorKey('s', weights), [features], `${node.where}.s`);
      const t = weights.tensor(node.tensorKey('t', weights), [features], `${node.where}.t`);
      const actNorm = new ActNorm({ size: features });
      tf.tidy(() => {
        actNorm.logScale.assign(tf.tensor1d(Float32Array.from(s)));
        actNorm.bias.assign(tf.tensor1d(Float32Array.from(t)));
        actNorm.initialized.assign(tf.scalar(1));
      });
      return [actNorm];
    }
    case 'normflows.Permute': {
      const order = node.integers('permutation', 0, features - 1, features);
      if (new Set(order).size !== features) throw new ArchitectureError(`${node.where}.permutation`, 'must be a permutation');
      return [new Permute({ order })];
    }
    default:
      throw new UnsupportedArchitectureError(type, 'this flow has no counterpart in the flows project');
  }
}

function normflowsBase(node: Described, weights: TorchWeights, features: number): Distribution {
  const type = node.string('type');
  if (type === 'normflows.DiagGaussian') {
    const loc = weights.tensor(node.tensorKey('loc', weights), [features], `${node.where}.loc`);
    const logScale = weights.tensor(node.tensorKey('logScale', weights), [features], `${node.where}.logScale`);
    const trainable = node.boolean('trainable');
    if (!trainable && loc.every((v) => v === 0) && logScale.every((v) => v === 0)) return new StandardNormal(features);
    return new DiagonalNormal({ size: features, mean: Float32Array.from(loc), logScale: Float32Array.from(logScale), trainable });
  }
  if (type === 'normflows.ConditionalDiagGaussian') return conditionalNormal(node, weights, features, type);
  throw new UnsupportedArchitectureError(type, 'this base distribution is not read for normflows flows');
}

/** A normflows flow's pieces in data-to-base order, and its base. */
export function normflowsFlow(
  root: Described,
  weights: TorchWeights,
  features: number,
): { pieces: Piece[]; base: Distribution; embedding: VectorConditioner | null } {
  const pieces: Piece[] = [];
  try {
    // normflows lists its flows from base to data; each one's pieces come in data-to-base order.
    for (const node of root.nodes('transforms').reverse()) pieces.push(...normflowsPieces(node, weights, features));
    return { pieces, base: normflowsBase(root.node('base'), weights, features), embedding: null };
  } catch (error) {
    for (const piece of pieces) piece.dispose();
    throw error;
  }
}
