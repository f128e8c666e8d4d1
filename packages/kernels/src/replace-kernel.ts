import * as tf from '@tensorflow/tfjs-core';

/**
 * Replaces a backend's own kernel with `run`, which answers what it handles and returns null for
 * the rest, which the backend's own kernel (kept) then computes: the one way this package swaps a
 * stock kernel for a faster one. Returns false, replacing nothing, while the backend has not
 * registered that kernel yet (backends register theirs when imported).
 */
export function replaceKernel(
  kernelName: string,
  backendName: string,
  run: (args: Parameters<tf.KernelFunc>[0]) => tf.TensorInfo | tf.TensorInfo[] | null,
): boolean {
  const original = tf.getKernel(kernelName, backendName);
  if (!original) return false;
  tf.unregisterKernel(kernelName, backendName);
  tf.registerKernel({ ...original, kernelFunc: (args) => run(args) ?? original.kernelFunc(args) });
  return true;
}
