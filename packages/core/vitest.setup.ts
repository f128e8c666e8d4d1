// After the shared setup (@flows/test-support/vitest-setup, which starts the cpu backend): the union
// package registers TensorFlow.js's gradients and chained tensor methods; the source's own
// registrations module is aliased away in vitest.config.ts (Node cannot load tfjs-core's ES-module
// registration files; the build bundles them instead, which the pack-and-install test and every
// other package's tests exercise through dist/).
import '@tensorflow/tfjs';
