/**
 * The browser build: everything in `@flows/flows` plus the bijectors and distributions it rests on,
 * and the TensorFlow.js instance they use (with its wasm backend), bundled as one ES module whose
 * `.wasm` files lie beside it.
 */
import { type BackendChoice, type BackendOptions, selectBackend as selectBackendAnywhere } from './backend.js';
export * as tf from '@tensorflow/tfjs-core';
export * from './index.js';
export * as bijectors from '@flows/bijectors';
export * as distributions from '@flows/distributions';
