import * as tf from '@tensorflow/tfjs-core';
import { runtimeSettings } from '@flows/core';
import { affineCouplingInverse, referenceAffineCouplingInverse } from './affine-coupling-inverse.js';
import {
  DENSE_COUPLING_INVERSE,
  DENSE_COUPLING_INVERSE_GRADIENT,
  DENSE_COUPLING_MAX_LAYERS,
  type DenseCouplingInverseGradientInputs,
  type DenseCouplingInverseInputs,
} from './kernel-contract.js';
import { registerKernelsFor } from './register-kernels.js';
import { runFlowsKernel } from './run-flows-kernel.js';

/** A stack of dense layers: weight i `[in_i, out_i]` and bias i `[out_i]`. */
export interface DenseLayers {
  readonly weights: readonly tf.Tensor[];
  readonly biases: readonly tf.Tensor[];
}

/**
 * What {@link denseCouplingInverse} needs of a conditioner network: an MLP's layers (`x W + b`, the
 * hidden ones followed by `activation`, the last linear), and the network's own forward pass, which
 * runs where the backend has no fused kernel (`MLP` of `@flows/networks` is one).
 */
export interface DenseNetwork extends DenseLayers {
  /** The hidden layers' activation; the fused kernels take `'relu'`. */
  readonly activation: string;
  apply(input: tf.Tensor2D): tf.Tensor2D;
}

/**
 * The density direction (data → base) of the Real NVP masked affine coupling (Dinh, Sohl-Dickstein
 * and Bengio, ICLR 2017) with its scale and translation networks: the networks read the masked
 * input `[y ⊙ m, context]` (events flattened), and {@link affineCouplingInverse} takes their outputs:
 * `x = (y − t ⊙ m̄) ⊙ exp(−s)`, `s = c ⊙ a(r) ⊙ m̄`, log-det `−Σ s`.
 *
 * Where the active backend registers {@link DENSE_COUPLING_INVERSE} and its gradient (`wasm` with
 * `@flows/native-kernels`), both networks have ReLU hidden layers and fused kernels are on, the whole
 * layer is one kernel call forward and one backward; its gradient gives the gradients of y, c, the
 * context and every weight and bias. Elsewhere the networks' own forward passes and
 * {@link affineCouplingInverse} run, as before; {@link referenceDenseCouplingInverse} is the
 * stock-op reference both are tested against. Callers never ask which backend runs.
 */
export function denseCouplingInverse(
  y: tf.Tensor,
  scale: DenseNetwork,
  translation: DenseNetwork,
  scaleFactor: tf.Tensor | null,
  mask: tf.Tensor,
  inverseMask: tf.Tensor,
  tanh: boolean,
  context?: tf.Tensor,
): [tf.Tensor, tf.Tensor1D] {
  const backend = tf.getBackend();
  registerKernelsFor(backend);
  if (
    runtimeSettings().fusedKernels &&
    tf.getKernel(DENSE_COUPLING_INVERSE, backend) &&
    tf.getKernel(DENSE_COUPLING_INVERSE_GRADIENT, backend) &&
    fusable(scale) &&
    fusable(translation) &&
    y.dtype === 'float32'
  ) {
    const run = engineWithKernelFunctions();
    if (run) return fusedCoupling(run, y, scale, translation, scaleFactor, inverseMask, tanh, context);
  }
  const input = maskedInput(y, mask, context);
  const rawScale = tf.reshape(scale.apply(input), y.shape);
  const rawTranslation = tf.reshape(translation.apply(input), y.shape);
  return affineCouplingInverse(y, rawScale, rawTranslation, scaleFactor, inverseMask, tanh);
}

/** The stock-op composition of {@link denseCouplingInverse} (`relu(h W + b)` layers, the last linear): the reference every kernel is tested against. */
export function referenceDenseCouplingInverse(
  y: tf.Tensor,
  scale: DenseLayers,
  translation: DenseLayers,
  scaleFactor: tf.Tensor | null,
  mask: tf.Tensor,
  inverseMask: tf.Tensor,
  tanh: boolean,
  context?: tf.Tensor,
): [tf.Tensor, tf.Tensor1D] {
  const input = maskedInput(y, mask, context);
  const network = (layers: DenseLayers) =>
    layers.weights.reduce((h: tf.Tensor, weight, i) => {
      const z = tf.add(tf.matMul(h as tf.Tensor2D, weight as tf.Tensor2D), layers.biases[i]);
      return i < layers.weights.length - 1 ? tf.relu(z) : z;
    }, input);
  return referenceAffineCouplingInverse(y, tf.reshape(network(scale), y.shape), tf.reshape(network(translation), y.shape), scaleFactor, inverseMask, tanh);
}

/** The networks' input: the masked events, flattened, with the context appended when there is one. */
function maskedInput(y: tf.Tensor, mask: tf.Tensor, context?: tf.Tensor): tf.Tensor2D {
  const masked = tf.mul(y, mask);
  const flat = y.rank > 2 ? tf.reshape(masked, [y.shape[0], -1]) : masked;
  return (context ? tf.concat([flat as tf.Tensor2D, context as tf.Tensor2D], 1) : flat) as tf.Tensor2D;
}

function fusable(network: DenseNetwork): boolean {
  const layers = network.weights.length;
  return network.activation === 'relu' && layers >= 1 && layers <= DENSE_COUPLING_MAX_LAYERS && network.biases.length === layers;
}

