import type * as tf from '@tensorflow/tfjs-core';
import { assertKnownOptions, optionNames } from '@flows/core';
import { Autoregressive, type AutoregressiveConfig, type AutoregressiveOptions } from './autoregressive.js';
import { autoregressiveOptionsFromConfig } from './autoregressive-config.js';

/** Every option InverseAutoregressive takes; others are rejected with a message that names them. */
const INVERSE_AUTOREGRESSIVE_OPTION_NAMES = optionNames<AutoregressiveOptions>()([
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
 * Inverse autoregressive flow, IAF (Kingma, Salimans, Jozefowicz, Chen, Sutskever and Welling,
 * "Improved Variational Inference with Inverse Autoregressive Flow", NeurIPS 2016): sampling in
 * one pass, density of outside data in D passes.
 *
 * With a MADE giving θ_i from the base coordinates before i and the transformer g:
 * - forward (base → data, one pass): `x_i = g(z_i; θ_i(z_<i))`, log-det `Σ_i log g'(z_i)`
 * - inverse (data → base, D passes): `z_i = g⁻¹(x_i; θ_i(z_<i))`, log-det `−Σ_i log g'(z_i)`
 *
 * With the affine transformer this is `x_i = z_i exp(α_i(z_<i)) + μ_i(z_<i)` (Kingma et al.,
 * "Improved Variational Inference with Inverse Autoregressive Flow", NeurIPS 2016); with
 * {@link GatedTransformer}, the paper's numerically stable step `σ ⊙ z + (1 − σ) ⊙ m`. On the same weights it is the
 * exact inverse of {@link MaskedAutoregressive}.
 */
export class InverseAutoregressive extends Autoregressive {
  static override readonly className: string = 'InverseAutoregressive';

  constructor(options: AutoregressiveOptions) {
    if (new.target === InverseAutoregressive) assertKnownOptions(options, INVERSE_AUTOREGRESSIVE_OPTION_NAMES, 'InverseAutoregressive');
    super(options, 'InverseAutoregressive');
  }

  protected forwardImpl(x: tf.Tensor, context?: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
    return this.parallelPass(x, context);
  }

  protected override inverseImpl(y: tf.Tensor, context?: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
    return this.sequentialPasses(y, context);
  }

  static fromConfig(config: AutoregressiveConfig): InverseAutoregressive {
    return new InverseAutoregressive(autoregressiveOptionsFromConfig(config));
  }
}
