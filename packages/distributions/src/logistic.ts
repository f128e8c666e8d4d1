import * as tf from '@tensorflow/tfjs-core';
import { newVariable, type Random, sumEventAxes, assertKnownOptions } from '@flows/core';
import { Distribution } from './distribution.js';

/** Learnable per-coordinate location and log-scale (zeros by default), checked against the size. */
export function locationScaleVariables(
  who: string,
  size: number,
  options: { loc?: ArrayLike<number>; logScale?: ArrayLike<number> },
): [tf.Variable, tf.Variable] {
  const read = (values: ArrayLike<number> | undefined, name: string) => {
    if (values && values.length !== size) throw new RangeError(`${who}: ${name} must have ${size} values`);
    return () => (values ? tf.tensor1d(Array.from(values)) : tf.zeros([size]));
  };
  return [newVariable(read(options.loc, 'loc')), newVariable(read(options.logScale, 'logScale'))];
}

/** Every option Logistic takes; others are rejected with a message that names them. */
const LOGISTIC_OPTION_NAMES: readonly string[] = ['size', 'loc', 'logScale'];

/** What a {@link Logistic} saves (its parameters are weights). */
export type LogisticConfig = { size: number };

/**
 * Independent logistic distributions with learnable location μ and log-scale log s:
 * `log p(x) = Σ_i [−z_i − 2 softplus(−z_i) − log s_i]`, `z = (x − μ)/s`.
 * Sampling: `x = μ + s (log u − log(1 − u))`, u ~ U(0, 1); at temperature T the scale is T·s.
 */
export class Logistic extends Distribution<LogisticConfig> {
  static override readonly className: string = 'Logistic';
  readonly eventShape: readonly number[];
  readonly loc: tf.Variable;
  readonly logScale: tf.Variable;

  constructor(options: { size: number; loc?: ArrayLike<number>; logScale?: ArrayLike<number> }) {
    assertKnownOptions(options, LOGISTIC_OPTION_NAMES, 'Logistic');
    super();
    const { size } = options;
    if (!Number.isInteger(size) || size <= 0) throw new RangeError(`Logistic: size must be a positive integer, got ${size}`);
    this.eventShape = [size];
    [this.loc, this.logScale] = locationScaleVariables('Logistic', size, options);
  }

  override get trainableVariables(): tf.Variable[] {
    return [this.loc, this.logScale];
  }

  protected logProbImpl(x: tf.Tensor): tf.Tensor1D {
    const z = tf.mul(tf.sub(x, this.loc), tf.exp(tf.neg(this.logScale)));
    return sumEventAxes(tf.sub(tf.sub(tf.neg(z), tf.mul(tf.softplus(tf.neg(z)), 2)), this.logScale));
  }

  protected sampleImpl(n: number, random: Random, temperature: number): tf.Tensor {
    const size = this.eventShape[0];
    const u = random.fillUniform(new Float32Array(n * size), 1e-7, 1 - 1e-7);
    const noise = tf.tensor2d(
      u.map((v) => Math.log(v) - Math.log1p(-v)),
      [n, size],
    );
    return tf.add(this.loc, tf.mul(noise, tf.mul(tf.exp(this.logScale), temperature)));
  }

  /** `H = Σ_i (log s_i + 2)` nats, from the current log-scale (read back from the device). */
  override entropy(): number {
    this.assertNotDisposed('Logistic.entropy');
    const logScale = this.logScale.dataSync();
    let total = 0;
    for (let i = 0; i < logScale.length; i++) total += logScale[i] + 2;
    return total;
  }

  getConfig(): LogisticConfig {
    return { size: this.eventShape[0] };
  }

  static fromConfig(config: LogisticConfig): Logistic {
    return new Logistic({ size: config.size });
  }
}
