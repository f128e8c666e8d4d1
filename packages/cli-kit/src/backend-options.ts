import { BACKEND_CHOICES, type BackendChoice, type BackendName, describeBackend, selectBackend } from '@flows/backends';
import { defineOptions, type OptionSpec, UsageError } from './args.js';

/** `--threads`: the compute threads in Node, with the default rule in its help. */
export const THREADS_OPTION = {
  kind: 'positiveInteger',
  description:
    'threads in Node, at most the cores: for the native kernels where they run, else for the wasm backend (default: every core when a training step is large, such as MNIST models, and 1 for small ones such as the toys, where threads lose, badly on a busy machine; or FLOWS_WASM_THREADS)',
} as const satisfies OptionSpec;

/** `--native`: require the native kernels of `@flows/native-kernels` on wasm (the apps use them by default whenever they load). */
export const NATIVE_OPTION = {
  kind: 'boolean',
  description:
    'require the native kernels of @flows/native-kernels on wasm (matrix products, convolutions, the coupling and the Adam update; an error naming why when they cannot load); by default they are used whenever they load (pnpm install builds them where a compiler and OpenBLAS are present; several times faster training, bench/results.md has the figures)',
} as const satisfies OptionSpec;

/** `--no-native`: refuse the native kernels. */
export const NO_NATIVE_OPTION = {
  kind: 'boolean',
  description: 'refuse the native kernels: the stock wasm kernels only (or FLOWS_NATIVE_KERNELS=0)',
} as const satisfies OptionSpec;

/**
 * The backend options of every app, declared once: spread them into a command's options
 * (`defineOptions({ out: …, ...BACKEND_OPTIONS })`) and hand the parsed values to
 * {@link startBackend}. `--backend`'s choices are `'auto'` and the names of `@flows/backends`'
 * table (`BACKEND_CHOICES`), so an app never lists backends itself (`pnpm lint` checks that); a
 * command that needs other words for `--backend` keeps the choices and changes the description:
 * `backend: { ...BACKEND_OPTIONS.backend, description: '…' }`.
 */
export const BACKEND_OPTIONS = defineOptions({
  backend: {
    kind: 'string',
    choices: BACKEND_CHOICES,
    default: 'auto',
    description: 'TensorFlow.js backend; auto takes the first that starts, in this order (or FLOWS_BACKEND)',
  },
  threads: THREADS_OPTION,
  native: NATIVE_OPTION,
  'no-native': NO_NATIVE_OPTION,
});

/** The parsed values of {@link BACKEND_OPTIONS} (any of them may be absent from a command). */
export interface BackendFlags {
  backend?: BackendName | 'auto';
  threads?: number;
  native?: boolean;
  'no-native'?: boolean;
}

/**
 * Starts the backend of an app's command from its {@link BACKEND_OPTIONS}, prints
 * `describeBackend`'s line to stderr (which backend runs, its threads and native kernels, and why
 * the ones before it were skipped) and returns the choice (its `name` is what metrics record).
 *
 * `workPerStep` is the multiply-adds of one step of the command's work (a training step's forward
 * pass over a batch, e.g. `2 * layers * denseMultiplyAdds([784, ...hidden, 784]) * batchSize`;
 * `Infinity` for work known to be large, such as MNIST models, `0` for small work): it sizes the
 * default thread count (every core for large steps, one for small ones, where threads lose) and
 * gives the threads to the native kernels, which are used by default whenever they load. The
 * flags map one to one onto `selectBackend`'s options, which `@flows/backends` interprets (with
 * `FLOWS_BACKEND`, `FLOWS_WASM_THREADS` and `FLOWS_NATIVE_KERNELS`) in one place;
 * `--native` with `--no-native` is a UsageError. `env` replaces `process.env` (for tests);
 * `quiet` leaves the line out, for a command whose stderr stays empty when all goes well (toy-flow's
 * `sample` and `logprob`, whose output is piped on).
 */
export async function startBackend(
  flags: BackendFlags,
  workPerStep: number,
  options: { env?: Record<string, string | undefined>; quiet?: boolean } = {},
): Promise<BackendChoice> {
  const required = flags['native'] === true;
  const refused = flags['no-native'] === true;
  if (required && refused) throw new UsageError('--native requires the native kernels and --no-native refuses them: choose one');
  const choice = await selectBackend({
    backend: flags.backend ?? 'auto',
    ...(flags.threads !== undefined ? { wasmThreads: flags.threads } : {}),
    ...(required || refused ? { nativeKernels: required } : {}),
    workPerStep,
    ...(options.env ? { env: options.env } : {}),
  });
  if (!options.quiet) console.error(describeBackend(choice));
  return choice;
}
