import { backendChoices, type BackendName, type MaskStrategy, type ToyFlowKind } from '@flows/flows';

/** The masks of 2-D coupling flows (the checkerboard mask is for images). */
export const PLAYGROUND_MASKS = ['alternating', 'half', 'random'] as const satisfies readonly MaskStrategy[];

/**
 * The layered flows the playground trains, of the toy model's (`toyFlow`, which toy-flow builds too):
 * affine couplings (Real NVP), additive couplings (NICE), MAF, rational-quadratic splines.
 */
export const LAYERED_FLOW_KINDS = ['realnvp', 'nice', 'maf', 'spline'] as const satisfies readonly ToyFlowKind[];
export type LayeredFlowKind = (typeof LAYERED_FLOW_KINDS)[number];

/**
 * The continuous flow, trained by flow matching: toy-flow's `--flow cnf` (not one of `toyFlow`'s:
 * it has no layers, so it gets the vector-field view instead of the layer-by-layer one).
 */
export const CNF_FLOW = 'cnf';

/** Every flow of the playground's menu and `?flow=`. */
export const FLOW_KINDS = [...LAYERED_FLOW_KINDS, CNF_FLOW] as const;
export type FlowKind = (typeof FLOW_KINDS)[number];

/** Whether a setting applies to a flow: the page hides the others, and the run ignores them. */
export function settingApplies(setting: 'layers' | 'mask' | 'bins' | 'solverSteps', flow: FlowKind): boolean {
  switch (setting) {
    case 'layers':
    case 'mask':
      return flow !== CNF_FLOW;
    case 'bins':
      return flow === 'spline';
    case 'solverSteps':
      return flow === CNF_FLOW;
  }
}

/**
 * Backends a user can pick: those of `@flows/backends`' table that run in a browser, in the order
 * `auto` tries them (WebGPU, then WebGL, then wasm, then cpu).
 */
export const PLAYGROUND_BACKENDS = backendChoices('browser');
export type PlaygroundBackend = 'auto' | BackendName;

/** The 2-D toys offered, and `drawn` for the user's own points (painted or from a CSV). */
export const PLAYGROUND_DATA = [
  'two-gaussians',
  'chequerboard',
  'eight-gaussians',
  'rings',
  'two-moons',
  'pinwheel',
  'swiss-roll',
  'two-spirals',
  'drawn',
] as const;

/** Everything that defines a run: the same settings and seed on the same backend give the same numbers. */
export interface PlaygroundSettings {
  data: string;
  flow: FlowKind;
  layers: number;
  hidden: number[];
  mask: MaskStrategy;
  /** Spline bins (flow `spline`). */
  bins: number;
  /**
   * Fixed Runge-Kutta 4 steps of a continuous flow's pictures (flow `cnf`): the density on the grid,
   * the samples and the particles. Training needs no solver (flow matching), and the KL and the
   * page's `logProb` solve adaptively, as toy-flow does.
   */
  solverSteps: number;
  learningRate: number;
  batchSize: number;
  /** Optimizer steps of the run; it stops (done) there. */
  steps: number;
  seed: number;
  backend: PlaygroundBackend;
  /** Start training as soon as the page is ready. */
  autostart: boolean;
}

export const DEFAULT_SETTINGS: PlaygroundSettings = {
  data: 'two-gaussians',
  flow: 'realnvp',
  layers: 8,
  hidden: [64, 64],
  mask: 'alternating',
  bins: 8,
  solverSteps: 8,
  learningRate: 2e-3,
  batchSize: 1000,
  steps: 3000,
  seed: 0,
  backend: 'auto',
  autostart: false,
};

/** A query parameter or form field that cannot be used, with what was expected. */
export class SettingsError extends Error {
  constructor(
    readonly field: string,
    problem: string,
  ) {
    super(`${field}: ${problem}`);
    this.name = 'SettingsError';
  }
}

function positiveInteger(field: string, text: string, max: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1 || value > max) throw new SettingsError(field, `expected a whole number from 1 to ${max}, got '${text}'`);
  return value;
}

function oneOf<T extends string>(field: string, text: string, choices: readonly T[]): T {
  if (!(choices as readonly string[]).includes(text)) throw new SettingsError(field, `expected one of ${choices.join(', ')}, got '${text}'`);
  return text as T;
}

/**
 * Reads settings from query parameters (`?data=two-gaussians&flow=realnvp&layers=8&steps=3000&seed=0&backend=wasm&autostart=1`,
 * `?flow=cnf&solver-steps=8`),
 * over the defaults. Unknown parameters and bad values throw a {@link SettingsError} naming them,
 * so a typo in a scripted URL is seen rather than silently ignored.
 */
export function settingsFromQuery(query: string | URLSearchParams, defaults: PlaygroundSettings = DEFAULT_SETTINGS): PlaygroundSettings {
  const params = typeof query === 'string' ? new URLSearchParams(query) : query;
  const settings: PlaygroundSettings = { ...defaults, hidden: [...defaults.hidden] };
  for (const [key, text] of params) {
    switch (key) {
      case 'data':
        settings.data = oneOf(key, text, PLAYGROUND_DATA);
        break;
      case 'flow':
        settings.flow = oneOf(key, text, FLOW_KINDS);
        break;
      case 'layers':
        settings.layers = positiveInteger(key, text, 64);
        break;
      case 'hidden': {
        const widths = text.split(',').map((part) => positiveInteger(key, part.trim(), 1024));
        if (widths.length > 8) throw new SettingsError(key, `at most 8 hidden layers, got ${widths.length}`);
        settings.hidden = widths;
        break;
      }
      case 'mask':
        settings.mask = oneOf(key, text, PLAYGROUND_MASKS);
        break;
      case 'bins':
        settings.bins = positiveInteger(key, text, 64);
        break;
      case 'solver-steps':
        settings.solverSteps = positiveInteger(key, text, 256);
        break;
      case 'lr': {
        const value = Number(text);
        if (!(value > 0 && value < 1)) throw new SettingsError(key, `expected a learning rate between 0 and 1, got '${text}'`);
        settings.learningRate = value;
        break;
      }
      case 'batch':
        settings.batchSize = positiveInteger(key, text, 100_000);
        break;
      case 'steps':
        settings.steps = positiveInteger(key, text, 10_000_000);
        break;
      case 'seed': {
        const value = Number(text);
        if (!Number.isInteger(value) || value < 0) throw new SettingsError(key, `expected a whole number ≥ 0, got '${text}'`);
        settings.seed = value;
        break;
      }
      case 'backend':
        settings.backend = oneOf(key, text, PLAYGROUND_BACKENDS);
        break;
      case 'autostart':
        settings.autostart = oneOf(key, text, ['0', '1', 'true', 'false']) === '1' || text === 'true';
        break;
      default:
        throw new SettingsError(
          key,
          `unknown parameter; known: data, flow, layers, hidden, mask, bins, solver-steps, lr, batch, steps, seed, backend, autostart`,
        );
    }
  }
  return settings;
}

/** The query string that reproduces these settings (for the address bar and for sharing a run). */
export function settingsToQuery(settings: PlaygroundSettings): string {
  const params = new URLSearchParams({
    data: settings.data,
    flow: settings.flow,
    layers: String(settings.layers),
    hidden: settings.hidden.join(','),
    mask: settings.mask,
    bins: String(settings.bins),
    'solver-steps': String(settings.solverSteps),
    lr: String(settings.learningRate),
    batch: String(settings.batchSize),
    steps: String(settings.steps),
    seed: String(settings.seed),
    backend: settings.backend,
  });
  if (settings.autostart) params.set('autostart', '1');
  return params.toString();
}
