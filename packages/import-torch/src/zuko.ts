import { DiagonalNormal, type Distribution, StandardNormal } from '@flows/distributions';
import type { Described, TorchWeights } from './description.js';
import { ArchitectureError, UnsupportedArchitectureError } from './errors.js';
import { identityOutputs, readNetwork, toAutoregressiveNetwork, toConditioner } from './networks.js';
import { autoregressivePiece, couplingInputs, couplingOutputs, couplingPiece, type Piece, type SplineSettings, zukoAffine } from './pieces.js';

/** zuko's univariate transforms: how many raw values each takes, and the transformer that reads them as zuko does. */
function univariate(node: Described, owner: string): { parameters: number; transformer: ReturnType<typeof zukoAffine> | SplineSettings | 'additive' } {
  const name = node.string('univariate');
  const settings = node.node('settings');
  const rawShapes = node.raw('shapes');
  if (!Array.isArray(rawShapes) || rawShapes.some((s) => !Array.isArray(s) || s.some((d) => !Number.isInteger(d) || d < 1))) {
    throw new ArchitectureError(`${node.where}.shapes`, 'must be a list of shapes');
  }
  const sizes = (rawShapes as number[][]).map((s) => s.reduce((a, b) => a * b, 1));
  const total = sizes.reduce((a, b) => a + b, 0);
  if (name === 'MonotonicAffineTransform') {
    if (sizes.length !== 2 || total !== 2) throw new ArchitectureError(`${node.where}.shapes`, 'MonotonicAffineTransform takes two scalars');
    return { parameters: 2, transformer: zukoAffine(settings.has('slope') ? settings.number('slope') : 1e-3, `zuko.${name}`) };
  }
  if (name === 'MonotonicRQSTransform') {
    const bins = (rawShapes as number[][])[0]?.[0];
    if (sizes.length !== 3 || sizes[0] !== bins || sizes[1] !== bins || sizes[2] !== bins - 1)
      throw new ArchitectureError(`${node.where}.shapes`, 'MonotonicRQSTransform takes [K], [K], [K − 1]');
    const slope = settings.has('slope') ? settings.number('slope') : 1e-3;
    if (!(slope > 0 && slope < 1)) throw new UnsupportedArchitectureError(`zuko.${name}`, `slope ${slope} outside (0, 1)`);
    const bound = settings.has('bound') ? settings.positive('bound') : 5;
    return { parameters: total, transformer: { bins, bound, parameterization: 'zuko', minBinWidth: 0, minBinHeight: 0, minDerivative: slope } };
  }
  if (name === 'AdditiveTransform') {
    if (total !== 1) throw new ArchitectureError(`${node.where}.shapes`, 'AdditiveTransform takes one scalar');
    return { parameters: 1, transformer: 'additive' };
  }
  throw new UnsupportedArchitectureError(
    `zuko.${name}`,
    `${owner} with this univariate transform has no counterpart in the flows project (MonotonicAffineTransform, MonotonicRQSTransform and AdditiveTransform are read)`,
  );
}

/** One zuko lazy transform as a piece (its inverse is zuko's data-to-base map). */
function zukoPiece(node: Described, weights: TorchWeights, features: number, context: number): Piece {
  const type = node.string('type');
  if (type === 'zuko.MaskedAutoregressiveTransform') {
    const { parameters, transformer } = univariate(node, type);
    if (transformer === 'additive')
      throw new UnsupportedArchitectureError(type, 'an additive autoregressive transform (the flows project has additive couplings only)');
    const order = node.integers('order', 0, features, features);
    const network = readNetwork(node.node('network'), weights);
    // Inputs in zuko's order groups 0, 1, … get MADE degrees 1, 2, …; the masks are checked to match.
    const made = toAutoregressiveNetwork(
      network,
      features,
      context,
      parameters,
      identityOutputs(features * parameters),
      type,
      order.map((o) => o + 1),
    );
    return autoregressivePiece(features, made, transformer);
  }
  if (type === 'zuko.GeneralCouplingTransform') {
    const { parameters, transformer } = univariate(node, type);
    const kept = node.booleans('mask', features);
    const keptIndices = kept.flatMap((k, i) => (k ? [i] : []));
    if (keptIndices.length === 0 || keptIndices.length === features)
      throw new ArchitectureError(`${node.where}.mask`, 'must keep some features and transform others');
    const network = readNetwork(node.node('network'), weights);
    const conditioner = toConditioner(
      network,
      context,
      couplingInputs(keptIndices, features),
      couplingOutputs(kept, parameters, (k, p) => k * parameters + p),
      type,
    );
    return couplingPiece(kept, conditioner, transformer, 'data-to-base');
  }
  throw new UnsupportedArchitectureError(type, 'this zuko transform has no counterpart in the flows project');
}

/** zuko's base: the standard normal, or a fixed diagonal normal. */
function zukoBase(node: Described, weights: TorchWeights, features: number): Distribution {
  const type = node.string('type');
  if (type === 'StandardNormal') return new StandardNormal(features);
  if (type === 'zuko.DiagNormal') {
    const mean = weights.tensor(node.tensorKey('loc', weights), [features], `${node.where}.loc`);
    const scale = weights.tensor(node.tensorKey('scale', weights), [features], `${node.where}.scale`);
    if (scale.some((s) => !(s > 0))) throw new ArchitectureError(`${node.where}.scale`, 'scales must be positive');
    return new DiagonalNormal({ size: features, mean: Float32Array.from(mean), logScale: Float32Array.from(scale, Math.log), trainable: false });
  }
  throw new UnsupportedArchitectureError(type, 'this base distribution is not read for zuko flows');
}

/** A zuko flow's pieces (data-to-base order) and base. */
export function zukoFlow(root: Described, weights: TorchWeights, features: number, context: number): { pieces: Piece[]; base: Distribution } {
  const pieces: Piece[] = [];
  try {
    for (const node of root.nodes('transforms')) pieces.push(zukoPiece(node, weights, features, context));
    return { pieces, base: zukoBase(root.node('base'), weights, features) };
  } catch (error) {
    for (const piece of pieces) piece.dispose();
    throw error;
  }
}
