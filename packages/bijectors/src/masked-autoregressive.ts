import type * as tf from '@tensorflow/tfjs-core';
import { assertKnownOptions, optionNames } from '@flows/core';
import { Autoregressive, type AutoregressiveConfig, type AutoregressiveOptions } from './autoregressive.js';
import { autoregressiveOptionsFromConfig } from './autoregressive-config.js';

/** Every option MaskedAutoregressive takes; others are rejected with a message that names them. */
const MASKED_AUTOREGRESSIVE_OPTION_NAMES = optionNames<AutoregressiveOptions>()([
  'size',
  'transformer',
  'made',
  'hidden',
  'activation',
  'order',
  'contextSize',
  'seed',
]);

/**
 * Masked autoregressive flow, MAF (Papamakarios, Pavlakou and Murray, "Masked Autoregressive
 * Flow for Density Estimation", NeurIPS 2017): density in one pass, sampling in D passes.
 *
 * With a MADE giving θ_i from the coordinates before i in the order and the transformer g:
 * - inverse (data → base, one pass): `z_i = g(x_i; θ_i(x_<i))`, log-det `Σ_i log g'(x_i)`
 * - forward (base → data, D passes): `x_i = g⁻¹(z_i; θ_i(x_<i))`, log-det `−Σ_i log g'(x_i)`
 *
 * With the affine transformer `z_i = x_i exp(s_i) + m_i`, i.e. `x_i = z_i exp(α_i) + μ_i` with
 * `α = −s`, `μ = −m exp(−s)`: MAF as Papamakarios, Pavlakou and Murray state it ("Masked
 * Autoregressive Flow for Density Estimation", NeurIPS 2017, equation 3), parameterised in the
 * density direction.
 */
export class MaskedAutoregressive extends Autoregressive {
  static override readonly className: string = 'MaskedAutoregressive';

  constructor(options: AutoregressiveOptions) {
    if (new.target === MaskedAutoregressive) assertKnownOptions(options, MASKED_AUTOREGRESSIVE_OPTION_NAMES, 'MaskedAutoregressive');
    super(options, 'MaskedAutoregressive');
  }

  protected forwardImpl(x: tf.Tensor, context?: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
    return this.sequentialPasses(x, context);
  }

  protected override inverseImpl(y: tf.Tensor, context?: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
    return this.parallelPass(y, context);
  }

  static fromConfig(config: AutoregressiveConfig): MaskedAutoregressive {
    return new MaskedAutoregressive(autoregressiveOptionsFromConfig(config));
  }
}