/** The layers' inputs of the fused kernels, by the contract's names. */
function layerInputs(scale: DenseLayers, translation: DenseLayers): Record<string, tf.Tensor> {
  const inputs: Record<string, tf.Tensor> = {};
  for (const [name, network] of [
    ['scale', scale],
    ['translation', translation],
  ] as const) {
    network.weights.forEach((weight, i) => {
      inputs[`${name}Weight${i}`] = weight;
      inputs[`${name}Bias${i}`] = network.biases[i];
    });
  }
  return inputs;
}

type GradientMap = Record<string, () => tf.Tensor>;

/**
 * TensorFlow.js's engine runs a custom operation with several outputs and a gradient of its own
 * through `runKernelFunc`, the method `tf.customGrad` is built on. It is not in the engine's public
 * types, and it is used here because neither public door fits: `customGrad` allows one output (the
 * coupling has two: x and the log-det), and a registered kernel's gradient can keep only its inputs
 * and outputs, so the hidden activations would have to be outputs, for each of which the engine
 * makes a tensor of zeros as its gradient in every backward pass (1.8 MB per layer at batch 256).
 */
interface EngineWithKernelFunctions {
  runKernelFunc(params: {
    forwardFunc: (backend: unknown, save: (tensors: tf.Tensor[]) => void) => tf.Tensor[];
    backwardsFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => GradientMap;
    inputs: tf.NamedTensorMap;
  }): tf.Tensor[];
}

function engineWithKernelFunctions(): EngineWithKernelFunctions | null {
  const engine = tf.engine() as unknown as Partial<EngineWithKernelFunctions>;
  return typeof engine.runKernelFunc === 'function' ? (engine as EngineWithKernelFunctions) : null;
}

function fusedCoupling(
  engine: EngineWithKernelFunctions,
  y: tf.Tensor,
  scale: DenseNetwork,
  translation: DenseNetwork,
  scaleFactor: tf.Tensor | null,
  inverseMask: tf.Tensor,
  tanh: boolean,
  context?: tf.Tensor,
): [tf.Tensor, tf.Tensor1D] {
  const batch = y.shape[0];
  const layers = layerInputs(scale, translation);
  const attrs = { tanh, scaleLayers: scale.weights.length, translationLayers: translation.weights.length };
  // What the tape differentiates: y, the factor and context where given, and the layers.
  const inputs: tf.NamedTensorMap = { y, ...layers, ...(scaleFactor ? { scaleFactor } : {}), ...(context ? { context } : {}) };
  // The forward kernel's outputs after x, the log-det, u and the scale network's output, by the gradient kernel's names.
  const savedNames = [
    ...Array.from({ length: attrs.scaleLayers - 1 }, (_, i) => `scaleHidden${i}`),
    ...Array.from({ length: attrs.translationLayers - 1 }, (_, i) => `translationHidden${i}`),
    ...Array.from({ length: Math.min(attrs.scaleLayers, 2) }, (_, i) => `scaleGathered${i}`),
    ...Array.from({ length: Math.min(attrs.translationLayers, 2) }, (_, i) => `translationGathered${i}`),
  ];
  const weightNames = Object.keys(layers).filter((name) => name.includes('Weight'));
  const [x, logDet] = engine.runKernelFunc({
    forwardFunc: (_, save) => {
      const factor = scaleFactor ?? tf.onesLike(inverseMask);
      const contextInput = context ?? tf.zeros([batch, 0]);
      const kernelInputs: DenseCouplingInverseInputs<tf.Tensor> = { y, inverseMask, scaleFactor: factor, context: contextInput, ...layers };
      const [xOut, logDetOut, conditionerInput, scaleRaw, ...more] = runFlowsKernel(DENSE_COUPLING_INVERSE, kernelInputs, attrs);
      // Everything the gradient kernel reads; the engine keeps these until the backward pass.
      save([y, inverseMask, factor, contextInput, xOut, conditionerInput, scaleRaw, ...more, ...weightNames.map((name) => layers[name])]);
      return [xOut, logDetOut];
    },
    backwardsFunc: (dys, saved) => {
      const [dx, dl] = dys as tf.Tensor[];
      const [savedY, savedMask, factor, contextInput, savedX, conditionerInput, scaleRaw, ...rest] = saved;
      const gradientInputs: DenseCouplingInverseGradientInputs<tf.Tensor> = {
        dx,
        dl,
        y: savedY,
        inverseMask: savedMask,
        scaleFactor: factor,
        context: contextInput,
        x: savedX,
        conditionerInput,
        scaleRaw,
      };
      savedNames.forEach((name, i) => {
        gradientInputs[name as `scaleHidden${number}`] = rest[i];
      });
      weightNames.forEach((name, i) => {
        gradientInputs[name as `scaleWeight${number}`] = rest[savedNames.length + i];
      });
      const [dy, dScaleFactor, dContext, ...layerGradients] = runFlowsKernel(DENSE_COUPLING_INVERSE_GRADIENT, gradientInputs, attrs);
      const gradients: GradientMap = { y: () => dy, scaleFactor: () => dScaleFactor, context: () => dContext };
      Object.keys(layers).forEach((name, i) => {
        gradients[name] = () => layerGradients[i];
      });
      return gradients;
    },
    inputs,
  });
  return [x, logDet as tf.Tensor1D];
}
