import { Permute } from './permute.js';
import { assertPositiveInteger } from './validation.js';
import { assertKnownOptions } from './options.js';

/** Every option Reverse takes; others are rejected with a message that names them. */
const REVERSE_OPTION_NAMES: readonly string[] = ['size'];

/** Reverses the coordinates: `y_i = x_{D−1−i}`; its own inverse; log-det 0. */
export class Reverse extends Permute {
  override readonly className = 'Reverse';

  constructor(options: { size: number }) {
    assertKnownOptions(options, REVERSE_OPTION_NAMES, 'Reverse');
    assertPositiveInteger(options?.size, 'Reverse', 'size');
    super({ order: Array.from({ length: options.size }, (_, i) => options.size - 1 - i) });
  }

  override getConfig(): Record<string, unknown> {
    return { size: this.order.length };
  }

  static override fromConfig(config: Record<string, unknown>): Reverse {
    return new Reverse({ size: config.size as number });
  }
}
