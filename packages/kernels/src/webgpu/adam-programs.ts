import * as tf from '@tensorflow/tfjs-core';
import { flowsKernelConfig } from '../flows-kernel-config.js';
import { ADAM_MOMENT, ADAM_PARAMETER } from '../kernel-contract.js';
import { type FlatProgram, runProgramOn } from './flat-programs.js';

/**
 * The Adam update as WGSL compute programs for the `webgpu` backend, run through the backend's
 * own program runner (so they queue with its other kernels and need no CPU-GPU synchronisation).
 *
 * The tensor-kernel update costs about twenty dispatches plus two per variable; on a GPU each
 * dispatch costs more than its arithmetic for all but the largest layers, so `tf.train.adam`'s
 * per-variable kernel chains outweighed the forward and backward passes together (the measurement
 * is in bench/results.md). Here: one dispatch per moment over the flat buffers (the clip
 * factor computed in the shader from the gradient's sum of squares), then one per variable.
 *
 * Per element, with g scaled by the clip factor, the same update as `Adam`'s other placements:
 * `m ← β₁m + (1−β₁)g`, `v ← β₂v + (1−β₂)g²`, `p ← p·decay − step·m / (√(v·c₂⁻¹) + ε)`.
 */

/** The clip factor from the gradient's sum of squares (`clipNorm` 0: no clipping). */
const CLIP_FACTOR = `var scale = 1.0;
          if (uniforms.clipNorm > 0.0) {
            scale = min(1.0, uniforms.clipNorm / max(sqrt(S[0]), 1e-12));
          }`;

function momentProgram(which: 'first' | 'second', size: number): FlatProgram {
  const g = which === 'first' ? 'g' : 'g * g';
  return {
    key: `flows_adam_${which}_moment`,
    inputs: ['M', 'G', 'S'],
    shape: [size],
    uniformDeclarations: 'beta : f32, clipNorm : f32,',
    body: `${CLIP_FACTOR}
          let g = G[index] * scale;
          result[index] = uniforms.beta * M[index] + (1.0 - uniforms.beta) * ${g};`,
  };
}

function parameterProgram(shape: readonly number[]): FlatProgram {
  return {
    key: 'flows_adam_parameter',
    inputs: ['P', 'M', 'V'],
    shape: [...shape],
    uniformDeclarations: 'offset : i32, stepSize : f32, inverseCorrection2 : f32, epsilon : f32, decay : f32,',
    body: `let j = uniforms.offset + index;
          result[index] = P[index] * uniforms.decay - (uniforms.stepSize * M[j]) / (sqrt(V[j] * uniforms.inverseCorrection2) + uniforms.epsilon);`,
  };
}

/** Registers the two Adam programs as kernels of the `webgpu` backend (once); no gradients: the optimizer runs outside the tape. */
export function registerWebgpuAdam(): void {
  if (tf.getKernel(ADAM_MOMENT, 'webgpu')) return;
  tf.registerKernel(
    flowsKernelConfig(ADAM_MOMENT, 'webgpu', ({ inputs, backend, attrs }) => {
      const { moment, gradient, sumOfSquares } = inputs;
      const { which, beta, clipNorm } = attrs;
      return runProgramOn(
        backend,
        momentProgram(
          which,
          moment.shape.reduce((a, b) => a * b, 1),
        ),
        [moment, gradient, sumOfSquares],
        [
          { type: 'float32', data: [beta] },
          { type: 'float32', data: [clipNorm] },
        ],
      );
    }),
  );
  tf.registerKernel(
    flowsKernelConfig(ADAM_PARAMETER, 'webgpu', ({ inputs, backend, attrs: step }) => {
      const { parameter, firstMoment, secondMoment } = inputs;
      return runProgramOn(
        backend,
        parameterProgram(parameter.shape),
        [parameter, firstMoment, secondMoment],
        [
          { type: 'int32', data: [step.offset] },
          { type: 'float32', data: [step.stepSize] },
          { type: 'float32', data: [step.inverseCorrection2] },
          { type: 'float32', data: [step.epsilon] },
          { type: 'float32', data: [step.decay] },
        ],
      );
    }),
  );
}
