export { RationalQuadraticSpline, type RationalQuadraticSplineOptions } from './rational-quadratic-spline.js';
export { SplineCoupling, type SplineCouplingOptions } from './spline-coupling.js';
export { SplineAutoregressive, type SplineAutoregressiveOptions } from './spline-autoregressive.js';
export { registerSplineBijectors } from './register.js';
export {
  splineBin,
  splineForwardInBin,
  splineInverseInBin,
  splineLogDerivative,
  type SplineBin,
  type SplineKnots,
} from './rational-quadratic-bins.js';
