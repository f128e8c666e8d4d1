import * as tf from '@tensorflow/tfjs-core';
import { assertKnownOptions, newVariable, optionNames, type Random, sumEventAxes } from '@flows/core';
import { Distribution } from './distribution.js';

const TWO_PI = 2 * Math.PI;
const LOG_2PI = Math.log(TWO_PI);
/** π rounded to float32 (3.1415927…, above Math.PI): the first float32 angle outside [−π, π). */
const PI_FLOAT32 = Math.fround(Math.PI);

/** An angle taken to [−π, π). */
export function wrapAngle(x: number): number {
  return x - TWO_PI * Math.floor((x + Math.PI) / TWO_PI);
}

/**
 * `log(e^{−κ} I₀(κ))` elementwise for κ ≥ 0, differentiable and finite for every finite κ:
 * Abramowitz and Stegun 9.8.1 (a polynomial in (κ/3.75)², κ ≤ 3.75; minus κ) and 9.8.2
 * (`e^{−κ} I₀(κ) = κ^{−1/2} P(3.75/κ)`, so no e^κ is formed, which overflows float32 from κ ≈ 89),
 * relative error below 2e-7. Each branch sees only its own range of κ (the other is clamped), and
 * the switch between them is a step without gradient, so the gradient (I₁/I₀ − 1) stays finite.
 */
export function logBesselI0e(kappa: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const k = tf.abs(kappa);
    const small = tf.minimum(k, 3.75);
    const t2 = tf.square(tf.div(small, 3.75));
    const smallSeries = [1, 3.5156229, 3.0899424, 1.2067492, 0.2659732, 0.0360768, 0.0045813].reduceRight<tf.Tensor>(
      (acc, c) => tf.add(tf.mul(acc, t2), c),
      tf.zerosLike(t2),
    );
    const large = tf.maximum(k, 3.75);
    const t = tf.div(3.75, large);
    const largeSeries = [0.39894228, 0.01328592, 0.00225319, -0.00157565, 0.00916281, -0.02057706, 0.02635537, -0.01647633, 0.00392377].reduceRight<tf.Tensor>(
      (acc, c) => tf.add(tf.mul(acc, t), c),
      tf.zerosLike(t),
    );
    const smallValue = tf.sub(tf.log(smallSeries), small);
    const largeValue = tf.sub(tf.log(largeSeries), tf.mul(tf.log(large), 0.5));
    // 1 below 3.75, 0 from it on; step has a zero gradient (a comparison has none at all).
    const isSmall = tf.step(tf.sub(3.75, k));
    return tf.add(tf.mul(isSmall, smallValue), tf.mul(tf.sub(1, isSmall), largeValue));
  });
}

/** `log I₀(κ)` elementwise for κ ≥ 0: {@link logBesselI0e} plus |κ|. */
export function logBesselI0(kappa: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.add(logBesselI0e(kappa), tf.abs(kappa)));
}

/**
 * `e^{−κ} I_ν(κ)` for ν = 0 or 1 and κ ≥ 0 in float64: the power series below κ = 20 (its terms
 * peak near k = κ/2 and stay below e^20, so no precision is lost), Hankel's asymptotic expansion
 * above (the terms shrink to 1e-17 before they grow again).
 */
export function scaledBesselI(order: 0 | 1, kappa: number): number {
  const k = Math.abs(kappa);
  if (k < 20) {
    const half = k / 2;
    let term = order === 0 ? 1 : half;
    let sum = term;
    for (let j = 1; j < 200; j++) {
      term *= (half * half) / (j * (j + order));
      sum += term;
      if (term < sum * 1e-17) break;
    }
    return sum * Math.exp(-k);
  }
  const mu = 4 * order * order;
  let term = 1;
  let sum = 1;
  for (let j = 1; j < 30; j++) {
    term *= -(mu - (2 * j - 1) ** 2) / (8 * j * k);
    sum += term;
    if (Math.abs(term) < 1e-17) break;
  }
  return sum / Math.sqrt(TWO_PI * k);
}

