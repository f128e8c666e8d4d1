import type * as tf from '@tensorflow/tfjs-core';
import type { Bijector } from '@flows/core';
import { ActNorm, AdditiveCoupling, Chain, ElementwiseScale, MaskedAffineCoupling, Permute } from '@flows/bijectors';
import { DiagonalNormal, type Distribution, StandardNormal, TransformedDistribution } from '@flows/distributions';
import { MLP, type Conditioner } from '@flows/networks';
import { ARCHITECTURE_FORMAT, ARCHITECTURE_FORMAT_VERSION } from './description.js';
import { UnsupportedArchitectureError } from './errors.js';
import { writeSafetensors } from './safetensors.js';

type Tensors = Parameters<typeof writeSafetensors>[0];

/** A flow of this project as normflows' state: the safetensors bytes and the description `load_flow` reads. */
export interface ExportedFlow {
  weights: Uint8Array;
  description: Record<string, unknown>;
}

const owner = (className: string) => `flows ${className}`;

function values(variable: tf.Variable): Float32Array {
  return variable.dataSync() as Float32Array;
}

/**
 * A project MLP as normflows' `MLP` (`net` = Linear, LeakyReLU, …, Linear[, Tanh]): its weights
 * transposed to PyTorch's `[out, in]` under the keys normflows' state_dict uses.
 */
function mlpState(network: Conditioner, prefix: string, tensors: Tensors, finalTanh: boolean, who: string): Record<string, unknown> {
  if (!(network instanceof MLP))
    throw new UnsupportedArchitectureError(owner(who), `a ${network.className} conditioner (normflows' MLP matches the project's MLP only)`);
  if (network.activation !== 'relu' && network.activation !== 'leakyRelu') {
    throw new UnsupportedArchitectureError(owner(who), `the ${network.activation} activation (normflows' MLP has leaky ReLUs, of slope 0 or 0.01 here)`);
  }
  const sizes = [network.inputSize, ...network.hidden, network.outputSize];
  const steps: Record<string, unknown>[] = [];
  network.weights.forEach((weight, layer) => {
    const [inputs, outputs] = [sizes[layer], sizes[layer + 1]];
    const w = values(weight);
    const transposed = new Float32Array(inputs * outputs);
    for (let i = 0; i < inputs; i++) for (let o = 0; o < outputs; o++) transposed[o * inputs + i] = w[i * outputs + o];
    const key = `${prefix}.net.${2 * layer}`;
    tensors[`${key}.weight`] = { dtype: 'F32', shape: [outputs, inputs], values: transposed };
    tensors[`${key}.bias`] = { dtype: 'F32', shape: [outputs], values: values(network.biases[layer]) };
    steps.push({ linear: { weight: `${key}.weight`, bias: `${key}.bias`, inputs, outputs } });
    if (layer < network.weights.length - 1) steps.push({ activation: network.activation });
  });
  if (finalTanh) steps.push({ activation: 'tanh' });
  return { type: 'sequential', steps };
}

