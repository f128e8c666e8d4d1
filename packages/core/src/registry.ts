import { ConfigError } from './errors.js';
import type { Serialized } from './module.js';

/**
 * What kind of module a registered class is. A saved file names the kind by where the module sits
 * (a flow's `bijector`, its `base` distribution, a coupling's `conditioner`), so names need only
 * be unique within a kind.
 */
export type ModuleKind = 'bijector' | 'conditioner' | 'transformer' | 'distribution' | 'model';

/** A class the registry can rebuild: its static `className` and `fromConfig`. */
export interface ModuleClass<T> {
  readonly className: string;
  // The registry passes the configuration read from a file; the class checks what it reads.
  fromConfig(config: never): T;
}

/** Rebuilds a module from the configuration read from a file. */
export type ModuleFactory<T> = (config: Record<string, unknown>) => T;

/** Options of {@link registerModule}. */
export interface RegisterOptions {
  /** Replace an existing registration of the same name instead of throwing. */
  override?: boolean;
}

// One store per JavaScript realm, shared by every copy of this package that a bundler or a nested
// node_modules may load (as TensorFlow.js shares its kernel registry): a class registered through
// one copy loads through another.
const registryKey = Symbol.for('@flows/core/registry');
const globalStore = globalThis as typeof globalThis & { [registryKey]?: Map<ModuleKind, Map<string, ModuleFactory<unknown>>> };
globalStore[registryKey] ??= new Map();
const registries = globalStore[registryKey];

function registryOf(kind: ModuleKind): Map<string, ModuleFactory<unknown>> {
  let registry = registries.get(kind);
  if (!registry) {
    registry = new Map();
    registries.set(kind, registry);
  }
  return registry;
}

/**
 * Makes a class known to {@link moduleFromJSON}, under its static `className`, so that saved files
 * naming it load. The packages register their own classes when imported; plugins call this (or
 * the kind's own `registerBijector`, `registerDistribution`, …) once, from an exported `register()`.
 * Registering a name twice throws unless `override` is set.
 */
export function registerModule<T>(kind: ModuleKind, moduleClass: ModuleClass<T>, options: RegisterOptions = {}): void {
  registerModuleFactory(kind, moduleClass.className, (config) => moduleClass.fromConfig(config as never), options);
}

/** Like {@link registerModule}, for a name whose module is rebuilt by a function rather than a class's `fromConfig`. */
export function registerModuleFactory<T>(kind: ModuleKind, className: string, factory: ModuleFactory<T>, options: RegisterOptions = {}): void {
  if (!className || typeof className !== 'string') throw new ConfigError(`register ${kind}: the class name must be a non-empty string`);
  if (typeof factory !== 'function') throw new ConfigError(`register ${kind} '${className}': expected a class with a static fromConfig`);
  const registry = registryOf(kind);
  if (registry.has(className) && !options.override) {
    throw new ConfigError(`register ${kind}: '${className}' is already registered (pass { override: true } to replace it)`);
  }
  registry.set(className, factory);
}

/** Names of every registered class of a kind, sorted. */
export function registeredModules(kind: ModuleKind): string[] {
  return [...registryOf(kind).keys()].sort();
}

/** Whether a class name is registered for a kind. */
export function isRegistered(kind: ModuleKind, className: string): boolean {
  return registryOf(kind).has(className);
}

/**
 * Rebuilds a module (fresh variables) from `{ className, config }`. An unknown class name is a
 * {@link ConfigError} that lists the registered ones and says what to import.
 */
export function moduleFromJSON<T>(kind: ModuleKind, serialized: unknown): T {
  const { className, config } = readSerialized(serialized, kind);
  const factory = registryOf(kind).get(className);
  if (!factory) {
    const elsewhere = [...registries.keys()].filter((other) => other !== kind && registryOf(other).has(className));
    if (elsewhere.length > 0)
      throw new ConfigError(
        `'${className}' is a ${elsewhere[0]}, not a ${kind}: rebuild it with its own function (a model file: loadModel(dir, rebuild), such as VariationalDequantization.fromJSON or vaeFromJSON)`,
      );
    const known = registeredModules(kind);
    throw new ConfigError(
      `unknown ${kind} class '${className}'; registered: ${known.length ? known.join(', ') : '(none)'}. ` +
        `Import the package that defines it before loading (the built-in classes register when their package is imported; a plugin's register() adds its own).`,
    );
  }
  return factory(config) as T;
}

/** Checks the `{ className, config }` shape of a serialized module, naming what is wrong. */
export function readSerialized(serialized: unknown, kind: string): Serialized {
  if (typeof serialized !== 'object' || serialized === null) throw new ConfigError(`a serialized ${kind} must be an object, got ${String(serialized)}`);
  const { className, config } = serialized as Partial<Serialized>;
  if (typeof className !== 'string') throw new ConfigError(`a serialized ${kind} needs a string 'className'`);
  if (typeof config !== 'object' || config === null) throw new ConfigError(`serialized ${kind} '${className}' needs a 'config' object`);
  return { className, config };
}

/** Registers a class under its static `className`, or a factory under a name (one kind's `register…`). */
export interface RegisterFunction<T> {
  (moduleClass: ModuleClass<T>, options?: RegisterOptions): void;
  (className: string, factory: ModuleFactory<T>, options?: RegisterOptions): void;
}

/** The typed functions of one kind of module: what `registerBijector`, `registerDistribution` and the like are made of. */
export interface KindRegistry<T> {
  register: RegisterFunction<T>;
  /** Names of every registered class of the kind, sorted. */
  registered(): string[];
  /** Rebuilds a module of the kind (fresh variables) from `{ className, config }`. */
  fromJSON(serialized: unknown): T;
}

/**
 * The register, list and rebuild functions of one kind, typed by what the kind's modules are.
 * `is` checks what a factory returned (a factory that makes something else is a {@link ConfigError}).
 */
export function kindRegistry<T>(kind: ModuleKind, is?: (value: unknown) => value is T, what: string = kind): KindRegistry<T> {
  const register = ((classOrName: ModuleClass<T> | string, factoryOrOptions?: ModuleFactory<T> | RegisterOptions, options: RegisterOptions = {}) => {
    if (typeof classOrName === 'string') registerModuleFactory(kind, classOrName, factoryOrOptions as ModuleFactory<T>, options);
    else registerModule(kind, classOrName, (factoryOrOptions as RegisterOptions | undefined) ?? {});
  }) as RegisterFunction<T>;
  return {
    register,
    registered: () => registeredModules(kind),
    fromJSON(serialized: unknown): T {
      const made = moduleFromJSON<unknown>(kind, serialized);
      if (is && !is(made))
        throw new ConfigError(`the factory registered for ${what} '${(serialized as { className: string }).className}' did not return a ${what}`);
      return made as T;
    },
  };
}
