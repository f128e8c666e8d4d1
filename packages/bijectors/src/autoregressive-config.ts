import { ConfigError } from '@flows/core';
import { conditionerFromJSON, MADE } from '@flows/networks';
import type { AutoregressiveConfig, AutoregressiveOptions } from './autoregressive.js';
import { transformerFromJSON } from './transformer-registry.js';

/** Options that rebuild an autoregressive bijector (MAF, IAF or a plugin's subclass) from its config. */
export function autoregressiveOptionsFromConfig(config: AutoregressiveConfig): AutoregressiveOptions {
  const made = conditionerFromJSON(config.made);
  if (!(made instanceof MADE)) throw new ConfigError(`an autoregressive layer needs a MADE conditioner, got '${made.className}'`);
  return { size: config.size, transformer: transformerFromJSON(config.transformer), made };
}
