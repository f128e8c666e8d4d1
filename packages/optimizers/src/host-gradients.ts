import type * as tf from '@tensorflow/tfjs-core';

/** Each variable's gradient read into main memory, zeros for a variable without one. */
export function hostGradients(variables: readonly tf.Variable[], gradients: tf.NamedTensorMap): Float32Array[] {
  return variables.map((variable) => {
    const g = gradients[variable.name];
    return g ? (g.dataSync() as Float32Array) : new Float32Array(variable.size);
  });
}

/** The factor that clips the gradients' global L2 norm to `clipNorm` (1 without clipping). */
export function clipScale(gradients: readonly Float32Array[], clipNorm: number | undefined): number {
  if (clipNorm === undefined) return 1;
  let squares = 0;
  for (const g of gradients) for (let i = 0; i < g.length; i++) squares += g[i] * g[i];
  return Math.min(1, clipNorm / Math.max(Math.sqrt(squares), 1e-12));
}
