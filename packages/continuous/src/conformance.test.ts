// The continuous-flow conformance kit over the built-in MLP field (vectors, with a context, with
// Fourier time and position features, with Hutchinson's trace) and over a plugin field written against the
// public API only, without forward-mode products.
import * as tf from '@tensorflow/tfjs-core';
import { isRegistered, type Random } from '@flows/core';
import { DiagonalNormal } from '@flows/distributions';
import { ContinuousFlow, MLPVectorField, registerVectorField } from './index.js';
import { LinearVectorField } from './test-support/linear-field.js';
import { describeContinuousFlowConformance } from './testing/vitest.js';

if (!isRegistered('conditioner', LinearVectorField.className)) registerVectorField(LinearVectorField);

describeContinuousFlowConformance('MLPVectorField, 2-D', () => new MLPVectorField({ size: 2, hidden: [16, 16], seed: 1 }));

describeContinuousFlowConformance(
  'MLPVectorField, 3-D, tanh, Fourier time, Hutchinson trace, learned base',
  () =>
    new ContinuousFlow({
      field: new MLPVectorField({ size: 3, hidden: [12], activation: 'tanh', timeFeatures: 3, seed: 2 }),
      base: new DiagonalNormal({ size: 3 }),
      trace: { estimator: 'hutchinson', probe: 'gaussian', probes: 2, seed: 4 },
    }),
);

describeContinuousFlowConformance(
  'MLPVectorField with position features',
  () => new MLPVectorField({ size: 2, hidden: [16], positionFeatures: 2, timeFeatures: 1, seed: 5 }),
);

describeContinuousFlowConformance('MLPVectorField with a context', () => new MLPVectorField({ size: 2, hidden: [16], contextSize: 2, seed: 3 }), {
  context: (random: Random, n: number) => tf.tensor2d(random.fillNormal(new Float32Array(2 * n)), [n, 2]),
});

describeContinuousFlowConformance('LinearVectorField (a plugin field without jvp)', () => new LinearVectorField({ size: 2 }));
