import type * as tf from '@tensorflow/tfjs-core';

/** A module as stored in a saved model: its class name and the configuration it is rebuilt from. */
export interface Serialized<Config extends object = Record<string, unknown>> {
  className: string;
  config: Config;
}

/**
 * The base of everything that holds variables and is saved by configuration plus weights:
 * bijectors, conditioner networks, distributions and whole models.
 *
 * - A class states its name once, as `static override readonly className: string = 'Name'`; instances read it
 *   through {@link Module.className}, and the registry reads it from the class when it is
 *   registered, so saved files and the registry cannot disagree.
 * - `getConfig()` returns the JSON configuration, typed per class, from which the class's static
 *   `fromConfig(config)` rebuilds an equal module with fresh variables; the weights travel
 *   separately, in the order of {@link Module.variables}.
 * - `dispose()` frees the variables; the module is unusable afterwards.
 */
export abstract class Module<Config extends object = Record<string, unknown>> {
  /** The name saved files and the registry know this class by. Every concrete class overrides it. */
  static readonly className: string = 'Module';

  /** This instance's class name (the static `className` of its class). */
  get className(): string {
    return (this.constructor as unknown as { className: string }).className;
  }

  /** Variables that training updates. */
  get trainableVariables(): tf.Variable[] {
    return [];
  }

  /**
   * All persistent state saved with the module, in a stable order: the trainable variables and
   * any non-trainable state (running statistics, initialisation flags).
   */
  get variables(): tf.Variable[] {
    return this.trainableVariables;
  }

  /** JSON-serializable configuration from which the class's `fromConfig` rebuilds the module (weights apart). */
  abstract getConfig(): Config;

  /** `{ className, config }`, the form the registry reads back. */
  toJSON(): Serialized<Config> {
    return { className: this.className, config: this.getConfig() };
  }

  /** Whether {@link Module.dispose} has freed any of the variables. */
  get isDisposed(): boolean {
    return this.variables.some((variable) => variable.isDisposed);
  }

  /** Frees the variables. The module is unusable afterwards. */
  dispose(): void {
    for (const variable of this.variables) if (!variable.isDisposed) variable.dispose();
  }
}
