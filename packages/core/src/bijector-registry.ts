import { Bijector } from './bijector.js';
import { kindRegistry, type ModuleFactory } from './registry.js';

/** Rebuilds a bijector from its `getConfig()` output. */
export type BijectorFactory = ModuleFactory<Bijector>;

const bijectors = kindRegistry<Bijector>('bijector', (value): value is Bijector => value instanceof Bijector, 'Bijector');

/**
 * Makes a bijector class known to {@link bijectorFromJSON} under its static `className`, so saved
 * models that use it load: `registerBijector(SplineCoupling)`. Plugin packages call this once
 * (for example from an exported `register()` function); `@flows/bijectors` registers its own
 * classes when it is imported. The two-argument form registers a factory function under a name.
 * Registering a name twice throws unless `override` is set.
 */
export const registerBijector = bijectors.register;

/** Names of every registered bijector class, sorted. */
export const registeredBijectors = bijectors.registered;

/** Rebuilds a bijector (fresh variables) from `{ className, config }`. */
export const bijectorFromJSON = bijectors.fromJSON;
