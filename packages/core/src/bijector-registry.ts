import { Bijector } from './bijector.js';
import { ConfigError } from './errors.js';
import {
  type ModuleClass,
  type ModuleFactory,
  type RegisterOptions,
  moduleFromJSON,
  registeredModules,
  registerModule,
  registerModuleFactory,
} from './registry.js';

/** Rebuilds a bijector from its `getConfig()` output. */
export type BijectorFactory = ModuleFactory<Bijector>;

/**
 * Makes a bijector class known to {@link bijectorFromJSON} under its static `className`, so saved
 * models that use it load: `registerBijector(SplineCoupling)`. Plugin packages call this once
 * (for example from an exported `register()` function); `@flows/bijectors` registers its own
 * classes when it is imported. The two-argument form registers a factory function under a name.
 * Registering a name twice throws unless `override` is set.
 */
export function registerBijector(bijectorClass: ModuleClass<Bijector>, options?: RegisterOptions): void;
export function registerBijector(className: string, factory: BijectorFactory, options?: RegisterOptions): void;
export function registerBijector(
  classOrName: ModuleClass<Bijector> | string,
  factoryOrOptions?: BijectorFactory | RegisterOptions,
  options: RegisterOptions = {},
): void {
  if (typeof classOrName === 'string') {
    registerModuleFactory('bijector', classOrName, factoryOrOptions as BijectorFactory, options);
  } else {
    registerModule('bijector', classOrName, (factoryOrOptions as RegisterOptions | undefined) ?? {});
  }
}

/** Names of every registered bijector class, sorted. */
export function registeredBijectors(): string[] {
  return registeredModules('bijector');
}

/** Rebuilds a bijector (fresh variables) from `{ className, config }`. */
export function bijectorFromJSON(serialized: unknown): Bijector {
  const bijector = moduleFromJSON<unknown>('bijector', serialized);
  if (!(bijector instanceof Bijector)) {
    throw new ConfigError(`the factory registered for bijector '${(serialized as { className: string }).className}' did not return a Bijector`);
  }
  return bijector;
}