/** One project bijector (base to data) as a normflows flow at position `index`. */
function flowState(bijector: Bijector, index: number, features: number, tensors: Tensors): Record<string, unknown> {
  const prefix = `flows.${index}`;
  const who = bijector.className;
  if (bijector.contextSize > 0) throw new UnsupportedArchitectureError(owner(who), 'a context (normflows’ masked affine flows take none)');
  if (bijector instanceof MaskedAffineCoupling) {
    if (bijector.scaleFactor) throw new UnsupportedArchitectureError(owner(who), 'a learnable scale factor (normflows has none)');
    if (bijector.eventShape.length !== 1) throw new UnsupportedArchitectureError(owner(who), 'image events');
    tensors[`${prefix}.b`] = { dtype: 'F32', shape: [1, features], values: bijector.mask };
    return {
      type: 'normflows.MaskedAffineFlow',
      mask: [...bijector.mask],
      scale: mlpState(bijector.scaleNetwork, `${prefix}.s`, tensors, bijector.scaleTanh, who),
      translation: mlpState(bijector.translationNetwork, `${prefix}.t`, tensors, false, who),
    };
  }
  if (bijector instanceof AdditiveCoupling) {
    if (bijector.eventShape.length !== 1) throw new UnsupportedArchitectureError(owner(who), 'image events');
    tensors[`${prefix}.b`] = { dtype: 'F32', shape: [1, features], values: bijector.mask };
    return {
      type: 'normflows.MaskedAffineFlow',
      mask: [...bijector.mask],
      scale: null,
      translation: mlpState(bijector.shiftNetwork, `${prefix}.t`, tensors, false, who),
    };
  }
  if (bijector instanceof ActNorm || bijector instanceof ElementwiseScale) {
    if (bijector.eventShape.length !== 1) throw new UnsupportedArchitectureError(owner(who), 'image events');
    if (bijector instanceof ActNorm && !bijector.isInitialized)
      throw new UnsupportedArchitectureError(owner(who), 'an ActNorm that has not seen data (normflows would initialise it again)');
    const shift = bijector instanceof ActNorm ? values(bijector.bias) : new Float32Array(features);
    tensors[`${prefix}.s`] = { dtype: 'F32', shape: [1, features], values: values(bijector.logScale) };
    tensors[`${prefix}.t`] = { dtype: 'F32', shape: [1, features], values: shift };
    tensors[`${prefix}.data_dep_init_done`] = { dtype: 'F32', shape: [], values: [1] };
    return { type: 'normflows.ActNorm', s: `${prefix}.s`, t: `${prefix}.t` };
  }
  if (bijector instanceof Permute) {
    tensors[`${prefix}.perm`] = { dtype: 'I64', shape: [features], values: bijector.order };
    tensors[`${prefix}.inv_perm`] = { dtype: 'I64', shape: [features], values: bijector.inverseOrder };
    return { type: 'normflows.Permute', permutation: [...bijector.order] };
  }
  throw new UnsupportedArchitectureError(
    owner(who),
    'no normflows counterpart is written for this class (MaskedAffineCoupling, AdditiveCoupling, ActNorm, ElementwiseScale, Permute are)',
  );
}

function baseState(base: Distribution, features: number, tensors: Tensors): Record<string, unknown> {
  let loc: Float32Array;
  let logScale: Float32Array;
  let trainable = false;
  if (base instanceof StandardNormal) [loc, logScale] = [new Float32Array(features), new Float32Array(features)];
  else if (base instanceof DiagonalNormal) {
    [loc, logScale] = [values(base.mean), values(base.logScale)];
    trainable = base.trainableVariables.length > 0;
  } else throw new UnsupportedArchitectureError(owner(base.className), 'a base other than StandardNormal or DiagonalNormal (normflows’ DiagGaussian)');
  tensors['q0.loc'] = { dtype: 'F32', shape: [1, features], values: loc };
  tensors['q0.log_scale'] = { dtype: 'F32', shape: [1, features], values: logScale };
  return { type: 'normflows.DiagGaussian', loc: 'q0.loc', logScale: 'q0.log_scale', trainable };
}

/**
 * The opposite direction, for flows this project trained: a Real NVP or NICE (masked affine or
 * additive couplings with MLPs, ActNorm, elementwise scales, permutations, on a standard or
 * diagonal normal base) as the state of a normflows `NormalizingFlow`, which
 * `load_flow(prefix)` of python/export_flow.py builds and loads. Anything without an exact normflows
 * counterpart throws {@link UnsupportedArchitectureError} naming the project's class.
 */
export function exportTorchFlow(model: Distribution): ExportedFlow {
  if (!(model instanceof TransformedDistribution)) throw new UnsupportedArchitectureError(owner(model.className), 'not a flow (a base and a bijector)');
  if (model.eventShape.length !== 1) throw new UnsupportedArchitectureError(owner(model.className), 'image events');
  const features = model.eventShape[0];
  const bijectors = model.bijector instanceof Chain ? [...model.bijector.bijectors] : [model.bijector];
  const tensors: Tensors = {};
  const transforms = bijectors.map((bijector, index) => flowState(bijector, index, features, tensors));
  const base = baseState(model.base, features, tensors);
  return {
    weights: writeSafetensors(tensors, { format: 'pt', library: 'normflows' }),
    description: {
      format: ARCHITECTURE_FORMAT,
      formatVersion: ARCHITECTURE_FORMAT_VERSION,
      exporter: '@flows/import-torch',
      library: 'normflows',
      libraryVersion: 'any',
      torchVersion: 'any',
      flowClass: 'normflows.core.NormalizingFlow',
      features,
      context: 0,
      direction: 'base-to-data',
      transforms,
      base,
      embedding: null,
    },
  };
}
