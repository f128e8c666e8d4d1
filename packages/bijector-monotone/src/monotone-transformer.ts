import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, Module } from '@flows/core';
import type { Transformer } from '@flows/bijectors';

/** Options every monotone transformer of this package takes. */
export interface MonotoneOptions {
  /**
   * The transformer's own map lives on [−B, B]; outside it continues linearly with the slope it has
   * at ±B (so the map is C¹ and onto ℝ, and its inverse in the tails is exact). Default 5.
   */
  bound?: number;
  /**
   * The inverse's search stops when every coordinate is known to `tolerance · (1 + |x|)` (default
   * 1e-5, above float32's rounding of g for sums of a few dozen terms, below which no search can
   * settle); the Newton step that follows it polishes the root further.
   */
  tolerance?: number;
  /** At most this many bracketed Newton steps per inverse (default 60; bisection alone needs about 24 at the defaults). */
  maxIterations?: number;
}

/** The shared options' names, for each class's list of known options. */
export const MONOTONE_OPTION_NAMES = ['bound', 'tolerance', 'maxIterations'] as const;

/** What every monotone transformer saves besides its own settings. */
export type MonotoneConfig = { bound: number; tolerance: number; maxIterations: number };

/** Checks and fills the shared options. */
export function monotoneSettings(options: MonotoneOptions, who: string): MonotoneConfig {
  const bound = options.bound ?? 5;
  const tolerance = options.tolerance ?? 1e-5;
  const maxIterations = options.maxIterations ?? 60;
  if (!(bound > 0 && Number.isFinite(bound))) throw new ConfigError(`${who}: bound must be a positive number, got ${bound}`);
  if (!(tolerance > 0 && tolerance < 1)) throw new ConfigError(`${who}: tolerance must lie in (0, 1), got ${tolerance}`);
  if (!Number.isInteger(maxIterations) || maxIterations < 1) throw new ConfigError(`${who}: maxIterations must be a positive integer, got ${maxIterations}`);
  return { bound, tolerance, maxIterations };
}

/** Checks a positive integer option. */
export function positiveInteger(value: number, who: string, name: string, minimum = 1): number {
  if (!Number.isInteger(value) || value < minimum) throw new ConfigError(`${who}: ${name} must be an integer of at least ${minimum}, got ${value}`);
  return value;
}

/** Checks a floor on the derivative. */
export function derivativeFloor(value: number, who: string): number {
  if (!(value > 0 && value < 1)) throw new ConfigError(`${who}: minDerivative must lie in (0, 1), got ${value}`);
  return value;
}

/** Statistics of the last inverse, for tests and tuning (not saved). */
export interface InverseStats {
  /** Newton or bisection steps taken (the same for every coordinate of the batch). */
  iterations: number;
  /** Whether every coordinate met the tolerance before the iteration cap. */
  converged: boolean;
}

/**
 * A strictly increasing elementwise map `g(·; θ)` given by its subclass on [−B, B] (its value and
 * log-derivative there: {@link MonotoneTransformer.core}), continued linearly outside:
 *
 * - forward: `g(u) = g_c(c) + g_c'(c) (u − c)` with `c = clamp(u, −B, B)`; `log g'(u) = log g_c'(c)`
 * - inverse: outside `[g(−B), g(B)]` the line's inverse; inside, the root in [−B, B] of
 *   `g(x) = v` by Newton's method safeguarded by a bracket (a step that leaves the bracket or does
 *   not halve the one before it is replaced by bisection, as Numerical Recipes' `rtsafe`), until
 *   every coordinate is known to `tolerance · (1 + |x|)` or after `maxIterations` steps; then
 *   `log (g⁻¹)'(v) = −log g'(x)`.
 *
 * The search runs outside the gradient tape; one Newton step on the tape,
 * `x = x₀ + (v − g(x₀; θ)) / g'(x₀; θ)`, then gives the implicit function theorem's derivatives
 * `∂x/∂v = 1/g'` and `∂x/∂θ = −(∂g/∂θ)/g'` (and polishes the root). Every intermediate is finite
 * for finite input, however far in the tails: the subclass only ever sees points of [−B, B].
 */
