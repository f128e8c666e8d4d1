import type { Bijector, SerializedBijector } from './bijector.js';
import type { Conditioner } from './conditioner.js';
import type { Transformer } from './transformer.js';
import { registerBuiltins } from './builtins.js';
import { ConfigError } from './errors.js';

/** Rebuilds a bijector from its `getConfig()` output. */
export type BijectorFactory = (config: Record<string, unknown>) => Bijector;
/** Rebuilds a conditioner from its `getConfig()` output. */
export type ConditionerFactory = (config: Record<string, unknown>) => Conditioner;

/** Rebuilds a transformer from its `getConfig()` output. */
export type TransformerFactory = (config: Record<string, unknown>) => Transformer;

const bijectorFactories = new Map<string, BijectorFactory>();
const conditionerFactories = new Map<string, ConditionerFactory>();
const transformerFactories = new Map<string, TransformerFactory>();
let builtinsRegistered = false;

// The package registers its own classes on first use of the registry rather than at import, so
// importing it has no side effects (and `sideEffects: false` is true).
function ensureBuiltins(): void {
  if (builtinsRegistered) return;
  builtinsRegistered = true;
  registerBuiltins();
}

/**
 * Makes a bijector class known to {@link bijectorFromJSON}, so saved models that use it load.
 * Plugin packages call this once (for example from an exported `register()` function).
 * Registering a name twice throws unless `override` is set.
 */
export function registerBijector(className: string, factory: BijectorFactory, options: { override?: boolean } = {}): void {
  ensureBuiltins();
  if (!className || typeof className !== 'string') throw new ConfigError('registerBijector: className must be a non-empty string');
  if (bijectorFactories.has(className) && !options.override) {
    throw new ConfigError(`registerBijector: '${className}' is already registered (pass { override: true } to replace it)`);
  }
  bijectorFactories.set(className, factory);
}

/** Makes a conditioner class known to {@link conditionerFromJSON}. */
export function registerConditioner(className: string, factory: ConditionerFactory, options: { override?: boolean } = {}): void {
  ensureBuiltins();
  if (conditionerFactories.has(className) && !options.override) {
    throw new ConfigError(`registerConditioner: '${className}' is already registered (pass { override: true } to replace it)`);
  }
  conditionerFactories.set(className, factory);
}

/** Makes a transformer class (an elementwise map of couplings and autoregressive layers) known to {@link transformerFromJSON}. */
export function registerTransformer(className: string, factory: TransformerFactory, options: { override?: boolean } = {}): void {
  ensureBuiltins();
  if (transformerFactories.has(className) && !options.override) {
    throw new ConfigError(`registerTransformer: '${className}' is already registered (pass { override: true } to replace it)`);
  }
  transformerFactories.set(className, factory);
}

export function transformerToJSON(transformer: Transformer): SerializedBijector {
  return { className: transformer.className, config: transformer.getConfig() };
}

export function transformerFromJSON(serialized: unknown): Transformer {
  ensureBuiltins();
  const { className, config } = readSerialized(serialized, 'transformer');
  const factory = transformerFactories.get(className);
  if (!factory) throw new ConfigError(`unknown transformer class '${className}'; registered: ${[...transformerFactories.keys()].join(', ')}`);
  return factory(config);
}

/** Names of every registered bijector class. */
export function registeredBijectors(): string[] {
  ensureBuiltins();
  return [...bijectorFactories.keys()].sort();
}

/** Rebuilds a bijector (fresh variables) from `{ className, config }`. */
export function bijectorFromJSON(serialized: unknown): Bijector {
  ensureBuiltins();
  const { className, config } = readSerialized(serialized, 'bijector');
  const factory = bijectorFactories.get(className);
  if (!factory) {
    throw new ConfigError(
      `unknown bijector class '${className}'; registered: ${[...bijectorFactories.keys()].sort().join(', ')}. ` +
        'A plugin must call registerBijector before loading.',
    );
  }
  return factory(config);
}

export function conditionerToJSON(conditioner: Conditioner): SerializedBijector {
  return { className: conditioner.className, config: conditioner.getConfig() };
}

export function conditionerFromJSON(serialized: unknown): Conditioner {
  ensureBuiltins();
  const { className, config } = readSerialized(serialized, 'conditioner');
  const factory = conditionerFactories.get(className);
  if (!factory) throw new ConfigError(`unknown conditioner class '${className}'; registered: ${[...conditionerFactories.keys()].join(', ')}`);
  return factory(config);
}

function readSerialized(serialized: unknown, what: string): SerializedBijector {
  if (typeof serialized !== 'object' || serialized === null) throw new ConfigError(`a serialized ${what} must be an object, got ${String(serialized)}`);
  const { className, config } = serialized as Partial<SerializedBijector>;
  if (typeof className !== 'string') throw new ConfigError(`a serialized ${what} needs a string 'className'`);
  if (typeof config !== 'object' || config === null) throw new ConfigError(`serialized ${what} '${className}' needs a 'config' object`);
  return { className, config };
}
