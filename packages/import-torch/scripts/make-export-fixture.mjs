// Writes fixtures/flows-to-normflows/: a flow of this project (masked affine and additive
// couplings, ActNorm, an elementwise scale, a permutation, a diagonal normal base) with random
// weights, as normflows' state (exportTorchFlow). make_fixtures.py then loads it with normflows
// (load_flow) and records normflows' own log_prob and samples beside it, which the fixture tests
// compare with this project's: the opposite direction, checked by the library.
//
//   pnpm --filter @flows/import-torch build && node scripts/make-export-fixture.mjs
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { Random } from '@flows/core';
import { ActNorm, AdditiveCoupling, Chain, ElementwiseScale, MaskedAffineCoupling, Permute } from '@flows/bijectors';
import { DiagonalNormal, TransformedDistribution } from '@flows/distributions';
import { exportTorchFlow } from '../dist/index.js';

await tf.setBackend('cpu');
tf.backend().firstUse = false;
const random = new Random(7);
const actNorm = new ActNorm({ size: 3 });
const model = new TransformedDistribution(
  new DiagonalNormal({ size: 3, mean: [0.2, -0.1, 0.3], logScale: [0.1, -0.2, 0.05] }),
  new Chain([
    new MaskedAffineCoupling({ mask: [1, 0, 1], hidden: [12, 12], activation: 'leakyRelu', seed: 1 }),
    new Permute({ size: 3, seed: 2 }),
    actNorm,
    new AdditiveCoupling({ mask: [0, 1, 0], hidden: [12], seed: 3 }),
    new ElementwiseScale({ size: 3, logScale: [0.3, -0.2, 0.1] }),
    new MaskedAffineCoupling({ mask: [0, 1, 1], hidden: [12], scaleTanh: false, seed: 4 }),
  ]),
);
// Random weights everywhere (fresh couplings start as the identity), and ActNorm initialised.
for (const variable of model.trainableVariables) {
  tf.tidy(() => variable.assign(tf.add(variable, tf.tensor(random.fillNormal(new Float32Array(variable.size), 0, 0.3), variable.shape))));
}
actNorm.initializeFrom(tf.tensor2d(random.fillNormal(new Float32Array(60), 0.5, 2), [20, 3]));
const { weights, description } = exportTorchFlow(model);
const directory = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'flows-to-normflows');
mkdirSync(directory, { recursive: true });
writeFileSync(join(directory, 'flow.safetensors'), weights);
writeFileSync(join(directory, 'flow.json'), `${JSON.stringify({ ...description, weights: 'flow.safetensors' }, null, 1)}\n`);
console.log(`wrote ${directory}`);
