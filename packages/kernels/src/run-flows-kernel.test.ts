import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { flowsKernelConfig } from './flows-kernel-config.js';
import { ADAM_MOMENT, AFFINE_COUPLING_INVERSE, FLOWS_KERNEL_NAMES } from './kernel-contract.js';
import { runFlowsKernel } from './run-flows-kernel.js';

interface CpuBackendLike {
  readSync(id: object): Float32Array;
  makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): tf.TensorInfo;
}

describe('runFlowsKernel and flowsKernelConfig', () => {
  it('hand a registered kernel the inputs and attributes its contract names, and return its outputs', () => {
    const seen: string[] = [];
    tf.registerKernel(
      flowsKernelConfig<typeof ADAM_MOMENT, CpuBackendLike>(ADAM_MOMENT, 'cpu', ({ inputs, attrs, backend }) => {
        seen.push(`${Object.keys(inputs).sort().join(',')} ${attrs.which} ${attrs.beta} ${attrs.clipNorm}`);
        const [m, g] = [backend.readSync(inputs.moment.dataId), backend.readSync(inputs.gradient.dataId)];
        return backend.makeTensorInfo(
          [...inputs.moment.shape],
          'float32',
          m.map((value, i) => attrs.beta * value + (1 - attrs.beta) * g[i]),
        );
      }),
    );
    try {
      const moment = tf.tensor1d([1, 2]);
      const gradient = tf.tensor1d([3, 5]);
      const squares = tf.tensor1d([34]);
      const out = runFlowsKernel(ADAM_MOMENT, { moment, gradient, sumOfSquares: squares }, { which: 'first', beta: 0.5, clipNorm: 0 });
      expect(seen).toEqual(['gradient,moment,sumOfSquares first 0.5 0']);
      expect(Array.from(out.dataSync())).toEqual([2, 3.5]);
      tf.dispose([moment, gradient, squares, out]);
    } finally {
      tf.unregisterKernel(ADAM_MOMENT, 'cpu');
    }
  });

  it('names every fused kernel once', () => {
    expect([...FLOWS_KERNEL_NAMES].sort()).toEqual(
      [
        'FlowsActNormInverse',
        'FlowsActNormInverseGradient',
        'FlowsAdamMoment',
        'FlowsAdamParameter',
        'FlowsAdamUpdate',
        'FlowsAffineCouplingInverse',
        'FlowsAffineCouplingInverseGradient',
        'FlowsConv2DBackward',
        'FlowsConv2DFilterGradient',
        'FlowsDenseCouplingInverse',
        'FlowsDenseCouplingInverseGradient',
      ].sort(),
    );
  });
});

/**
 * Never called: `pnpm typecheck` proves that the contract's types reach both sides (an unused
 * `@ts-expect-error` fails it), so a renamed input or attribute cannot compile anywhere.
 */
export function contractTypesCheck(y: tf.Tensor): void {
  // @ts-expect-error: the coupling has no input `shift` (it is `rawTranslation`).
  runFlowsKernel(AFFINE_COUPLING_INVERSE, { y, rawScale: y, shift: y, inverseMask: y, scaleFactor: y }, { tanh: true });
  // @ts-expect-error: `tanh` is a boolean.
  runFlowsKernel(AFFINE_COUPLING_INVERSE, { y, rawScale: y, rawTranslation: y, inverseMask: y, scaleFactor: y }, { tanh: 1 });
  // @ts-expect-error: the coupling gives two outputs, not three.
  const [, , third] = runFlowsKernel(AFFINE_COUPLING_INVERSE, { y, rawScale: y, rawTranslation: y, inverseMask: y, scaleFactor: y }, { tanh: true });
  // @ts-expect-error: the Adam moment is 'first' or 'second'.
  runFlowsKernel(ADAM_MOMENT, { moment: y, gradient: y, sumOfSquares: y }, { which: 'third', beta: 0.9, clipNorm: 0 });
  flowsKernelConfig(ADAM_MOMENT, 'cpu', ({ inputs }) => {
    // @ts-expect-error: a kernel function sees only the inputs its contract names.
    return inputs.parameter;
  });
  void third;
}
