import * as tf from '@tensorflow/tfjs-core';

/**
 * A 2-D target known through its log-density up to a constant, for fitting a flow by reverse KL
 * (the setting of Rezende and Mohamed, "Variational Inference with Normalizing Flows", ICML 2015,
 * section 6.1): easy to evaluate, hard to sample.
 */
export interface EnergyTarget {
  readonly name: string;
  readonly description: string;
  /** `log q̃(x)` for each row of `[N, 2]`; `log q̃ = log q + log Z`. Finite everywhere. */
  logDensity(x: tf.Tensor): tf.Tensor1D;
  /** Whether `logDensity` is normalised (log Z = 0), so the reverse-KL loss is the KL itself. */
  readonly normalized: boolean;
  readonly plotRange: [[number, number], [number, number]];
}

const gaussianLog = (v: tf.Tensor, std: number) => tf.mul(tf.square(tf.div(v, std)), -0.5);

function columns(x: tf.Tensor): [tf.Tensor, tf.Tensor] {
  const [z1, z2] = tf.split(x, 2, 1);
  return [tf.reshape(z1, [-1]), tf.reshape(z2, [-1])];
}

const w1 = (z1: tf.Tensor) => tf.sin(tf.mul(z1, (2 * Math.PI) / 4));
const w2 = (z1: tf.Tensor) => tf.mul(3, tf.exp(gaussianLog(tf.sub(z1, 1), 0.6)));
const w3 = (z1: tf.Tensor) => tf.mul(3, tf.sigmoid(tf.div(tf.sub(z1, 1), 0.3)));
/** log(e^a + e^b), stable. */
const logAddExp = (a: tf.Tensor, b: tf.Tensor) => tf.logSumExp(tf.stack([a, b], 1), 1);
// U2-U4 are flat along z1; a wide Gaussian envelope in z1 (σ = 2) makes them normalisable.
const envelope = (z1: tf.Tensor) => gaussianLog(z1, 2);

function energy(
  name: string,
  description: string,
  log: (z1: tf.Tensor, z2: tf.Tensor) => tf.Tensor,
  range: [[number, number], [number, number]],
  normalized = false,
): EnergyTarget {
  return {
    name,
    description,
    normalized,
    plotRange: range,
    logDensity: (x) => tf.tidy(() => log(...columns(x)) as tf.Tensor1D),
  };
}

/**
 * Rezende and Mohamed's four test energies ("Variational Inference with Normalizing Flows", 2015,
 * table 1), `q̃ = exp(−U)`, with a Gaussian envelope on z1 for U2-U4, and a normalised banana.
 */
export const ENERGY_TARGETS: Record<string, EnergyTarget> = {
  u1: energy(
    'u1',
    'Rezende-Mohamed U1: a ring of radius 2 split into two halves',
    (z1, z2) => {
      const radius = tf.sqrt(tf.add(tf.square(z1), tf.square(z2)));
      return tf.add(gaussianLog(tf.sub(radius, 2), 0.4), logAddExp(gaussianLog(tf.sub(z1, 2), 0.6), gaussianLog(tf.add(z1, 2), 0.6)));
    },
    [
      [-4, 4],
      [-4, 4],
    ],
  ),
  u2: energy('u2', 'Rezende-Mohamed U2: a sine wave (Gaussian envelope on z1)', (z1, z2) => tf.add(gaussianLog(tf.sub(z2, w1(z1)), 0.4), envelope(z1)), [
    [-4, 4],
    [-4, 4],
  ]),
  u3: energy(
    'u3',
    'Rezende-Mohamed U3: a sine wave splitting in two (Gaussian envelope on z1)',
    (z1, z2) => tf.add(logAddExp(gaussianLog(tf.sub(z2, w1(z1)), 0.35), gaussianLog(tf.add(tf.sub(z2, w1(z1)), w2(z1)), 0.35)), envelope(z1)),
    [
      [-4, 4],
      [-4, 4],
    ],
  ),
  u4: energy(
    'u4',
    'Rezende-Mohamed U4: a sine wave with a step (Gaussian envelope on z1)',
    (z1, z2) => tf.add(logAddExp(gaussianLog(tf.sub(z2, w1(z1)), 0.4), gaussianLog(tf.add(tf.sub(z2, w1(z1)), w3(z1)), 0.35)), envelope(z1)),
    [
      [-4, 4],
      [-4, 4],
    ],
  ),
  banana: energy(
    'banana',
    'banana: z1 ~ N(0, 2²), z2 | z1 ~ N(z1²/4 − 2, 1), normalised',
    (z1, z2) => tf.sub(tf.add(gaussianLog(z1, 2), gaussianLog(tf.sub(z2, tf.sub(tf.mul(tf.square(z1), 0.25), 2)), 1)), Math.log(2 * Math.PI * 2)),
    [
      [-6, 6],
      [-4, 8],
    ],
    true,
  ),
};

export const ENERGY_NAMES = Object.keys(ENERGY_TARGETS);

/** The energy target called `name`; the error lists the names. */
export function energyByName(name: string): EnergyTarget {
  const target = ENERGY_TARGETS[name];
  if (!target) throw new RangeError(`unknown target '${name}'; expected one of ${ENERGY_NAMES.join(', ')}`);
  return target;
}
