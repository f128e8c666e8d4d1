import { defineConfig } from 'vite';

/**
 * Cross-origin isolation (COOP + COEP) gives the page SharedArrayBuffer, which the wasm backend
 * needs for its threads; the same headers go on the dev server, `vite preview` and any static host.
 */
export const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

/**
 * Vite 8's minifier (Oxc) would rewrite the wasm backend's `typeof _scriptDir !== "undefined"` as
 * `e !== void 0`, a ReferenceError in its thread workers, which run that function's text without
 * the outer variable (README, Bundlers): mangle, but do not compress. The training worker, where
 * the wasm backend runs, is a bundle of its own and takes the setting separately.
 */
const KEEP_TYPEOF = { output: { minify: { compress: false, mangle: true } } };

export default defineConfig({
  worker: { format: 'es', rolldownOptions: KEEP_TYPEOF },
  base: './',
  // csv-parse's default build uses Node's Buffer; its browser build carries its own.
  resolve: { alias: { 'csv-parse/sync': 'csv-parse/browser/esm/sync' } },
  server: { headers: ISOLATION_HEADERS },
  preview: { headers: ISOLATION_HEADERS },
  build: { target: 'es2022', chunkSizeWarningLimit: 4000, rolldownOptions: KEEP_TYPEOF },
  // The wasm backend's .wasm files are fetched by URL (imported with ?url), never inlined.
  assetsInclude: ['**/*.wasm'],
});