export abstract class MonotoneTransformer<Config extends MonotoneConfig = MonotoneConfig> extends Module<Config> implements Transformer {
  abstract readonly parameterCount: number;
  readonly bound: number;
  readonly tolerance: number;
  readonly maxIterations: number;
  /** How the last inverse went (iterations, convergence). */
  lastInverse: InverseStats = { iterations: 0, converged: true };

  constructor(settings: MonotoneConfig) {
    super();
    this.bound = settings.bound;
    this.tolerance = settings.tolerance;
    this.maxIterations = settings.maxIterations;
  }

  /**
   * `[g(x), log g'(x)]` for x in [−B, B] (`x` `[N, D]`, θ `[N, D, parameterCount]`): differentiable
   * in both, finite for every finite θ.
   */
  protected abstract core(x: tf.Tensor2D, parameters: tf.Tensor3D): [tf.Tensor2D, tf.Tensor2D];

  forward(u: tf.Tensor2D, parameters: tf.Tensor3D): [tf.Tensor2D, tf.Tensor2D] {
    const clamped = tf.clipByValue(u, -this.bound, this.bound) as tf.Tensor2D;
    const [value, logDerivative] = this.core(clamped, parameters);
    // Zero inside [−B, B]; the linear tail's run outside it.
    const beyond = tf.sub(u, clamped);
    return [tf.add(value, tf.mul(tf.exp(logDerivative), beyond)) as tf.Tensor2D, logDerivative];
  }

  inverse(v: tf.Tensor2D, parameters: tf.Tensor3D): [tf.Tensor2D, tf.Tensor2D] {
    const search = tf.customGrad((...args: unknown[]) => {
      const [target, theta] = args as [tf.Tensor2D, tf.Tensor3D];
      // The root as a constant of the tape: the step below carries the derivatives.
      return { value: this.search(target, theta), gradFunc: () => [tf.zerosLike(target), tf.zerosLike(theta)] };
    }) as unknown as (v: tf.Tensor2D, parameters: tf.Tensor3D) => tf.Tensor2D;
    const start = search(v, parameters);
    const [value, logDerivative] = this.forward(start, parameters);
    const x = tf.add(start, tf.mul(tf.sub(v, value), tf.exp(tf.neg(logDerivative)))) as tf.Tensor2D;
    const [, logDerivativeAtX] = this.forward(x, parameters);
    return [x, tf.neg(logDerivativeAtX) as tf.Tensor2D];
  }

