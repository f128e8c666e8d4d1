// Gradients, chained tensor methods and the cpu fallback backend for @tensorflow/tfjs-core (see the module).
import './tensorflow-registrations.js';
export { Module, type Serialized } from './module.js';
export {
  type ModuleKind,
  type ModuleClass,
  type ModuleFactory,
  type RegisterOptions,
  registerModule,
  registerModuleFactory,
  registeredModules,
  isRegistered,
  moduleFromJSON,
  readSerialized,
  kindRegistry,
  type KindRegistry,
  type RegisterFunction,
} from './registry.js';
export { Bijector, perRow, sumEventAxes, zeroLogDet, type SerializedBijector } from './bijector.js';
export { registerBijector, registeredBijectors, bijectorFromJSON, type BijectorFactory } from './bijector-registry.js';
export { type RuntimeSettings, runtimeSettings, configureRuntime } from './runtime-settings.js';
export { Random, toRandom, type RandomState } from './random.js';
export { packWeights, assignWeights, newVariable, type WeightSpec } from './weights.js';
export { MissingInverseError, BijectorInputError, ConfigError } from './errors.js';
export { assertKnownOptions, closestName, optionNames, renamedOption, UnknownOptionError } from './options.js';
export { importNodeBuiltin, isNode, NodeOnlyError } from './node-builtins.js';
export { allInOrder } from './all-in-order.js';
export { canReadSynchronously, validateEvents, validateContext, validateMask, assertFinite, assertInside, assertPositiveInteger } from './validation.js';
