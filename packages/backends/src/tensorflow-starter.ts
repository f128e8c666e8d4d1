import * as tf from '@tensorflow/tfjs-core';
import type { BackendStarter } from './backend-starter.js';
import { importOptional } from './import-optional.js';

/** Native TensorFlow in Node, from `@tensorflow/tfjs-node-gpu` or `@tensorflow/tfjs-node` when one is installed. */
export const tensorflowStarter: BackendStarter<'tensorflow'> = {
  name: 'tensorflow',
  runsIn: ['node'],
  async start() {
    const errors: string[] = [];
    for (const name of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
      try {
        await importOptional(name);
        if (await tf.setBackend('tensorflow')) return {};
        errors.push(`${name} loaded but the 'tensorflow' backend did not start`);
      } catch {
        errors.push(`${name} not installed`);
      }
    }
    throw new Error(errors.join('; '));
  },
  describe: () => '',
};
