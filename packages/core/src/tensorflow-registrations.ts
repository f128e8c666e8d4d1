/**
 * Registers the pure-JavaScript `cpu` backend (priority 1: a fallback that any other imported
 * backend, such as wasm or WebGL, outranks), TensorFlow.js's gradients and its chained tensor methods (`x.add(y)`, …) with the
 * engine of `@tensorflow/tfjs-core`.
 *
 * Why this module exists: `@tensorflow/tfjs-core`'s Node entry registers neither (the union package
 * `@tensorflow/tfjs` bundles them into its own build), and their ES-module files cannot be loaded by
 * Node directly (extension-less relative imports). The build bundles these two modules of
 * tfjs-core (Apache-2.0, licence comments kept in the output) into
 * `dist/tensorflow-registrations.js`, so a project needs only `@tensorflow/tfjs-core` and a backend.
 * The registries are global (`globalThis`), so this copy registers into the engine that the
 * project's own `@tensorflow/tfjs-core` (or `@tensorflow/tfjs`) uses; registering twice is harmless.
 * With the cpu backend registered here, `@flows/bijectors` and `@tensorflow/tfjs-core` alone run.
 */
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops';
