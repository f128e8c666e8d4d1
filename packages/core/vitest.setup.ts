// The union package registers the cpu backend, TensorFlow.js's gradients and chained tensor methods;
// the source's own registrations module is aliased away in vitest.config.ts (Node cannot load
// tfjs-core's ES-module registration files; the build bundles them instead, which the
// pack-and-install test and every other package's tests exercise through dist/).
import * as tf from '@tensorflow/tfjs';

// Tests run on the pure-JS cpu backend: exact, always present, and the reference the others match.
await tf.setBackend('cpu');
// The cpu backend advertises tfjs-node on first use; the advice is noise in test logs.
(tf.backend() as unknown as { firstUse: boolean }).firstUse = false;
