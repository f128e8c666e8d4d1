import { defineConfig } from 'tsup';
import { libraryConfig } from '../../tsup.shared.js';

export default defineConfig([
  libraryConfig(),
  {
    // One self-contained ES module for <script type="module"> pages: TensorFlow.js with its wasm
    // backend and the @flows packages inlined, the three .wasm files copied beside it (the bundle
    // looks for them there). Node-only and optional backends stay out.
    entry: { 'browser/flows': 'src/browser.ts' },
    format: ['esm'],
    platform: 'browser',
    target: 'es2022',
    minify: true,
    // One file: the wasm backend's lazy import is inlined rather than split into a chunk elsewhere.
    splitting: false,
    dts: true,
    noExternal: [/^@flows\//, /^@tensorflow\/tfjs-core/, '@tensorflow/tfjs-backend-cpu', '@tensorflow/tfjs-backend-webgl', '@tensorflow/tfjs-backend-wasm'],
    external: ['@tensorflow/tfjs-backend-webgpu', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu', 'webgpu', '@flows/native-kernels'],
    async onSuccess() {
      const { copyFile } = await import('node:fs/promises');
      const { createRequire } = await import('node:module');
      const { dirname, join } = await import('node:path');
      const wasmDirectory = dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
      for (const file of ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm']) {
        await copyFile(join(wasmDirectory, file), join('dist', 'browser', file));
      }
    },
  },
]);
