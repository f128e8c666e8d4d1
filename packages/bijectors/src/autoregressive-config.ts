import type { AutoregressiveOptions } from './autoregressive.js';
import type { MADE } from './made.js';
import { conditionerFromJSON, transformerFromJSON } from './registry.js';

/** Options that rebuild an autoregressive bijector (MAF, IAF or a plugin's subclass) from its config. */
export function autoregressiveOptionsFromConfig(config: Record<string, unknown>): AutoregressiveOptions {
  return { size: config.size as number, transformer: transformerFromJSON(config.transformer), made: conditionerFromJSON(config.made) as MADE };
}
