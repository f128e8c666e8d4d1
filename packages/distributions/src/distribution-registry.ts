import {
  ConfigError,
  type ModuleClass,
  type ModuleFactory,
  type RegisterOptions,
  moduleFromJSON,
  registeredModules,
  registerModule,
  registerModuleFactory,
} from '@flows/core';
import { Distribution } from './distribution.js';

/** Rebuilds a distribution from its `getConfig()` output. */
export type DistributionFactory = ModuleFactory<Distribution>;

/**
 * Makes a distribution class known to {@link distributionFromJSON} under its static `className`
 * (`registerDistribution(VampPrior)`), or a factory under a name. This package registers its own
 * distributions when it is imported. Registering a name twice throws unless `override` is set.
 */
export function registerDistribution(distributionClass: ModuleClass<Distribution>, options?: RegisterOptions): void;
export function registerDistribution(className: string, factory: DistributionFactory, options?: RegisterOptions): void;
export function registerDistribution(
  classOrName: ModuleClass<Distribution> | string,
  factoryOrOptions?: DistributionFactory | RegisterOptions,
  options: RegisterOptions = {},
): void {
  if (typeof classOrName === 'string') registerModuleFactory('distribution', classOrName, factoryOrOptions as DistributionFactory, options);
  else registerModule('distribution', classOrName, (factoryOrOptions as RegisterOptions | undefined) ?? {});
}

/** Names of every registered distribution class, sorted. */
export function registeredDistributions(): string[] {
  return registeredModules('distribution');
}

/** Rebuilds a distribution (fresh variables) from `{ className, config }`. */
export function distributionFromJSON(serialized: unknown): Distribution {
  const distribution = moduleFromJSON<unknown>('distribution', serialized);
  if (!(distribution instanceof Distribution)) {
    throw new ConfigError(`the factory registered for distribution '${(serialized as { className: string }).className}' did not return a Distribution`);
  }
  return distribution;
}
