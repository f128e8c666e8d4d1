export { selectBackend, describeBackend, type BackendChoice } from './select-backend.js';
export { BACKENDS, BACKEND_ORDER, BACKEND_CHOICES, backendChoices, type BackendName } from './backend-table.js';
export {
  resolveBackendSettings,
  BACKEND_ENV_VARIABLE,
  WASM_THREADS_WORK_THRESHOLD,
  type BackendOptions,
  type BackendSettings,
} from './backend-settings.js';
export type { BackendStarter, StarterSettings, StartedBackend, NativeKernelsFound, BackendRuntime } from './backend-starter.js';
// For users who activate a backend themselves with tf.setBackend: selectBackend registers the
// fused kernels for the backend it starts; after a tf.setBackend of your own, call this.
export { registerKernelsFor } from '@flows/kernels';
