import * as tf from '@tensorflow/tfjs-core';

/**
 * Small WGSL compute programs run through the `webgpu` backend's own program runner, so they queue
 * with its other kernels. On a GPU each dispatch has a fixed cost that exceeds the arithmetic of the
 * toolkit's elementwise work; these programs fuse chains of stock kernels into one dispatch each.
 * `@tensorflow/tfjs-backend-webgpu` stays an optional peer: nothing here imports it.
 */

export interface ProgramUniform {
  type: 'float32' | 'int32';
  data: number[];
}

interface WebGPUBackendLike {
  runWebGPUProgram(program: object, inputs: tf.TensorInfo[], outputDtype: 'float32', uniforms?: ProgramUniform[]): tf.TensorInfo;
}

const WORKGROUP = 64;

/** Whether the active backend can run these programs at all. */
export function canRunWebgpuPrograms(): boolean {
  const backend: object = tf.backend();
  return tf.getBackend() === 'webgpu' && 'runWebGPUProgram' in backend && typeof backend.runWebGPUProgram === 'function';
}

export interface FlatProgram {
  /** Identifies the shader for the backend's pipeline cache, with the input shapes. */
  key: string;
  /** Input buffer names, in the order of the inputs: `array<f32>` in the shader. */
  inputs: string[];
  /** Shape of the output `result`, addressed by a flat `index`. */
  shape: number[];
  /** Extra uniforms, WGSL struct members (`name : f32,`), in the order of `uniforms`. */
  uniformDeclarations?: string;
  /** Helper functions placed before `main`. */
  functions?: string;
  /** The body run for each `index` below `uniforms.size`; writes `result[index]`. */
  body: string;
}

/** The backend's program description for a flat-indexed program. */
function describe(program: FlatProgram): object {
  const size = program.shape.reduce((a, b) => a * b, 1);
  return {
    variableNames: program.inputs,
    outputShape: program.shape,
    shaderKey: program.key,
    dispatchLayout: { x: program.shape.map((_, i) => i) },
    dispatch: [Math.ceil(size / WORKGROUP), 1, 1],
    workgroupSize: [WORKGROUP, 1, 1],
    size: true,
    ...(program.uniformDeclarations ? { uniforms: program.uniformDeclarations } : {}),
    getUserCode: () => `
      ${program.functions ?? ''}
      fn main(index : i32) {
        if (index < uniforms.size) {
          ${program.body}
        }
      }
    `,
  };
}

/** Runs a program inside a kernel function (the backend given), returning the output's TensorInfo. */
export function runProgramOn(backend: unknown, program: FlatProgram, inputs: tf.TensorInfo[], uniforms: ProgramUniform[] = []): tf.TensorInfo {
  return (backend as WebGPUBackendLike).runWebGPUProgram(describe(program), inputs, 'float32', uniforms);
}

/** Runs a program on the active (webgpu) backend and returns its output as a tensor. */
export function runFlatProgram(program: FlatProgram, inputs: tf.Tensor[], uniforms: ProgramUniform[] = []): tf.Tensor {
  return tf.engine().makeTensorFromTensorInfo(runProgramOn(tf.backend(), program, inputs, uniforms));
}
