import * as tf from '@tensorflow/tfjs-core';
import { type Serialized, Bijector, bijectorFromJSON, BijectorInputError } from '@flows/core';

/** What a {@link Chain} saves: its members, in order, each as `{ className, config }`. */
export type ChainConfig = { bijectors: Serialized[] };

/**
 * A composition of bijectors applied in list order.
 *
 * - forward: `y = f_K(… f_2(f_1(x)))`, where `[f_1, …, f_K]` is the list
 * - inverse: `x = f_1⁻¹(… f_K⁻¹(y))`
 * - log-det: the sum of the members' log-dets at the points each one sees
 *
 * Nested chains are flattened. A context, when given, is passed to every member that takes one.
 */
export class Chain extends Bijector<ChainConfig> {
  static override readonly className: string = 'Chain';
  readonly bijectors: readonly Bijector[];
  readonly eventShape: readonly number[] | null;
  private readonly dataEventShape: readonly number[] | null;

  constructor(bijectors: Bijector[]) {
    super();
    if (!Array.isArray(bijectors)) throw new BijectorInputError('Chain: expected an array of bijectors');
    const flat: Bijector[] = [];
    for (const b of bijectors) {
      if (!(b instanceof Bijector)) throw new BijectorInputError('Chain: every member must be a Bijector');
      if (b instanceof Chain) flat.push(...b.bijectors);
      else flat.push(b);
    }
    this.bijectors = flat;
    // Walk the shapes from the base side: members with no fixed shape keep whatever they get.
    let inputShape: readonly number[] | null = null;
    let current: readonly number[] | null = null;
    for (const b of flat) {
      if (b.eventShape === null) continue;
      if (current !== null && current.join(',') !== b.eventShape.join(',')) {
        throw new BijectorInputError(`Chain: members disagree on the event shape: [${current.join(', ')}] and [${b.eventShape.join(', ')}] (${b.className})`);
      }
      if (inputShape === null) inputShape = b.eventShape;
      current = b.outputEventShape;
    }
    this.eventShape = inputShape;
    this.dataEventShape = current;
    const contextSizes = new Set(flat.map((b) => b.contextSize).filter((c) => c > 0));
    if (contextSizes.size > 1) throw new BijectorInputError(`Chain: members expect different context widths: ${[...contextSizes].join(', ')}`);
  }

  override get outputEventShape(): readonly number[] | null {
    return this.dataEventShape;
  }

  /** Number of members. */
  get length(): number {
    return this.bijectors.length;
  }

  /** The member at `index` (negative indices count from the end). */
  get(index: number): Bijector {
    const i = index < 0 ? this.bijectors.length + index : index;
    const b = this.bijectors[i];
    if (!b) throw new RangeError(`Chain.get: index ${index} out of range for ${this.bijectors.length} members`);
    return b;
  }

  override get contextSize(): number {
    return Math.max(0, ...this.bijectors.map((b) => b.contextSize));
  }

  override get hasInverse(): boolean {
    return this.bijectors.every((b) => b.hasInverse);
  }

  override get trainableVariables(): tf.Variable[] {
    return this.bijectors.flatMap((b) => b.trainableVariables);
  }

  override get variables(): tf.Variable[] {
    return this.bijectors.flatMap((b) => b.variables);
  }

  protected forwardImpl(x: tf.Tensor, context?: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
    let current = x;
    let total: tf.Tensor1D = tf.zeros([x.shape[0]]);
    for (const b of this.bijectors) {
      const [next, logDet] = b.uncheckedForwardAndLogDet(current, b.contextSize > 0 ? context : undefined);
      current = next;
      total = tf.add(total, logDet);
    }
    return [current, total];
  }

  protected override inverseImpl(y: tf.Tensor, context?: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
    let current = y;
    let total: tf.Tensor1D = tf.zeros([y.shape[0]]);
    for (let i = this.bijectors.length - 1; i >= 0; i--) {
      const b = this.bijectors[i];
      const [next, logDet] = b.uncheckedInverseAndLogDet(current, b.contextSize > 0 ? context : undefined);
      current = next;
      total = tf.add(total, logDet);
    }
    return [current, total];
  }

  getConfig(): ChainConfig {
    return { bijectors: this.bijectors.map((b) => b.toJSON()) };
  }

  static fromConfig(config: ChainConfig): Chain {
    const members = config.bijectors;
    if (!Array.isArray(members)) throw new BijectorInputError("Chain config needs a 'bijectors' array");
    return new Chain(members.map((m) => bijectorFromJSON(m)));
  }

  override dispose(): void {
    for (const b of this.bijectors) b.dispose();
  }
}
