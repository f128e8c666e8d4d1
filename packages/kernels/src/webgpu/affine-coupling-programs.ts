import * as tf from '@tensorflow/tfjs-core';
import { flowsKernelConfig } from '../flows-kernel-config.js';
import { AFFINE_COUPLING_INVERSE, AFFINE_COUPLING_INVERSE_GRADIENT } from '../kernel-contract.js';
import { type FlatProgram, type ProgramUniform, runProgramOn } from './flat-programs.js';

/**
 * The density direction of the masked affine coupling as one WebGPU kernel with two outputs and a
 * four-dispatch gradient, in place of about ten stock kernels forward and twenty backward:
 *
 * `x = (y − t ⊙ m̄) ⊙ exp(−s)`, `s = c ⊙ a(r) ⊙ m̄`, `log|det ∂x/∂y| = −Σ s`,
 *
 * with r and t the raw outputs of the scale and translation networks, m̄ the inverse mask (1 where
 * the coordinate is transformed), c the per-coordinate scale factor and a = tanh or the identity.
 * Gradients, with g_x and g_l the incoming gradients of x and of the log-det:
 * `∂/∂y = g_x e^{−s}`, `∂/∂t = −g_x e^{−s} m̄`, `∂/∂r = −(g_x x + g_l) c m̄ a′(r)`,
 * `∂/∂c = −m̄ Σ_batch (g_x x + g_l) a(r)`.
 * Registered for the `webgpu` backend by {@link registerWebgpuAffineCoupling}; the op
 * `affineCouplingInverse` runs it there and its stock-op reference everywhere else.
 */

const KERNEL = AFFINE_COUPLING_INVERSE;

/** WGSL: the activation and its slope. tanh in the overflow-free form (WGSL's may give NaN for large inputs). */
function activationFunctions(tanh: boolean): string {
  return tanh
    ? `fn activation(a : f32) -> f32 {
        let e = exp(-2.0 * abs(a));
        return sign(a) * (1.0 - e) / (1.0 + e);
      }
      fn slope(a : f32) -> f32 {
        let t = activation(a);
        return 1.0 - t * t;
      }`
    : `fn activation(a : f32) -> f32 { return a; }
      fn slope(a : f32) -> f32 { return 1.0; }`;
}

/** Shared lines: the coordinate d of a flat index, s, and x recomputed (cheaper than saving them). */
const SCALE = `let d = index % uniforms.eventSize;
          let s = C[d] * activation(R[index]) * M[d];`;

type CouplingPrograms = Record<'value' | 'logDet' | 'gradientY' | 'gradientT' | 'gradientR' | 'gradientC', FlatProgram>;

const programCache = new Map<string, CouplingPrograms>();

/** The six programs for an activation and shapes, built once and then reused (a training step asks twice per layer). */
function programs(tanh: boolean, shape: readonly number[], eventShape: readonly number[]): CouplingPrograms {
  const cacheKey = `${tanh}|${shape.join(',')}|${eventShape.join(',')}`;
  const cached = programCache.get(cacheKey);
  if (cached) return cached;
  const functions = activationFunctions(tanh);
  const tag = tanh ? 'tanh' : 'identity';
  const program = (name: string, inputs: string[], outputShape: readonly number[], body: string): FlatProgram => ({
    functions,
    uniformDeclarations: 'eventSize : i32, batch : i32,',
    key: `flows_coupling_${name}_${tag}`,
    inputs,
    shape: [...outputShape],
    body,
  });
  const gradientInputs = ['DX', 'DL', 'Y', 'R', 'T', 'M', 'C'];
  const built: CouplingPrograms = {
    value: program(
      'x',
      ['Y', 'R', 'T', 'M', 'C'],
      shape,
      `${SCALE}
          result[index] = (Y[index] - T[index] * M[d]) * exp(-s);`,
    ),
    logDet: program(
      'logdet',
      ['R', 'M', 'C'],
      [shape[0]],
      `var total = 0.0;
          let base = index * uniforms.eventSize;
          for (var d = 0; d < uniforms.eventSize; d++) {
            total += C[d] * activation(R[base + d]) * M[d];
          }
          result[index] = -total;`,
    ),
    gradientY: program(
      'dy',
      ['DX', 'R', 'M', 'C'],
      shape,
      `${SCALE}
          result[index] = DX[index] * exp(-s);`,
    ),
    gradientT: program(
      'dt',
      ['DX', 'R', 'M', 'C'],
      shape,
      `${SCALE}
          result[index] = -DX[index] * exp(-s) * M[d];`,
    ),
    gradientR: program(
      'dr',
      gradientInputs,
      shape,
      `${SCALE}
          let x = (Y[index] - T[index] * M[d]) * exp(-s);
          result[index] = -(DX[index] * x + DL[index / uniforms.eventSize]) * C[d] * M[d] * slope(R[index]);`,
    ),
    gradientC: program(
      'dc',
      gradientInputs,
      eventShape,
      `var total = 0.0;
          for (var b = 0; b < uniforms.batch; b++) {
            let i = b * uniforms.eventSize + index;
            let s = C[index] * activation(R[i]) * M[index];
            let x = (Y[i] - T[i] * M[index]) * exp(-s);
            total += (DX[i] * x + DL[b]) * activation(R[i]);
          }
          result[index] = -total * M[index];`,
    ),
  };
  programCache.set(cacheKey, built);
  return built;
}

function uniformsFor(shape: readonly number[]): ProgramUniform[] {
  const eventSize = shape.slice(1).reduce((a, b) => a * b, 1);
  return [
    { type: 'int32', data: [eventSize] },
    { type: 'int32', data: [shape[0]] },
  ];
}

/** Registers the fused kernel and its gradient kernel for the `webgpu` backend (once). */
export function registerWebgpuAffineCoupling(): void {
  if (tf.getKernel(KERNEL, 'webgpu')) return;
  tf.registerKernel(
    flowsKernelConfig(KERNEL, 'webgpu', ({ inputs, backend, attrs }) => {
      const { y, rawScale, rawTranslation, inverseMask, scaleFactor } = inputs;
      const p = programs(attrs.tanh, y.shape, inverseMask.shape);
      const uniforms = uniformsFor(y.shape);
      return [
        runProgramOn(backend, p.value, [y, rawScale, rawTranslation, inverseMask, scaleFactor], uniforms),
        runProgramOn(backend, p.logDet, [rawScale, inverseMask, scaleFactor], uniforms),
      ];
    }),
  );
  // The gradient as a kernel of this backend, which the op's gradient (registered once for every backend) runs.
  tf.registerKernel(
    flowsKernelConfig(AFFINE_COUPLING_INVERSE_GRADIENT, 'webgpu', ({ inputs, backend, attrs }) => {
      const { dx, dl, y, rawScale, rawTranslation, inverseMask, scaleFactor } = inputs;
      const p = programs(attrs.tanh, y.shape, inverseMask.shape);
      const uniforms = uniformsFor(y.shape);
      const all = [dx, dl, y, rawScale, rawTranslation, inverseMask, scaleFactor];
      return [
        runProgramOn(backend, p.gradientY, [dx, rawScale, inverseMask, scaleFactor], uniforms),
        runProgramOn(backend, p.gradientT, [dx, rawScale, inverseMask, scaleFactor], uniforms),
        runProgramOn(backend, p.gradientR, all, uniforms),
        runProgramOn(backend, p.gradientC, all, uniforms),
      ];
    }),
  );
}
