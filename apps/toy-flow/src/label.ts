import * as tf from '@tensorflow/tfjs-core';
import { UsageError } from '@flows/cli-kit';
import type { Distribution } from '@flows/distributions';

/** The one-hot context for `--label` of a conditional model (undefined for an unconditional one), checked against the model. */
export function labelContext(model: Distribution, label: number | undefined, rows: number): tf.Tensor | undefined {
  const classes = model.contextSize;
  if (classes === 0) {
    if (label !== undefined) throw new UsageError('--label: this model is not conditional (it was trained without --conditional)');
    return undefined;
  }
  if (label === undefined) throw new UsageError(`this model is conditional: pass --label 0…${classes - 1} (the component to condition on)`);
  if (label >= classes) throw new UsageError(`--label ${label}: the model knows components 0…${classes - 1}`);
  return tf.tidy(() => tf.tile(tf.cast(tf.oneHot(tf.tensor1d([label], 'int32'), classes), 'float32'), [rows, 1]));
}
