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
import type { Transformer } from './transformer.js';

/** Rebuilds a transformer from its `getConfig()` output. */
export type TransformerFactory = ModuleFactory<Transformer>;

/**
 * Makes a transformer class (an elementwise map of couplings and autoregressive layers) known to
 * {@link transformerFromJSON} under its static `className`, or a factory under a name.
 */
export function registerTransformer(transformerClass: ModuleClass<Transformer>, options?: RegisterOptions): void;
export function registerTransformer(className: string, factory: TransformerFactory, options?: RegisterOptions): void;
export function registerTransformer(
  classOrName: ModuleClass<Transformer> | string,
  factoryOrOptions?: TransformerFactory | RegisterOptions,
  options: RegisterOptions = {},
): void {
  if (typeof classOrName === 'string') registerModuleFactory('transformer', classOrName, factoryOrOptions as TransformerFactory, options);
  else registerModule('transformer', classOrName, (factoryOrOptions as RegisterOptions | undefined) ?? {});
}

/** Names of every registered transformer class, sorted. */
export function registeredTransformers(): string[] {
  return registeredModules('transformer');
}

/** `{ className, config }` of a transformer, the form {@link transformerFromJSON} reads. */
export function transformerToJSON(transformer: Transformer): Serialized {
  return { className: transformer.className, config: transformer.getConfig() as Record<string, unknown> };
}

/** Rebuilds a transformer from `{ className, config }`. */
export function transformerFromJSON(serialized: unknown): Transformer {
  return moduleFromJSON<Transformer>('transformer', serialized);
}
