/**
 * The browser build: everything in `@flows/flows` plus the bijectors and distributions it rests on,
 * and the TensorFlow.js instance they use, bundled as one ES module.
 */
export * as tf from '@tensorflow/tfjs';
export * from './index.js';
export * as bijectors from '@flows/bijectors';
export * as distributions from '@flows/distributions';
