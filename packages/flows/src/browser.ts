export * as tf from '@tensorflow/tfjs-core';
export * from './index.js';
export * as bijectors from '@flows/bijectors';
export * as distributions from '@flows/distributions';
