import { defineConfig } from 'tsup';
import { libraryConfig } from '../../tsup.shared.js';

export default defineConfig([
  libraryConfig(),
  {
    // One self-contained ES module for <script type="module"> pages: TensorFlow.js and the
    // @flows packages inlined; Node-only and optional backends stay out (they are loaded lazily).
    entry: { 'browser/flows': 'src/browser.ts' },
    format: ['esm'],
    platform: 'browser',
    target: 'es2022',
    minify: true,
    noExternal: [/^@flows\//, '@tensorflow/tfjs'],
    external: [/^node:/, '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-backend-webgpu', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu', 'webgpu'],
  },
]);
