import { defineConfig } from 'tsup';
import { appConfig, libraryConfig } from '../../tsup.shared.js';

// The library, and the flows-import command with the apps' option parsing (@flows/cli-kit, which
// is not published) bundled in, so that the published command needs nothing unpublished. The
// command uses cli-kit's arguments and commands only: its figure and CSV dependencies stay out
// (cli-kit is free of side effects, so their unused imports are dropped). The two builds run side
// by side, so neither cleans dist/: the build script empties it first.
const figureAndCsvDependencies = [/^vega/, /^@resvg\//, /^fast-png$/, /^cli-progress$/, /^csv-parse/, /^dejavu-fonts-ttf/];

export default defineConfig([
  { ...libraryConfig(), clean: false },
  {
    ...appConfig(),
    clean: false,
    external: [/^@tensorflow\//, /^@flows\/(?!cli-kit)/, ...figureAndCsvDependencies],
    noExternal: [/^@flows\/cli-kit/],
    // Rollup's tree shaking, which (unlike esbuild's) drops the unused imports of external modules.
    treeshake: 'smallest',
  },
]);
