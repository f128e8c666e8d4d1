import { isRegistered } from '@flows/core';
import { registerDistribution } from '@flows/distributions';
import { ContinuousFlow } from './continuous-flow.js';
import { MLPVectorField } from './mlp-vector-field.js';
import { registerVectorField } from './vector-field-registry.js';

/**
 * Registers this package's classes, so that saved models naming them load: the distribution
 * `ContinuousFlow` and the vector field `MLPVectorField`. The package's entry point calls it when
 * imported; calling it again does nothing.
 */
export function registerContinuousFlows(): void {
  if (!isRegistered('distribution', ContinuousFlow.className)) registerDistribution(ContinuousFlow);
  if (!isRegistered('conditioner', MLPVectorField.className)) registerVectorField(MLPVectorField);
}
