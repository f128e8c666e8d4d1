import * as tf from '@tensorflow/tfjs-core';
import { type Bijector, ConfigError } from '@flows/core';
import { AdditiveCoupling, AffineTransformer, ElementwiseAffine, Invert, MaskedAutoregressive, type Transformer, TransformerCoupling } from '@flows/bijectors';
import { RationalQuadraticSpline, SplineAutoregressive, SplineCoupling } from '@flows/bijector-spline';
import { MADE, MLP, type VectorConditioner } from '@flows/networks';
import type { Described } from './description.js';
import { UnsupportedArchitectureError } from './errors.js';
import { type InputMap, identityOutputs, type OutputMap } from './networks.js';
import { TorchAutoregressive } from './torch-autoregressive.js';
import type { TorchNetwork } from './torch-network.js';

/**
 * A piece of an imported flow: a project bijector whose inverse (data → base) is the library's
 * transform. Libraries list their transforms from data to base (zuko, nflows) or from base to data
 * (normflows); the importer chains the pieces from base to data.
 */
export type Piece = Bijector;

/** Settings of a rational-quadratic spline as the libraries give them. */
export interface SplineSettings {
  bins: number;
  bound: number;
  parameterization: 'nflows' | 'zuko';
  minBinWidth: number;
  minBinHeight: number;
  minDerivative: number;
}

/** The project's spline options for the library's settings (the floors only where they apply). */
export function splineOptions(s: SplineSettings) {
  return s.parameterization === 'zuko'
    ? { bins: s.bins, bound: s.bound, parameterization: 'zuko' as const, minDerivative: s.minDerivative }
    : {
        bins: s.bins,
        bound: s.bound,
        parameterization: 'nflows' as const,
        minBinSize: s.minBinWidth,
        minBinHeight: s.minBinHeight,
        minDerivative: s.minDerivative,
      };
}

/** nflows' and normflows' spline settings (`bins`, `tailBound`, the floors), checked. */
export function nflowsSplineSettings(node: Described, owner: string): SplineSettings {
  const bins = node.integer('bins', 1, 10_000);
  const settings: SplineSettings = {
    bins,
    bound: node.positive('tailBound'),
    parameterization: 'nflows',
    minBinWidth: node.positive('minBinWidth'),
    minBinHeight: node.positive('minBinHeight'),
    minDerivative: node.positive('minDerivative'),
  };
  if (settings.minBinWidth * bins >= 1 || settings.minBinHeight * bins >= 1)
    throw new UnsupportedArchitectureError(owner, 'minimal bin sizes of 1/bins or more');
  if (settings.minDerivative >= 1) throw new UnsupportedArchitectureError(owner, `min_derivative ${settings.minDerivative} of 1 or more`);
  return settings;
}

/** Runs `build`, disposing `owned` (a network built for it) when it throws, so a refused import leaks nothing. */
export function owning<T>(owned: { dispose(): void }[], build: () => T): T {
  try {
    return build();
  } catch (error) {
    for (const module of owned) module.dispose();
    throw error;
  }
}

/** An autoregressive piece: the project's MAF classes with a MADE, or a {@link TorchAutoregressive} with a residual MADE. */
export function autoregressivePiece(features: number, network: MADE | TorchNetwork, transformer: Transformer | SplineSettings): Piece {
  return owning([network], () => {
    if (network instanceof MADE) {
      if ('bins' in transformer) return new SplineAutoregressive({ size: features, made: network, ...splineOptions(transformer) });
      return new MaskedAutoregressive({ size: features, made: network, transformer });
    }
    return new TorchAutoregressive({ network, transformer: 'bins' in transformer ? new RationalQuadraticSpline(splineOptions(transformer)) : transformer });
  });
}

/**
 * A coupling piece. `kept[i]` says coordinate i is left unchanged. `transformerForward` says which
 * way the library applies the transformer's forward map: from data to base (zuko, nflows; the
 * piece is the project's coupling inverted) or from base to data (normflows' affine blocks).
 */
