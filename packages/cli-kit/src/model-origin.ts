/**
 * Which of the flows apps made a saved model (`model.json`) or checkpoint (`checkpoint.json`), read
 * from its description before any weights are loaded. Each app works with its own models only: an
 * integer discrete flow of flow-codec scored by mnist-flow gives a bits/dim of nothing (its pixels
 * are integers, not mnist-flow's dequantized or logit values), a toy-flow model of 784 columns was
 * trained on standardised columns. An app given another app's model says whose it is and which
 * command fits it.
 *
 * The file may come from anyone: only its strings are read, an app name is shown only when it
 * looks like one, and a description that says nothing gives an unknown maker.
 */

/** What kind of model a description holds. */
export type ModelKind = 'integer-flow' | 'vae' | 'density';

/** Who made a saved model or checkpoint, and with which settings. */
export interface ModelOrigin {
  /** The app that made it: its record (`metadata.app`), else inferred from its structure and settings; null when nothing says. */
  app: string | null;
  kind: ModelKind;
  /** The settings the app recorded (a model's `metadata.settings`, a checkpoint's `extra.settings`), or `{}`. */
  settings: Record<string, unknown>;
  /** A model's `metadata` (`{}` for a checkpoint, which keeps its settings in `extra`). */
  metadata: Record<string, unknown>;
}

/** The layers that make a model an integer discrete flow (flow-codec's): exact on integers, with a discretized base. */
const INTEGER_CLASSES = new Set([
  'IntegerAdditiveCoupling',
  'DiscretizedLogistic',
  'MixtureOfDiscretizedLogistics',
  'ConditionalMixtureOfDiscretizedLogistics',
]);

/** A name fit to print: the file is untrusted, and a terminal should not receive its control characters. */
const APP_NAME = /^[a-z][a-z0-9-]{0,39}$/i;

const record = (value: unknown): Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};

/** Every `className` in a model description (iteratively: a deeply nested file cannot overflow the stack). */
function classNames(tree: unknown): Set<string> {
  const names = new Set<string>();
  const stack: unknown[] = [tree];
  while (stack.length > 0) {
    const node = stack.pop();
    if (node === null || typeof node !== 'object') continue;
    if (Array.isArray(node)) {
      // Masks and orders are long arrays of numbers: skip them, they hold no class names.
      if (node.length > 0 && typeof node[0] !== 'object') continue;
      stack.push(...node);
      continue;
    }
    const object = node as Record<string, unknown>;
    if (typeof object.className === 'string') names.add(object.className);
    for (const value of Object.values(object)) if (value !== null && typeof value === 'object') stack.push(value);
  }
  return names;
}

/**
 * The origin of a parsed `model.json` or `checkpoint.json` (a checkpoint holds its model's
 * description under `model`, and its settings under `extra.settings`).
 */
export function modelOrigin(description: unknown): ModelOrigin {
  const json = record(description);
  const checkpoint = json.format === 'flows-checkpoint';
  const tree = checkpoint ? record(json.model).model : json.model;
  const metadata = checkpoint ? {} : record(json.metadata);
  const settings = record(checkpoint ? record(json.extra).settings : metadata.settings);
  const names = classNames(tree);
  const kind: ModelKind = record(tree).className === 'VAE' ? 'vae' : [...names].some((name) => INTEGER_CLASSES.has(name)) ? 'integer-flow' : 'density';
  // A recorded name that is no app name (control characters, a paragraph) counts as none.
  let app: string | null = typeof metadata.app === 'string' && APP_NAME.test(metadata.app) ? metadata.app : null;
  if (app === null) {
    // Checkpoints record no app: each app's settings tell them apart (mnist-flow's have always held its logit).
    if (kind === 'vae' || 'prior' in settings) app = 'vae-eval';
    else if (kind === 'integer-flow' || 'components' in settings) app = 'flow-codec';
    else if ('logit' in settings && 'mask' in settings) app = 'mnist-flow';
    else if ('flow' in settings || 'dataset' in settings || 'target' in settings) app = 'toy-flow';
  }
  return { app, kind, settings, metadata };
}

/** The model in words, for messages: "a flow-codec integer discrete flow". */
export function describeOrigin(origin: ModelOrigin): string {
  if (origin.kind === 'integer-flow') return `${origin.app === null ? 'an' : `a ${origin.app}`} integer discrete flow (integer couplings on 8-bit pixels)`;
  if (origin.kind === 'vae') return `${origin.app === null ? 'a' : `a ${origin.app}`} VAE`;
  if (origin.app === null) return 'a model that records no app (saved by the library, not by a flows app)';
  return `a model made by ${origin.app}`;
}

/** The command that works with a model found in `dir`, or null when no app of this repository made it. */
export function commandFor(origin: ModelOrigin, dir: string): string | null {
  if (origin.kind === 'integer-flow') return `flow-codec compress --model ${dir}`;
  if (origin.kind === 'vae') return `vae-eval evaluate --out <the --out of the vae-eval run>, or flow-codec compress --model ${dir}`;
  switch (origin.app) {
    case 'mnist-flow':
      return `mnist-flow eval --model ${dir}`;
    case 'toy-flow':
    case 'playground':
      return `toy-flow sample --model ${dir} (or logprob)`;
    default:
      return null;
  }
}
