import { copyFileSync, mkdirSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type Bundler = 'vite' | 'webpack' | 'esbuild';

/**
 * The settings the playground README gives per bundler, so that the minifier leaves the wasm
 * backend's thread workers' script runnable (it rewrites `typeof x !== 'undefined'` as
 * `x !== void 0` for a variable the worker does not have). esbuild's minifier keeps the `typeof`.
 */
export const VITE_BUILD_SETTING = { rolldownOptions: { output: { minify: { compress: false, mangle: true } } } };
export const WEBPACK_OPTIMIZATION_SETTING = { minimizeOptions: { javascript: { compress: { passes: 2, typeofs: false } } } };

const WASM_FILES = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'];
const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

export interface PageBuild {
  bundler: Bundler;
  /** `documented`: with the README's setting; `default`: the bundler's production defaults. */
  settings: 'documented' | 'default';
  /** Code the page imports before its own (a stub of the page's Worker, say). */
  prelude?: string;
  /** Whether the three .wasm files are copied beside the page, as the README says (default true). */
  wasmFiles?: boolean;
}

/** The size of the JavaScript a build wrote, in bytes. */
function scriptBytes(folder: string): number {
  let bytes = 0;
  for (const entry of readdirSync(folder, { recursive: true, encoding: 'utf8' })) if (entry.endsWith('.js')) bytes += statSync(join(folder, entry)).size;
  return bytes;
}

/**
 * Builds a page for production in `work` (a fresh folder) as a user would: `script` as `src/page.js`, and
 * `index.html` written there, this package's node_modules linked beside them, the bundler run
 * through its API with production defaults (minified). Returns the folder to serve and its script size.
 */
export async function buildPage(
  work: string,
  script: string,
  { bundler, settings, prelude, wasmFiles = true }: PageBuild,
): Promise<{ folder: string; bytes: number }> {
  const documented = settings === 'documented';
  mkdirSync(join(work, 'src'), { recursive: true });
  symlinkSync(join(packageRoot, 'node_modules'), join(work, 'node_modules'), 'dir');
  if (prelude) writeFileSync(join(work, 'src', 'prelude.js'), prelude);
  writeFileSync(join(work, 'src', 'page.js'), `${prelude ? "import './prelude.js';\n" : ''}${script}`);
  const out = join(work, 'out');
  const wasmDirectory = dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
  const copyWasm = (to: string) => {
    mkdirSync(to, { recursive: true });
    if (wasmFiles) for (const file of WASM_FILES) copyFileSync(join(wasmDirectory, file), join(to, file));
  };
  if (bundler === 'vite') {
    // Vite copies public/ into the build: the README's place for the .wasm files.
    copyWasm(join(work, 'public'));
    writeFileSync(
      join(work, 'index.html'),
      '<!doctype html><title>flows</title><link rel="icon" href="data:,"><script type="module" src="./src/page.js"></script>',
    );
    const { build } = await import('vite');
    await build({
      root: work,
      base: './',
      configFile: false,
      logLevel: 'silent',
      cacheDir: join(work, '.vite'),
      build: { outDir: out, target: 'es2022', chunkSizeWarningLimit: 4000, ...(documented ? VITE_BUILD_SETTING : {}) },
    });
  } else if (bundler === 'webpack') {
    const webpack = (await import('webpack')).default;
    const stats = await new Promise<import('webpack').Stats>((resolve, reject) =>
      webpack(
        {
          mode: 'production',
          context: work,
          entry: './src/page.js',
          output: { path: out, filename: 'page.js' },
          target: 'web',
          performance: { hints: false },
          optimization: documented ? WEBPACK_OPTIMIZATION_SETTING : {},
        },
        (error, result) => (error || !result ? reject(error ?? new Error('webpack gave no result')) : resolve(result)),
      ),
    );
    const errors = stats.toJson({ all: false, errors: true }).errors ?? [];
    if (errors.length) throw new Error(`webpack: ${errors.map((e) => e.message).join('\n')}`);
    copyWasm(out);
    writeFileSync(join(out, 'index.html'), '<!doctype html><title>flows</title><link rel="icon" href="data:,"><script src="page.js"></script>');
  } else {
    const { build } = await import('esbuild');
    await build({
      entryPoints: [join(work, 'src', 'page.js')],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      minify: true,
      outfile: join(out, 'page.js'),
      logLevel: 'silent',
    });
    copyWasm(out);
    writeFileSync(join(out, 'index.html'), '<!doctype html><title>flows</title><link rel="icon" href="data:,"><script type="module" src="page.js"></script>');
  }
  return { folder: out, bytes: scriptBytes(out) };
}
