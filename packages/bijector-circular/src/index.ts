export { wrapAngles } from './angles.js';
export {
  CircularRationalQuadraticSpline,
  type CircularSplineOptions,
  type CircularSplineConfig,
  CIRCULAR_SPLINE_OPTION_NAMES,
} from './circular-spline.js';
export { CircularShift, type CircularShiftOptions, type CircularShiftConfig } from './circular-shift.js';
export { PeriodicMLP, type PeriodicMLPOptions, type PeriodicMLPConfig } from './periodic-mlp.js';
export { CircularSplineCoupling, type CircularSplineCouplingOptions } from './circular-spline-coupling.js';
export { circularFlow, type CircularFlowOptions } from './circular-flow.js';
export { registerCircularBijectors } from './register.js';
