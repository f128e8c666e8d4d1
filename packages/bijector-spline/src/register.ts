import { registerBijector, registeredBijectors, registerTransformer } from '@flows/bijectors';
import { RationalQuadraticSpline } from './rational-quadratic-spline.js';
import { SplineAutoregressive } from './spline-autoregressive.js';
import { SplineCoupling } from './spline-coupling.js';

/**
 * Makes `SplineCoupling`, `SplineAutoregressive` and the `RationalQuadraticSpline` transformer
 * known to `bijectorFromJSON`, so saved models that use them load. Safe to call more than once.
 */
export function registerSplineBijectors(): void {
  if (registeredBijectors().includes('SplineCoupling')) return;
  registerTransformer(RationalQuadraticSpline);
  registerBijector(SplineCoupling);
  registerBijector(SplineAutoregressive);
}
