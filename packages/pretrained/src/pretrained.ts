import { ConfigError, importNodeBuiltin, isNode } from '@flows/core';
import type { Distribution } from '@flows/distributions';
import { loadModel, loadModelFromUrl } from '@flows/model-files';
import { CARD_LIST } from './cards.js';
import type { ModelCard } from './model-card.js';

/**
 * The shipped models' cards, by name. The cards are code; the models' files stay in the
 * package's `models/<name>/` folder, read from disk in Node and fetched in a page.
 */
const CARDS: ReadonlyMap<string, ModelCard> = new Map(CARD_LIST.map((card) => [card.name, card]));

/** The names of the shipped models, in the order listings show them. */
export const PRETRAINED_NAMES: readonly string[] = [...CARDS.keys()];

/** The prefix by which the apps' `--model` names a shipped model: `pretrained:two-gaussians-realnvp`. */
export const PRETRAINED_PREFIX = 'pretrained:';

/** The card of a shipped model; an unknown name is refused with the list of names. */
export function pretrainedCard(name: string): ModelCard {
  const card = CARDS.get(name);
  if (!card) {
    // The name may come from a command line or a URL: shown only when it is short and plain.
    const shown = /^[a-z0-9-]{1,64}$/.test(name) ? `'${name}'` : 'that name';
    throw new ConfigError(`no pretrained model is called ${shown}; the shipped models are ${PRETRAINED_NAMES.join(', ')}`);
  }
  return card;
}

/**
 * The name in a `pretrained:<name>` model reference (checked against the shipped models), or null
 * when the reference is a path. Only names from the list map to files, so a reference cannot
 * reach outside the package's `models/` folder.
 */
export function pretrainedName(reference: string): string | null {
  if (!reference.startsWith(PRETRAINED_PREFIX)) return null;
  return pretrainedCard(reference.slice(PRETRAINED_PREFIX.length)).name;
}

/** The URL of a shipped model's folder (ends with `/`), relative to this module: a `file:` URL in Node, the package's URL in a page. */
export function pretrainedModelUrl(name: string): string {
  return new URL(`../models/${pretrainedCard(name).name}/`, import.meta.url).href;
}

/** The folder of a shipped model on disk (Node only). */
export async function pretrainedDirectory(name: string): Promise<string> {
  const url = pretrainedModelUrl(name);
  const { fileURLToPath } = await importNodeBuiltin<typeof import('node:url')>('url', 'pretrainedDirectory', 'reads files');
  return fileURLToPath(url);
}

/**
 * Loads a shipped model: from disk in Node, over `fetch` in a page (the bundler must serve the
 * package's `models/` folder beside its code, or pass `baseUrl`: where the folder of models is
 * served). The classes it is made of must be registered: import their packages first
 * (`@flows/flows` for the core families, `@flows/bijector-spline` and its `registerSplineBijectors()` for the spline models,
 * `@flows/continuous` for the continuous ones).
 */
export async function loadPretrained(name: string, options: { baseUrl?: string } = {}): Promise<Distribution> {
  const card = pretrainedCard(name);
  // A VAE is not a distribution of the data: rebuilt by its own package, or used by flow-codec.
  if (card.check.kind === 'binarized-mnist-elbo')
    throw new ConfigError(
      `${card.name} is a VAE, not a distribution: load it with loadModel(await pretrainedDirectory('${card.name}'), vaeFromJSON) (@flows/model-files, @flows/vae-priors), or code images with flow-codec --model pretrained:${card.name}`,
    );
  if (options.baseUrl !== undefined)
    return loadModelFromUrl(new URL(`${card.name}/`, options.baseUrl.endsWith('/') ? options.baseUrl : `${options.baseUrl}/`).href);
  if (isNode()) return loadModel(await pretrainedDirectory(card.name));
  return loadModelFromUrl(pretrainedModelUrl(card.name));
}