/** `log I₀(κ)` in float64, for any κ ≥ 0. */
export function logBesselI0Value(kappa: number): number {
  return Math.abs(kappa) + Math.log(scaledBesselI(0, kappa));
}

/** `log(2π I₀(κ))`: the von Mises log-normaliser, in float64. */
export function vonMisesLogNormalizer(kappa: number): number {
  return LOG_2PI + logBesselI0Value(kappa);
}

/**
 * One draw of the von Mises distribution `VM(μ, κ)` in [−π, π): Best and Fisher's rejection sampler
 * ("Efficient simulation of the von Mises distribution", Applied Statistics 28, 1979), with numpy's
 * guards: uniform below κ = 1e-8, a Taylor form of its constant below 1e-5, and the wrapped normal
 * N(μ, 1/κ) above 1e6 (where the two differ by less than float64's rounding of the acceptance test).
 */
export function sampleVonMises(random: Random, mu: number, kappa: number): number {
  if (kappa < 1e-8) return wrapAngle(mu + Math.PI * (2 * random.uniform() - 1));
  if (kappa > 1e6) return wrapAngle(mu + random.normal() / Math.sqrt(kappa));
  let s: number;
  if (kappa < 1e-5) s = 1 / kappa + kappa;
  else {
    const r = 1 + Math.sqrt(1 + 4 * kappa * kappa);
    const rho = (r - Math.sqrt(2 * r)) / (2 * kappa);
    s = (1 + rho * rho) / (2 * rho);
  }
  let w: number;
  for (;;) {
    const z = Math.cos(Math.PI * random.uniform());
    w = (1 + s * z) / (s + z);
    const y = kappa * (s - w);
    const v = random.uniform();
    if (y * (2 - y) - v >= 0 || Math.log(y / v) + 1 - y >= 0) break;
  }
  const angle = Math.acos(Math.max(-1, Math.min(1, w)));
  return wrapAngle(mu + (random.uniform() < 0.5 ? -angle : angle));
}

/** Options of {@link VonMises}. */
export interface VonMisesOptions {
  /** Number of angles D. */
  size: number;
  /** Mean directions μ (default 0). */
  loc?: ArrayLike<number>;
  /** Concentrations κ > 0 (default 1). */
  concentration?: ArrayLike<number>;
  /** Learn μ and log κ (default true). */
  trainable?: boolean;
}

const VON_MISES_OPTION_NAMES = optionNames<VonMisesOptions>()(['size', 'loc', 'concentration', 'trainable']);

/** What a {@link VonMises} saves (μ and log κ are weights). */
export type VonMisesConfig = { size: number; trainable: boolean };

/**
 * Independent von Mises distributions on D angles, the base of flows on the torus (Rezende,
 * Papamakarios, Racanière et al., "Normalizing Flows on Tori and Spheres", ICML 2020):
 *
 * `log p(x) = Σ_i [κ_i cos(x_i − μ_i) − log(2π I₀(κ_i))]`,
 *
 * a density of angles: 2π-periodic in each coordinate, so it integrates to 1 over [−π, π)^D (or
 * any box of side 2π). It is computed as `−2κ sin²((x − μ)/2) − log(2π e^{−κ} I₀(κ))`, without
 * forming e^κ and without two terms of size κ that cancel ({@link logBesselI0e}), so it stays
 * finite and accurate for large κ. Samples lie in [−π, π) (Best and Fisher's sampler,
 * {@link sampleVonMises}); at temperature T the concentration is κ/T² (the variance of a
 * concentrated von Mises is about 1/κ). Learnable μ and log κ; entropy in closed form,
 * `H = Σ_i [log(2π I₀(κ_i)) − κ_i I₁(κ_i)/I₀(κ_i)]`.
 */
