import { fileURLToPath } from 'node:url';
import { ConfigError } from '@flows/core';
import { PRETRAINED_NAMES, PRETRAINED_PREFIX, pretrainedModelUrl, pretrainedName } from '@flows/pretrained';
import { UsageError } from './args.js';

/**
 * How the apps' `--model` help names the shipped models. A function, not a constant: flows-import
 * bundles cli-kit and must not import @flows/pretrained, which only a call brings in (Rollup drops
 * the unused import; a top-level constant would keep it).
 */
export function modelReferenceHelp(): string {
  return `or ${PRETRAINED_PREFIX}NAME for a shipped model of @flows/pretrained (${PRETRAINED_NAMES.join(', ')})`;
}

/**
 * The folder a `--model` value names: a path as given, or for `pretrained:NAME` the shipped
 * model's folder inside @flows/pretrained (only the listed names map to files). An unknown name is
 * a usage error that lists the shipped models, in the app's flag name.
 */
export function modelReference(value: string, flag = '--model'): string {
  try {
    const name = pretrainedName(value);
    return name === null ? value : fileURLToPath(pretrainedModelUrl(name));
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(`${flag}: ${error.message}`);
    throw error;
  }
}
