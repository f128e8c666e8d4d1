import type { Options } from 'tsup';

/** What every package and app build shares: ESM, ES2022, source maps, TensorFlow.js and @flows/* kept external. */
const common: Options = {
  format: ['esm'],
  clean: true,
  sourcemap: true,
  target: 'es2022',
  external: [/^@tensorflow\//, /^@flows\//],
};

/** A published package: the given entry points, with type declarations. */
export function libraryConfig(entry: string[] = ['src/index.ts']): Options {
  return { ...common, entry, dts: true };
}

/** A command-line app: one executable entry. */
export function appConfig(): Options {
  return { ...common, entry: ['src/cli.ts'], banner: { js: '#!/usr/bin/env node' } };
}