export class VonMises extends Distribution<VonMisesConfig> {
  static override readonly className: string = 'VonMises';
  readonly eventShape: readonly number[];
  readonly loc: tf.Variable;
  readonly logConcentration: tf.Variable;
  private readonly trainable: boolean;

  constructor(options: VonMisesOptions) {
    assertKnownOptions(options, VON_MISES_OPTION_NAMES, 'VonMises');
    super();
    const { size } = options;
    if (!Number.isInteger(size) || size <= 0) throw new RangeError(`VonMises: size must be a positive integer, got ${size}`);
    const read = (values: ArrayLike<number> | undefined, name: string, fallback: number, check: (v: number) => boolean, map: (v: number) => number) => {
      if (values !== undefined && values.length !== size) throw new RangeError(`VonMises: ${name} must have ${size} values, got ${values.length}`);
      const list = values === undefined ? new Array<number>(size).fill(fallback) : Array.from(values);
      list.forEach((v, i) => {
        if (!check(v)) throw new RangeError(`VonMises: ${name}[${i}] must be ${name === 'loc' ? 'a finite number' : 'a positive finite number'}, got ${v}`);
      });
      return () => tf.tensor1d(list.map(map));
    };
    this.eventShape = [size];
    this.trainable = options.trainable ?? true;
    this.loc = newVariable(
      read(options.loc, 'loc', 0, Number.isFinite, (v) => v),
      this.trainable,
    );
    this.logConcentration = newVariable(
      read(options.concentration, 'concentration', 1, (v) => v > 0 && Number.isFinite(v), Math.log),
      this.trainable,
    );
  }

  override get trainableVariables(): tf.Variable[] {
    return this.trainable ? [this.loc, this.logConcentration] : [];
  }

  override get variables(): tf.Variable[] {
    return [this.loc, this.logConcentration];
  }

  protected logProbImpl(x: tf.Tensor): tf.Tensor1D {
    const kappa = tf.exp(this.logConcentration);
    // κ (cos d − 1) − log(e^{−κ} I₀(κ)) with cos d − 1 = −2 sin²(d/2): no two terms of size κ cancel,
    // so a concentrated angle keeps float32's relative precision.
    const halfSine = tf.sin(tf.mul(tf.sub(x, this.loc), 0.5));
    const perAngle = tf.sub(tf.mul(tf.mul(kappa, tf.square(halfSine)), -2), tf.add(logBesselI0e(kappa), LOG_2PI));
    return sumEventAxes(perAngle);
  }

  protected sampleImpl(n: number, random: Random, temperature: number): tf.Tensor {
    const size = this.eventShape[0];
    const loc = this.loc.dataSync();
    const logConcentration = this.logConcentration.dataSync();
    const out = new Float32Array(n * size);
    for (let row = 0; row < n; row++) {
      for (let i = 0; i < size; i++) {
        // float32 can round an angle just below π up to π: keep [−π, π) after the cast too.
        const angle = Math.fround(sampleVonMises(random, loc[i], Math.exp(logConcentration[i]) / (temperature * temperature)));
        out[row * size + i] = angle >= PI_FLOAT32 ? -PI_FLOAT32 : angle;
      }
    }
    return tf.tensor2d(out, [n, size]);
  }

  /** `H = Σ_i [log(2π I₀(κ_i)) − κ_i I₁(κ_i)/I₀(κ_i)]` nats, from the current κ (read back from the device). */
  override entropy(): number {
    this.assertNotDisposed('VonMises.entropy');
    let total = 0;
    for (const logKappa of this.logConcentration.dataSync()) {
      const kappa = Math.exp(logKappa);
      total += vonMisesLogNormalizer(kappa) - (kappa * scaledBesselI(1, kappa)) / scaledBesselI(0, kappa);
    }
    return total;
  }

  getConfig(): VonMisesConfig {
    return { size: this.eventShape[0], trainable: this.trainable };
  }

  static fromConfig(config: VonMisesConfig): VonMises {
    return new VonMises({ size: config.size, trainable: config.trainable });
  }
}