export function couplingPiece(
  kept: boolean[],
  conditioner: VectorConditioner,
  transformer: Transformer | SplineSettings | 'additive',
  transformerForward: 'data-to-base' | 'base-to-data',
): Piece {
  const mask = kept.map((k) => (k ? 1 : 0));
  const contextSize = conditioner.inputSize - kept.length;
  const coupling = owning([conditioner], (): Bijector => {
    if (transformer === 'additive') return new AdditiveCoupling({ mask, shift: conditioner, contextSize });
    if ('bins' in transformer) return new SplineCoupling({ mask, conditioner, contextSize, ...splineOptions(transformer) });
    return new TransformerCoupling({ mask, conditioner, transformer, contextSize });
  });
  return transformerForward === 'data-to-base' ? new Invert(coupling) : coupling;
}

/** The affine transformers of zuko (rational clamp of the log-scale), nflows and normflows. */
export function zukoAffine(slope: number, owner: string): AffineTransformer {
  if (!(slope > 0 && slope < 1)) throw new UnsupportedArchitectureError(owner, `slope ${slope} outside (0, 1)`);
  return new AffineTransformer({ logScaleClamp: 'rational', logScaleBound: -Math.log(slope) });
}

/**
 * Output rows for a coupling's transformed coordinates: project output `i · P + p` (i a transformed
 * coordinate, the k-th) reads torch row `row(k, p)`, times `factor(p)`; kept coordinates read 0.
 */
export function couplingOutputs(
  kept: boolean[],
  parameters: number,
  row: (k: number, p: number) => number,
  factor: (p: number) => number = () => 1,
): OutputMap {
  const source = new Int32Array(kept.length * parameters).fill(-1);
  const scale = new Float64Array(kept.length * parameters).fill(1);
  let k = 0;
  kept.forEach((isKept, i) => {
    if (isKept) return;
    for (let p = 0; p < parameters; p++) {
      source[i * parameters + p] = row(k, p);
      scale[i * parameters + p] = factor(p);
    }
    k++;
  });
  return { source, factor: scale };
}

/** Torch input j (the j-th kept coordinate) feeds the coupling's input at that coordinate. */
export function couplingInputs(keptIndices: number[], features: number): InputMap {
  return { inputs: Int32Array.from(keptIndices), size: features };
}

/** Autoregressive outputs in the project's order: each coordinate's parameters, rows moved within a coordinate. */
export function autoregressiveOutputs(
  features: number,
  parameters: number,
  row: (i: number, p: number) => number,
  factor: (p: number) => number = () => 1,
): OutputMap {
  const map = identityOutputs(features * parameters);
  for (let i = 0; i < features; i++) {
    for (let p = 0; p < parameters; p++) {
      map.source[i * parameters + p] = row(i, p);
      map.factor[i * parameters + p] = factor(p);
    }
  }
  return map;
}

/**
 * A constant conditioner: a project MLP without hidden layers whose weights are zero and whose bias
 * holds the values (exactly `values` for every input). For the unconditional splines of nflows'
 * and normflows' couplings.
 */
export function constantConditioner(inputSize: number, values: Float32Array): MLP {
  const mlp = new MLP({ inputSize, outputSize: values.length, hidden: [], seed: 0 });
  tf.tidy(() => {
    mlp.weights[0].assign(tf.zeros([inputSize, values.length]));
    mlp.biases[0].assign(tf.tensor1d(values));
  });
  return mlp;
}

/**
 * An elementwise affine piece whose inverse (data → base) is `z = a ⊙ x + c` with a > 0: the
 * project's ElementwiseAffine with `logScale = −log a`, `shift = −c / a` (float64, then rounded).
 */
export function affinePiece(a: Float64Array, c: Float64Array, owner: string): ElementwiseAffine {
  const logScale = new Float32Array(a.length);
  const shift = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) {
    if (!(a[i] > 0 && Number.isFinite(a[i]))) throw new ConfigError(`${owner}: scale ${a[i]} at coordinate ${i} is not positive and finite`);
    logScale[i] = -Math.log(a[i]);
    shift[i] = -c[i] / a[i];
  }
  return new ElementwiseAffine({ size: a.length, shift, logScale });
}

/** softplus as PyTorch computes it (linear above 20). */
export function softplus(x: number): number {
  return x > 20 ? x : Math.log1p(Math.exp(x));
}
