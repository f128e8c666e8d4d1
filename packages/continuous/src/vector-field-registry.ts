import { ConfigError, kindRegistry, type ModuleClass, type ModuleFactory, readSerialized, type RegisterOptions } from '@flows/core';
import type { VectorField } from './vector-field.js';

function isVectorField(value: unknown): value is VectorField {
  const field = value as Partial<VectorField> | null;
  return typeof field === 'object' && field !== null && typeof field.apply === 'function' && Array.isArray(field.eventShape);
}

// A vector field is the network a continuous flow integrates, so it is registered beside the
// coupling layers' networks (the 'conditioner' kind of @flows/core): names are unique across both,
// and a saved flow names its field under `field`. The check refuses a conditioner where a field is due.
const fields = kindRegistry<VectorField>('conditioner', isVectorField, 'VectorField');

// Which of those names are vector fields, so that a file naming a coupling's network where a field is
// due is refused before anything is built. One set per JavaScript realm, like the registry itself.
const namesKey = Symbol.for('@flows/continuous/vector-fields');
const globalStore = globalThis as typeof globalThis & { [namesKey]?: Set<string> };
globalStore[namesKey] ??= new Set();
const names = globalStore[namesKey];

/** Rebuilds a vector field from its `getConfig()` output. */
export type VectorFieldFactory = ModuleFactory<VectorField>;

/**
 * Makes a vector field class known to {@link vectorFieldFromJSON} under its static `className`
 * (`registerVectorField(MyField)`), or a factory under a name, so that saved continuous flows using
 * it load. This package registers its own fields when it is imported. Registering a name twice
 * throws unless `override` is set.
 */
export function registerVectorField(
  classOrName: ModuleClass<VectorField> | string,
  factoryOrOptions?: VectorFieldFactory | RegisterOptions,
  options?: RegisterOptions,
): void {
  if (typeof classOrName === 'string') fields.register(classOrName, factoryOrOptions as VectorFieldFactory, options);
  else fields.register(classOrName, factoryOrOptions as RegisterOptions | undefined);
  names.add(typeof classOrName === 'string' ? classOrName : classOrName.className);
}

/** Names of the vector fields registered through {@link registerVectorField}, sorted. */
export function registeredVectorFields(): string[] {
  return [...names].sort();
}

/**
 * Rebuilds a vector field (fresh variables) from `{ className, config }`. A class name that is not a
 * registered vector field is a {@link ConfigError} listing the registered ones.
 */
export function vectorFieldFromJSON(serialized: unknown): VectorField {
  const { className } = readSerialized(serialized, 'vector field');
  if (!names.has(className)) {
    throw new ConfigError(
      `unknown vector field class '${className}'; registered: ${registeredVectorFields().join(', ') || '(none)'}. ` +
        'Import the package that defines it before loading (a plugin registers its fields with registerVectorField).',
    );
  }
  return fields.fromJSON(serialized);
}
