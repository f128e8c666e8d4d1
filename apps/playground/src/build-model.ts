import { ActNorm, Chain, ElementwiseAffine } from '@flows/bijectors';
import { splineFlow } from '@flows/bijector-spline';
import { StandardNormal, TransformedDistribution } from '@flows/distributions';
import { maf, nice, realNVP } from '@flows/flows';
import type { PlaygroundSettings } from './settings.js';

/** Per-column mean and standard deviation of the user's points: the flow then sees standardised data. */
export interface Standardization {
  mean: number[];
  scale: number[];
}

/**
 * The 2-D flow of the settings on a standard normal base, built as `toy-flow train --flow` builds
 * it, so a model exported here and one trained there are the same kind of object:
 *
 * - `realnvp`: affine couplings, `y_B = x_B ⊙ exp(s(x_A)) + t(x_A)` (Dinh et al. 2017), tanh-bounded scale;
 * - `nice`: additive couplings, `y_B = x_B + t(x_A)` (Dinh et al. 2015), log-det 0;
 * - `maf`: masked autoregressive layers (Papamakarios et al. 2017), coordinate order reversed every layer;
 * - `spline`: rational-quadratic spline couplings (Durkan et al. 2019) after an ActNorm that fits
 *   the data to the splines' interval on the first batch.
 *
 * With `standardization`, forward ends in `y = μ + σ ⊙ x` (log-det `Σ log σ_i`), as toy-flow does for CSV data.
 */
export function buildPlaygroundModel(settings: PlaygroundSettings, standardization: Standardization | null = null): TransformedDistribution {
  const common = { size: 2, layers: settings.layers, hidden: settings.hidden, seed: settings.seed };
  let model: TransformedDistribution;
  switch (settings.flow) {
    case 'nice':
      model = nice({ ...common, mask: settings.mask });
      break;
    case 'maf':
      model = maf(common);
      break;
    case 'spline':
      model = new TransformedDistribution(
        new StandardNormal(2),
        new Chain([splineFlow({ ...common, kind: 'coupling', bins: settings.bins, bound: 3 }), new ActNorm({ size: 2 })]),
      );
      break;
    default:
      model = realNVP({ ...common, mask: settings.mask, scaleTanh: true });
  }
  if (!standardization) return model;
  const affine = new ElementwiseAffine({ size: 2, shift: standardization.mean, logScale: standardization.scale.map(Math.log) });
  return new TransformedDistribution(model.base, new Chain([model.bijector, affine]));
}
