import { resolve } from 'node:path';
import { defineConfig } from 'vite';
import { mnistTestDigits } from './src/images/test-digits-plugin.js';

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
  worker: { format: 'es', rolldownOptions: KEEP_TYPEOF, plugins: () => [mnistTestDigits()] },
  base: './',
  // csv-parse's default build uses Node's Buffer; its browser build carries its own.
  resolve: { alias: { 'csv-parse/sync': 'csv-parse/browser/esm/sync' } },
  server: { headers: ISOLATION_HEADERS },
  preview: { headers: ISOLATION_HEADERS },
  // The image page (images.html) is a second entry; its test digits come from the build (test-digits-plugin.ts).
  plugins: [mnistTestDigits()],
  build: {
    target: 'es2022',
    chunkSizeWarningLimit: 4000,
    rolldownOptions: { ...KEEP_TYPEOF, input: { main: resolve(__dirname, 'index.html'), images: resolve(__dirname, 'images.html') } },
  },
  // The wasm backend's .wasm files are fetched by URL (imported with ?url), never inlined.
  assetsInclude: ['**/*.wasm'],
});
