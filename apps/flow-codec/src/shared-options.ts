import {
  defineOptions,
  NATIVE_BLAS_OPTION,
  NO_NATIVE_OPTION,
  nativeBlasSetting,
  ProgressBar,
  THREADS_OPTION,
  appWasmThreads,
  UsageError,
} from '@flows/cli-kit';
import { describeBackend, selectBackend } from '@flows/flows';

export const BACKEND_OPTIONS = defineOptions({
  backend: {
    kind: 'string',
    choices: ['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu'],
    default: 'auto',
    description: 'TensorFlow.js backend (decode with the backend that encoded)',
  },
  threads: THREADS_OPTION,
  'native-blas': NATIVE_BLAS_OPTION,
  'no-native': NO_NATIVE_OPTION,
  quiet: { kind: 'boolean', description: 'no progress bars' },
});

export const LATENT_BITS_OPTION = {
  kind: 'positiveInteger',
  default: 12,
  description: 'bits-back lattice: 2^b buckets of equal standard-normal mass per latent coordinate (VAE models)',
} as const;

export async function startBackend(o: { backend: string; threads?: number; 'native-blas'?: boolean; 'no-native'?: boolean }, work: number): Promise<string> {
  const backend = await selectBackend({
    backend: o.backend as 'auto',
    wasmThreads: await appWasmThreads(o.threads, work),
    nativeBlas: nativeBlasSetting(o['native-blas'], o['no-native'], o.backend),
  });
  console.error(describeBackend(backend));
  return backend.name;
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
