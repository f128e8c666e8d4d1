import {
  BACKEND_OPTIONS as APP_BACKEND_OPTIONS,
  type BackendFlags,
  defineOptions,
  ProgressBar,
  startBackend as startAppBackend,
  UsageError,
} from '@flows/cli-kit';
import { BINARIZATIONS, MNIST_BINARIZATION_SEEDS, stochasticallyBinarized } from '@flows/datasets';

/** The backend options of every command (the apps' one declaration, decoding's advice added), --workers and --quiet. */
export const BACKEND_OPTIONS = defineOptions({
  ...APP_BACKEND_OPTIONS,
  backend: { ...APP_BACKEND_OPTIONS.backend, description: `${APP_BACKEND_OPTIONS.backend.description}; decode with the backend that encoded` },
  workers: {
    kind: 'positiveInteger',
    description: "continuous flows: threads that code a file's chains side by side (default: the cores; the file is the same whatever the number)",
  },
  quiet: { kind: 'boolean', description: 'no progress bars' },
});

/** How a VAE's images are binarized (the 8-bit images of an integer flow are coded as they are). */
export const BINARIZATION_OPTIONS = defineOptions({
  binarization: {
    kind: 'string',
    choices: BINARIZATIONS,
    default: 'threshold',
    description:
      'VAE models: threshold (v/255 > 0.5, as vae-eval trains by default) or stochastic (each pixel 1 with probability v/255, drawn once; vae-eval --binarization stochastic)',
  },
  'binarization-seed': {
    kind: 'nonNegativeInteger',
    default: MNIST_BINARIZATION_SEEDS.test,
    description: `the seed of --binarization stochastic (${MNIST_BINARIZATION_SEEDS.test}: the draw of the test images vae-eval evaluates on)`,
  },
});

/** The images a VAE codes: as given (threshold, applied by the coder), or stochastically binarized to 0 and 255. */
export function imagesForVae<T extends { pixels: Uint8Array }>(set: T, o: { binarization: string; 'binarization-seed': number }): T {
  return o.binarization === 'stochastic' ? { ...set, pixels: stochasticallyBinarized(set.pixels, o['binarization-seed']) } : set;
}

export const LATENT_BITS_OPTION = {
  kind: 'positiveInteger',
  default: 12,
  description: 'bits-back lattice: 2^b buckets of equal standard-normal mass per latent coordinate (VAE models)',
} as const;

/** Starts a command's backend through the apps' startBackend (which prints the backend line) and returns its name, which the commands record. */
export async function startBackend(o: BackendFlags, work: number): Promise<string> {
  return (await startAppBackend(o, work)).name;
}

export function progress(quiet: boolean | undefined, total: number, label: string): ((done: number) => void) | undefined {
  if (quiet) return undefined;
  const bar = new ProgressBar({ total, label });
  return (done: number) => (done >= total ? bar.finish(`${label}: ${total} images`) : bar.update(done, {}));
}

/** The first argument when it is not an option: a command's positional file. */
export function positional(argv: string[], what: string): [string, string[]] {
  const [first, ...rest] = argv;
  if (!first || first.startsWith('-')) {
    if (argv.includes('--help') || argv.includes('-h')) return ['', argv];
    throw new UsageError(`give the ${what} first`);
  }
  return [first, rest];
}
