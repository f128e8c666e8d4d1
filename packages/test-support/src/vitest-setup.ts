/**
 * The one vitest setup of the workspace's packages (`setupFiles: ['@flows/test-support/vitest-setup']`
 * in each vitest.config.ts; a package that must register its own classes lists its own file after it).
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';

// Tests run on the pure-JS cpu backend: exact, always present, and the reference the others match.
await tf.setBackend('cpu');
// The cpu backend advertises tfjs-node on first use; the advice is noise in test logs.
(tf.backend() as unknown as { firstUse: boolean }).firstUse = false;
