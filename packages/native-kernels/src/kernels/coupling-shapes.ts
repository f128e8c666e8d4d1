import type * as tf from '@tensorflow/tfjs-core';
import { elementCount } from './heap.js';

/**
 * The coupling's rows: checks that the `full` operands are float32 `[batch, …event]` tensors of one
 * shape and the `event` operands (mask and factor) float32 of the event's shape, else a RangeError
 * naming the kernel; the addon reads them as `batch` rows of `size` values.
 */
export function couplingShapes(name: string, full: tf.TensorInfo[], event: tf.TensorInfo[]): { batch: number; size: number } {
  const shape = full[0].shape;
  const size = elementCount(event[0]);
  const batch = shape[0] ?? 0;
  const matches = (t: tf.TensorInfo, expected: readonly number[]) => t.shape.length === expected.length && t.shape.every((d, i) => d === expected[i]);
  if (
    shape.length < 2 ||
    !full.every((t) => matches(t, shape)) ||
    !event.every((t) => matches(t, shape.slice(1))) ||
    [...full, ...event].some((t) => t.dtype !== 'float32')
  )
    throw new RangeError(
      `${name}: expected float32 [batch, …event] operands with event-shaped mask and factor, got ${[...full, ...event].map((t) => `[${t.shape}]`).join(', ')}`,
    );
  return { batch, size };
}
