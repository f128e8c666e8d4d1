import { defineConfig } from 'vite';

/**
 * Cross-origin isolation (COOP + COEP) gives the page SharedArrayBuffer, which the wasm backend
 * needs for its threads; the same headers go on the dev server, `vite preview` and any static host.
 */
export const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  base: './',
  worker: { format: 'es' },
  // csv-parse's default build uses Node's Buffer; its browser build carries its own.
  resolve: { alias: { 'csv-parse/sync': 'csv-parse/browser/esm/sync' } },
  server: { headers: ISOLATION_HEADERS },
  preview: { headers: ISOLATION_HEADERS },
  build: { target: 'es2022', chunkSizeWarningLimit: 4000 },
  // The wasm backend's .wasm files are fetched by URL (imported with ?url), never inlined.
  assetsInclude: ['**/*.wasm'],
});