  /** The root of `g(x) = v` per element, off the tape (see the class comment). */
  private search(v: tf.Tensor2D, parameters: tf.Tensor3D): tf.Tensor2D {
    const bound = this.bound;
    const [n, d] = v.shape;
    return tf.tidy(() => {
      const lowEnd = tf.fill([n, d], -bound) as tf.Tensor2D;
      const highEnd = tf.fill([n, d], bound) as tf.Tensor2D;
      const [gLow, logLow] = this.core(lowEnd, parameters);
      const [gHigh, logHigh] = this.core(highEnd, parameters);
      const below = tf.less(v, gLow);
      const above = tf.greater(v, gHigh);
      const tail = tf.where(
        below,
        tf.add(-bound, tf.mul(tf.sub(v, gLow), tf.exp(tf.neg(logLow)))),
        tf.add(bound, tf.mul(tf.sub(v, gHigh), tf.exp(tf.neg(logHigh)))),
      );
      const target = tf.minimum(tf.maximum(v, gLow), gHigh);
      // A value beyond an end has its root there (the tail's line takes over): its bracket starts closed.
      const state = {
        low: tf.where(above, highEnd, lowEnd),
        high: tf.where(below, lowEnd, highEnd),
        lowResidual: tf.where(above, tf.zerosLike(v), tf.sub(gLow, target)),
        highResidual: tf.where(below, tf.zerosLike(v), tf.sub(gHigh, target)),
        lowSlope: tf.exp(tf.where(above, logHigh, logLow)),
        highSlope: tf.exp(tf.where(below, logLow, logHigh)),
        error: tf.fill([n, d], 2 * bound),
        lastError: tf.fill([n, d], 4 * bound),
        x: tf.where(below, lowEnd, tf.where(above, highEnd, tf.zerosLike(v))),
      };
      let current: Record<keyof typeof state, tf.Tensor> = state;
      for (const t of Object.values(current)) tf.keep(t);
      let iterations = 0;
      let converged = false;
      while (iterations < this.maxIterations && !converged) {
        iterations++;
        const s = current;
        const next = tf.tidy(() => {
          // Newton from each end of the bracket; the one from the end nearer the root (smaller
          // residual) where it lands strictly inside, else the other, else bisection. On a convex or
          // concave stretch one of the two always lands inside and converges from its side.
          const fromLow = tf.sub(s.low, tf.div(s.lowResidual, s.lowSlope));
          const fromHigh = tf.sub(s.high, tf.div(s.highResidual, s.highSlope));
          const inside = (t: tf.Tensor) => tf.logicalAnd(tf.isFinite(t), tf.logicalAnd(tf.greater(t, s.low), tf.less(t, s.high)));
          const lowFirst = tf.less(tf.abs(s.lowResidual), tf.abs(s.highResidual));
          const first = tf.where(lowFirst, fromLow, fromHigh);
          const second = tf.where(lowFirst, fromHigh, fromLow);
          const width = tf.sub(s.high, s.low);
          // Safeguard: where the last step did not halve the error, bisect.
          const stalled = tf.greater(s.error, tf.mul(s.lastError, 0.5));
          const middle = tf.mul(tf.add(s.low, s.high), 0.5);
          const newton = tf.where(inside(first), first, tf.where(inside(second), second, middle));
          const bisect = stalled;
          const closed = tf.lessEqual(width, 0);
          const x = tf.where(closed, s.low, tf.where(bisect, middle, newton));
          const [gx, logDerivative] = this.core(x as tf.Tensor2D, parameters);
          const residual = tf.sub(gx, target);
          const slope = tf.exp(logDerivative);
          const toLow = tf.lessEqual(residual, 0);
          const toHigh = tf.greaterEqual(residual, 0);
          const low = tf.where(toLow, x, s.low);
          const high = tf.where(toHigh, x, s.high);
          const lowResidual = tf.where(toLow, residual, s.lowResidual);
          const highResidual = tf.where(toHigh, residual, s.highResidual);
          const lowSlope = tf.where(toLow, slope, s.lowSlope);
          const highSlope = tf.where(toHigh, slope, s.highSlope);
          // The Newton correction still to come from each end: the root is the end with the smaller
          // one, settled when that correction or the bracket is within the tolerance.
          const correction = (f: tf.Tensor, g: tf.Tensor) => {
            const c = tf.abs(tf.div(f, g));
            return tf.where(tf.isFinite(c), c, tf.fill(c.shape, Infinity));
          };
          const lowCorrection = correction(lowResidual, lowSlope);
          const highCorrection = correction(highResidual, highSlope);
          const best = tf.where(tf.less(lowCorrection, highCorrection), low, high);
          const error = tf.minimum(tf.sub(high, low), tf.minimum(lowCorrection, highCorrection));
          const settled = tf.all(tf.lessEqual(error, tf.mul(tf.add(1, tf.abs(best)), this.tolerance)));
          return {
            state: {
              low,
              high,
              lowResidual,
              highResidual,
              lowSlope,
              highSlope,
              error,
              lastError: tf.clone(s.error),
              x: best,
            },
            settled,
          };
        });
        tf.dispose(Object.values(current));
        current = next.state as typeof state;
        converged = next.settled.dataSync()[0] === 1;
        next.settled.dispose();
      }
      this.lastInverse = { iterations, converged };
      const root = tf.where(tf.logicalOr(below, above), tail, current.x) as tf.Tensor2D;
      tf.dispose(Object.values(current));
      return root;
    });
  }

  /** The shared settings, for subclasses' getConfig. */
  protected sharedConfig(): MonotoneConfig {
    return { bound: this.bound, tolerance: this.tolerance, maxIterations: this.maxIterations };
  }
}
