import type { Distribution } from '@flows/distributions';
import { BernoulliDecoder, GaussianEncoder } from './networks.js';
import { flowPrior, mixtureOfGaussiansPrior, standardGaussianPrior, VampPrior } from './priors.js';
import { VAE } from './vae.js';
import { assertKnownOptions, isRegistered, moduleFromJSON, optionNames, registerModuleFactory } from '@flows/core';

export type PriorKind = 'gaussian' | 'mog' | 'flow' | 'vamp';
export const PRIOR_KINDS: readonly PriorKind[] = ['gaussian', 'mog', 'flow', 'vamp'];

export interface VAEOptions {
  prior: PriorKind;
  latentSize?: number;
  inputSize?: number;
  hidden?: number[];
  /** Mixture components or VampPrior pseudo-inputs (default 10 and 50). */
  components?: number;
  flowLayers?: number;
  flowHidden?: number[];
  seed?: number;
}

const VAE_OPTION_NAMES = optionNames<VAEOptions>()(['prior', 'latentSize', 'inputSize', 'hidden', 'components', 'flowLayers', 'flowHidden', 'seed']);

/** The course architecture (784-512-512 encoder and decoder) with the chosen prior. */
export function buildVAE(options: VAEOptions): VAE {
  assertKnownOptions(options, VAE_OPTION_NAMES, 'buildVAE');
  const latentSize = options.latentSize ?? 10;
  const inputSize = options.inputSize ?? 784;
  const seed = options.seed ?? 0;
  const encoder = new GaussianEncoder(inputSize, latentSize, { hidden: options.hidden, seed: seed * 4 + 1 });
  const decoder = new BernoulliDecoder(latentSize, inputSize, { hidden: options.hidden, seed: seed * 4 + 2 });
  let prior: Distribution;
  switch (options.prior) {
    case 'gaussian':
      prior = standardGaussianPrior(latentSize);
      break;
    case 'mog':
      prior = mixtureOfGaussiansPrior(latentSize, options.components ?? 10, seed * 4 + 3);
      break;
    case 'flow':
      prior = flowPrior(latentSize, { layers: options.flowLayers, hidden: options.flowHidden, seed: seed * 4 + 3 });
      break;
    case 'vamp':
      prior = new VampPrior(encoder, options.components ?? 50, seed * 4 + 3);
      break;
    default:
      throw new RangeError(`unknown prior '${String(options.prior)}'; expected ${PRIOR_KINDS.join(', ')}`);
  }
  return new VAE(encoder, decoder, prior, { ...options });
}

/** Makes `{ className: 'VAE', config }` loadable through the registry of `@flows/core` (kind `model`). Safe to call again. */
export function registerVAE(): void {
  if (!isRegistered('model', VAE.className)) registerModuleFactory('model', VAE.className, (config) => buildVAE(config as unknown as VAEOptions));
}

/** Rebuilds a VAE (fresh weights) from `vae.toJSON()`; use with `loadCheckpoint(dir, vaeFromJSON)`. */
export function vaeFromJSON(serialized: unknown): VAE {
  registerVAE();
  const vae = moduleFromJSON<unknown>('model', serialized);
  if (!(vae instanceof VAE)) throw new Error(`vaeFromJSON: expected a VAE, got '${String((serialized as { className?: unknown })?.className)}'`);
  return vae;
}
