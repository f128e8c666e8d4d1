export {
  selectBackend,
  describeBackend,
  BACKEND_ORDER,
  BACKEND_ENV_VARIABLE,
  type BackendName,
  type BackendChoice,
  type BackendOptions,
} from './select-backend.js';
