import { registerBijector, registeredBijectors, registerTransformer } from '@flows/bijectors';
import { registerConditioner } from '@flows/networks';
import { CircularShift } from './circular-shift.js';
import { CircularRationalQuadraticSpline } from './circular-spline.js';
import { CircularSplineCoupling } from './circular-spline-coupling.js';
import { PeriodicMLP } from './periodic-mlp.js';

/**
 * Makes `CircularSplineCoupling`, `CircularShift`, the `CircularRationalQuadraticSpline`
 * transformer and the `PeriodicMLP` conditioner known to the registries, so saved models that use
 * them load. Safe to call more than once.
 */
export function registerCircularBijectors(): void {
  if (registeredBijectors().includes('CircularSplineCoupling')) return;
  registerTransformer(CircularRationalQuadraticSpline);
  registerConditioner(PeriodicMLP);
  registerBijector(CircularSplineCoupling);
  registerBijector(CircularShift);
}
