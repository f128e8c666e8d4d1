import {
  type ModuleClass,
  type ModuleFactory,
  type RegisterOptions,
  type Serialized,
  moduleFromJSON,
  registeredModules,
  registerModule,
  registerModuleFactory,
} from '@flows/core';
import type { Conditioner } from './conditioner.js';

/** Rebuilds a conditioner from its `getConfig()` output. */
export type ConditionerFactory = ModuleFactory<Conditioner>;

/**
 * Makes a conditioner class known to {@link conditionerFromJSON} under its static `className`
 * (`registerConditioner(MyNetwork)`), or a factory under a name. This package registers MLP, MADE
 * and ConvNet when it is imported.
 */
export function registerConditioner(conditionerClass: ModuleClass<Conditioner>, options?: RegisterOptions): void;
export function registerConditioner(className: string, factory: ConditionerFactory, options?: RegisterOptions): void;
export function registerConditioner(
  classOrName: ModuleClass<Conditioner> | string,
  factoryOrOptions?: ConditionerFactory | RegisterOptions,
  options: RegisterOptions = {},
): void {
  if (typeof classOrName === 'string') registerModuleFactory('conditioner', classOrName, factoryOrOptions as ConditionerFactory, options);
  else registerModule('conditioner', classOrName, (factoryOrOptions as RegisterOptions | undefined) ?? {});
}

/** Names of every registered conditioner class, sorted. */
export function registeredConditioners(): string[] {
  return registeredModules('conditioner');
}

/** `{ className, config }` of a conditioner, the form {@link conditionerFromJSON} reads. */
export function conditionerToJSON(conditioner: Conditioner): Serialized {
  return { className: conditioner.className, config: conditioner.getConfig() as Record<string, unknown> };
}

/** Rebuilds a conditioner (fresh weights) from `{ className, config }`. */
export function conditionerFromJSON(serialized: unknown): Conditioner {
  return moduleFromJSON<Conditioner>('conditioner', serialized);
}
