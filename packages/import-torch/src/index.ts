export { importTorchFlow, type ImportedFlow, type TorchFlowOrigin } from './import-flow.js';
export { importTorchFiles, descriptionPathOf } from './files.js';
export { exportTorchFlow, type ExportedFlow } from './export-flow.js';
export { UnsupportedArchitectureError, ArchitectureError } from './errors.js';
export { ARCHITECTURE_FORMAT, ARCHITECTURE_FORMAT_VERSION } from './description.js';
export {
  readSafetensors,
  writeSafetensors,
  SafetensorsFile,
  SafetensorsError,
  SAFETENSORS_DTYPES,
  type SafetensorsDtype,
  type SafetensorsEntry,
} from './safetensors.js';
export { TorchNetwork, type TorchNetworkOptions, type TorchNetworkConfig, type TorchNetworkDegrees } from './torch-network.js';
export { TorchAutoregressive, type TorchAutoregressiveOptions, type TorchAutoregressiveConfig } from './torch-autoregressive.js';
// EmbeddedContext now lives in @flows/distributions (the builders' `embedding` option makes it too); re-exported for programs that import it from here.
export { EmbeddedContext, type EmbeddedContextConfig } from '@flows/distributions';
export { registerTorchImport } from './register.js';
