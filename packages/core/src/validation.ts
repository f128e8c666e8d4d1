import * as tf from '@tensorflow/tfjs-core';
import { BijectorInputError } from './errors.js';
import { runtimeSettings } from './runtime-settings.js';

/**
 * Whether the active backend can read a tensor back synchronously (`dataSync`). TensorFlow.js's
 * `webgpu` backend does it through `OffscreenCanvas`, which browsers have and Node does not: in
 * Node on WebGPU only the asynchronous reads (`await tensor.data()`) work.
 */
export function canReadSynchronously(): boolean {
  return !(tf.getBackend() === 'webgpu' && typeof (globalThis as { OffscreenCanvas?: unknown }).OffscreenCanvas === 'undefined');
}

function describeShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/**
 * Checks that `x` is a batch of events of `eventShape` (rank and every event dimension)
 * and, when finite checks are on, that it holds no NaN or infinity.
 */
export function validateEvents(x: tf.Tensor, eventShape: readonly number[] | null, who: string, what = 'input'): void {
  if (!(x instanceof tf.Tensor)) throw new BijectorInputError(`${who}: ${what} must be a tf.Tensor, got ${typeof x}`);
  if (x.isDisposed) throw new BijectorInputError(`${who}: ${what} tensor is already disposed`);
  if (eventShape !== null) {
    const expectedRank = eventShape.length + 1;
    if (x.rank !== expectedRank) {
      throw new BijectorInputError(
        `${who}: ${what} must have rank ${expectedRank} (batch × ${describeShape(eventShape)}), got rank ${x.rank} with shape ${describeShape(x.shape)}`,
      );
    }
    for (let i = 0; i < eventShape.length; i++) {
      if (x.shape[i + 1] !== eventShape[i]) {
        throw new BijectorInputError(`${who}: ${what} must have event shape ${describeShape(eventShape)}, got shape ${describeShape(x.shape)}`);
      }
    }
  } else if (x.rank < 2) {
    throw new BijectorInputError(`${who}: ${what} must be a batch (rank >= 2), got shape ${describeShape(x.shape)}`);
  }
  if (x.dtype !== 'float32') throw new BijectorInputError(`${who}: ${what} must be float32, got ${x.dtype}`);
  assertFinite(x, who, what);
}

/**
 * Throws when finite checks are on and `x` holds NaN or an infinity. Skipped where the backend
 * cannot read back synchronously (WebGPU in Node, see {@link canReadSynchronously}): there the
 * values pass through unchecked, as with `configureRuntime({ finiteChecks: false })`.
 */
export function assertFinite(x: tf.Tensor, who: string, what = 'input'): void {
  if (!runtimeSettings().finiteChecks || !canReadSynchronously()) return;
  const bad = tf.tidy(() => tf.logicalNot(tf.isFinite(x)).any().dataSync()[0]);
  if (bad) {
    const [nan, inf] = tf.tidy(() => [tf.isNaN(x).any().dataSync()[0], tf.isInf(x).any().dataSync()[0]]);
    throw new BijectorInputError(`${who}: ${what} contains ${nan ? 'NaN' : ''}${nan && inf ? ' and ' : ''}${inf ? 'infinite' : ''} values`);
  }
}

/** Checks a context tensor: rank 2 and the same batch size as the input. */
export function validateContext(context: tf.Tensor | undefined, batchSize: number, contextSize: number, who: string): void {
  if (contextSize === 0) {
    if (context !== undefined) throw new BijectorInputError(`${who}: was built without context, but a context was given`);
    return;
  }
  if (context === undefined) throw new BijectorInputError(`${who}: needs a context of width ${contextSize}, none given`);
  if (context.rank !== 2 || context.shape[1] !== contextSize || context.shape[0] !== batchSize) {
    throw new BijectorInputError(`${who}: context must have shape [${batchSize}, ${contextSize}], got ${describeShape(context.shape)}`);
  }
}

/** Checks that a mask is a non-empty array of 0/1 values, of length `size` when given. */
export function validateMask(mask: ArrayLike<number>, who: string, size?: number): void {
  if (!mask || typeof mask.length !== 'number' || mask.length === 0) {
    throw new BijectorInputError(`${who}: mask must be a non-empty array of 0 and 1`);
  }
  if (size !== undefined && mask.length !== size) {
    throw new BijectorInputError(`${who}: mask must have length ${size}, got ${mask.length}`);
  }
  for (let i = 0; i < mask.length; i++) {
    if (mask[i] !== 0 && mask[i] !== 1) {
      throw new BijectorInputError(`${who}: mask must be binary (0 or 1), got ${mask[i]} at index ${i}`);
    }
  }
}

export function assertPositiveInteger(value: unknown, who: string, name: string): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new BijectorInputError(`${who}: ${name} must be a positive integer, got ${String(value)}`);
  }
}

/** Throws when finite checks are on and some entry of `y` lies outside the open interval (low, high). */
export function assertInside(y: tf.Tensor, low: number, high: number, who: string): void {
  if (!runtimeSettings().finiteChecks || !canReadSynchronously()) return;
  const outside = tf.tidy(() => tf.any(tf.logicalOr(tf.lessEqual(y, low), tf.greaterEqual(y, high))).dataSync()[0]);
  if (outside) throw new BijectorInputError(`${who}: input must lie strictly inside (${low}, ${high})`);
}
