import { kindRegistry, type ModuleFactory, type Serialized } from '@flows/core';
import type { Conditioner } from './conditioner.js';

/** Rebuilds a conditioner from its `getConfig()` output. */
export type ConditionerFactory = ModuleFactory<Conditioner>;

const conditioners = kindRegistry<Conditioner>('conditioner');

/**
 * Makes a conditioner class known to {@link conditionerFromJSON} under its static `className`
 * (`registerConditioner(MyNetwork)`), or a factory under a name. This package registers MLP, MADE
 * and ConvNet when it is imported.
 */
export const registerConditioner = conditioners.register;

/** Names of every registered conditioner class, sorted. */
export const registeredConditioners = conditioners.registered;

/** Rebuilds a conditioner (fresh weights) from `{ className, config }`. */
export const conditionerFromJSON = conditioners.fromJSON;

/** `{ className, config }` of a conditioner, the form {@link conditionerFromJSON} reads. */
export function conditionerToJSON(conditioner: Conditioner): Serialized {
  return { className: conditioner.className, config: conditioner.getConfig() as Record<string, unknown> };
}
