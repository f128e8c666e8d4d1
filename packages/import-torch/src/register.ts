import { registerBijector, registeredBijectors } from '@flows/bijectors';
import { registerSplineBijectors } from '@flows/bijector-spline';
import { registerConditioner } from '@flows/networks';
import { TorchAutoregressive } from './torch-autoregressive.js';
import { TorchNetwork } from './torch-network.js';

/**
 * Makes the classes some imported flows need (`TorchNetwork`, `TorchAutoregressive`;
 * nflows' `EmbeddedContext` is `@flows/distributions`' own) and the spline plugin's known to the registries, so that models using them
 * load with `loadModel`. Safe to call more than once. Flows made only of the project's own classes
 * (zuko's, normflows' affine ones, nflows' feed-forward ones) load without it.
 */
export function registerTorchImport(): void {
  registerSplineBijectors();
  if (registeredBijectors().includes(TorchAutoregressive.className)) return;
  registerConditioner(TorchNetwork);
  registerBijector(TorchAutoregressive);
}
