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
  /** The inverse stops when every coordinate is known to `tolerance · (1 + |x|)` (default 1e-6). */
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
  const tolerance = options.tolerance ?? 1e-6;
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
      // The secant between the ends as the first guess.
      const span = tf.maximum(tf.sub(gHigh, gLow), 1e-30);
      let x = tf.keep(tf.clipByValue(tf.add(-bound, tf.mul(2 * bound, tf.div(tf.sub(target, gLow), span))), -bound, bound)) as tf.Tensor2D;
      let low = tf.keep(lowEnd);
      let high = tf.keep(highEnd);
      let previousStep = tf.keep(tf.fill([n, d], 2 * bound)) as tf.Tensor2D;
      let iterations = 0;
      let converged = false;
      while (iterations < this.maxIterations && !converged) {
        iterations++;
        const next = tf.tidy(() => {
          const [gx, logDerivative] = this.core(x, parameters);
          const residual = tf.sub(gx, target);
          const newLow = tf.where(tf.lessEqual(residual, 0), x, low);
          const newHigh = tf.where(tf.greaterEqual(residual, 0), x, high);
          const newton = tf.sub(x, tf.mul(residual, tf.exp(tf.neg(logDerivative))));
          const newtonStep = tf.abs(tf.sub(newton, x));
          // Newton where it stays strictly inside the bracket and at least halves the step before last.
          const useNewton = tf.logicalAnd(
            tf.logicalAnd(tf.greater(newton, newLow), tf.less(newton, newHigh)),
            tf.logicalAnd(tf.isFinite(newton), tf.lessEqual(tf.mul(newtonStep, 2), previousStep)),
          );
          const middle = tf.mul(tf.add(newLow, newHigh), 0.5);
          const moved = tf.where(useNewton, newton, middle);
          // A coordinate that hits its root exactly stays there.
          const nextX = tf.where(tf.equal(residual, 0), x, moved);
          const step = tf.abs(tf.sub(nextX, x));
          const scale = tf.add(1, tf.abs(nextX));
          const width = tf.sub(newHigh, newLow);
          const settled = tf.lessEqual(tf.minimum(step, width), tf.mul(scale, this.tolerance));
          return { x: nextX, low: newLow, high: newHigh, step: tf.where(useNewton, step, tf.mul(width, 0.5)), done: tf.all(settled) };
        });
        tf.dispose([x, low, high, previousStep]);
        x = next.x as tf.Tensor2D;
        low = next.low as tf.Tensor2D;
        high = next.high as tf.Tensor2D;
        previousStep = next.step as tf.Tensor2D;
        converged = next.done.dataSync()[0] === 1;
        next.done.dispose();
      }
      this.lastInverse = { iterations, converged };
      const root = tf.where(tf.logicalOr(below, above), tail, x) as tf.Tensor2D;
      tf.dispose([x, low, high, previousStep]);
      return root;
    });
  }

  /** The shared settings, for subclasses' getConfig. */
  protected sharedConfig(): MonotoneConfig {
    return { bound: this.bound, tolerance: this.tolerance, maxIterations: this.maxIterations };
  }
}
