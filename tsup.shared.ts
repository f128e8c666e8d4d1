import type { Options } from 'tsup';

/** What every package and app build shares: ESM, ES2022, source maps, TensorFlow.js and @flows/* kept external. */
const common: Options = {
  format: ['esm'],
  clean: true,
  sourcemap: true,
  target: 'es2022',
  external: [/^@tensorflow\//, /^@flows\//],
  // tfjs-core's gradient and chained-op registrations are ES modules that Node cannot load as
  // published: bundled into the package that imports them (see bijectors' tensorflow-registrations).
  noExternal: [/^@tensorflow\/tfjs-core\/dist\/(register_all_gradients|public\/chained_ops\/register_all_chained_ops)$/],
  // Keep the licence comments of bundled code (TensorFlow.js's Apache-2.0 headers) at the end of each file.
  esbuildOptions(options) {
    options.legalComments = 'eof';
  },
};

/** A published package: the given entry points, with type declarations. */
export function libraryConfig(entry: string[] = ['src/index.ts']): Options {
  return { ...common, entry, dts: true };
}

/** A command-line app: one executable entry. */
export function appConfig(): Options {
  return { ...common, entry: ['src/cli.ts'], banner: { js: '#!/usr/bin/env node' } };
}
