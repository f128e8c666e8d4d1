import { isRegistered } from '@flows/core';
import { MLP } from './conditioner.js';
import { registerConditioner } from './conditioner-registry.js';
import { ConvNet } from './conv-net.js';
import { MADE } from './made.js';

/**
 * Registers this package's conditioners (MLP, MADE, ConvNet) with the registry of `@flows/core`.
 * The package's entry point calls it when imported; calling it again does nothing.
 */
export function registerBuiltinConditioners(): void {
  for (const conditionerClass of [MLP, MADE, ConvNet]) {
    if (!isRegistered('conditioner', conditionerClass.className)) registerConditioner(conditionerClass);
  }
}
