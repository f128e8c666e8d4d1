import * as tf from '@tensorflow/tfjs-core';
import {
  BACKEND_OPTIONS,
  describeOptions,
  imageGridFigure,
  parseOptions,
  startBackend,
  UsageError,
  writeFigure,
  defineOptions,
  modelReference,
  modelReferenceHelp,
} from '@flows/cli-kit';
import { imageBatches, loadMnist } from '@flows/datasets';
import { ContinuousFlow } from '@flows/continuous';
import { ConvConditionalNormal, DiagonalNormal, type Distribution, FactorOutDistribution, type TransformedDistribution } from '@flows/distributions';
import { writeFileAtomic } from '@flows/flows';
import { DATA_DIR_OPTION } from './options.js';
import { layoutOf, toPixels } from './preprocessing.js';
import { checkImageSize, loadTrainedModel } from './trained-model.js';

export const INTERPOLATE_OPTIONS = defineOptions({
  model: {
    kind: 'string',
    required: true,
    description: `model directory (<run>/model), checkpoint directory (<run>/checkpoint, for a run still going) or run directory, ${modelReferenceHelp()}`,
  },
  out: { kind: 'string', default: 'interpolation.png', description: 'PNG file' },
  images: { kind: 'string', default: '0,1,2,3', description: 'indices of four test images' },
  steps: { kind: 'positiveInteger', default: 8, description: 'angles per axis in [0, pi/2]' },
  'data-dir': DATA_DIR_OPTION,
  ...BACKEND_OPTIONS,
});

export const INTERPOLATE_HELP = `mnist-flow interpolate: the Real NVP latent interpolation between four test digits,
z = cos(phi) (z1 cos(phi') + z2 sin(phi')) + sin(phi) (z3 cos(phi') + z4 sin(phi')), decoded with the
forward map over a grid of phi, phi' in [0, pi/2]. The corners are the four digits.

Usage: mnist-flow interpolate --model <dir> [--images a,b,c,d] [--steps 8] [--out interpolation.png]

${describeOptions(INTERPOLATE_OPTIONS)}`;

/** Latent codes on the grid of angles, row i = phi_i, column j = phi'_j. */
export function interpolationLatents(z: tf.Tensor2D, steps: number): tf.Tensor2D {
  return tf.tidy(() => {
    const [z1, z2, z3, z4] = tf.split(z, 4, 0);
    const rows: tf.Tensor[] = [];
    for (let i = 0; i < steps; i++) {
      const phi = (i / Math.max(1, steps - 1)) * (Math.PI / 2);
      for (let j = 0; j < steps; j++) {
        const phiPrime = (j / Math.max(1, steps - 1)) * (Math.PI / 2);
        const first = tf.add(tf.mul(z1, Math.cos(phiPrime)), tf.mul(z2, Math.sin(phiPrime)));
        const second = tf.add(tf.mul(z3, Math.cos(phiPrime)), tf.mul(z4, Math.sin(phiPrime)));
        rows.push(tf.add(tf.mul(first, Math.cos(phi)), tf.mul(second, Math.sin(phi))));
      }
    }
    return tf.concat(rows, 0) as tf.Tensor2D;
  });
}

/**
 * Data to latent: a coupling or multi-scale flow's inverse map; a continuous flow's solve from
 * t = 1 back to 0. Each base standardizes its part, so that the interpolation's rotations, which
 * assume a latent centred at 0 with equal spreads, stay on the base's typical set: a diagonal
 * normal by its mean and scale (mnist-flow's cnf has the images' per-pixel mean and spread there,
 * a multi-scale flow with learned priors a learned one), and a multi-scale flow's factored-out
 * channels by their prior's mean and scale given the channels that went on, level by level.
 */
export function toLatent(model: Distribution, x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    if (model instanceof ContinuousFlow) return standardized(model.base, model.transform(x, { from: 1, to: 0 }));
    const flow = model as TransformedDistribution;
    return standardized(flow.base, flow.bijector.inverse(x));
  });
}

/** A base's values as standard normal noise (see {@link toLatent}). */
function standardized(base: Distribution, z: tf.Tensor): tf.Tensor {
  if (base instanceof DiagonalNormal) return tf.div(tf.sub(z, base.mean), tf.exp(base.logScale));
  if (base instanceof FactorOutDistribution) {
    const [kept, factored] = base.split(z);
    const noise = base.factored instanceof ConvConditionalNormal ? base.factored.standardize(factored, kept) : factored;
    return tf.concat([toLatent(base.kept, kept), noise], 1);
  }
  return z;
}

/** Latent to data: the inverse of {@link toLatent}. */
export function fromLatent(model: Distribution, latent: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    if (model instanceof ContinuousFlow) return model.transform(unstandardized(model.base, latent), { from: 0, to: 1 });
    const flow = model as TransformedDistribution;
    return flow.bijector.forward(unstandardized(flow.base, latent));
  });
}

/** The inverse of {@link standardized}: the kept part first, then the factored part given it. */
function unstandardized(base: Distribution, noise: tf.Tensor): tf.Tensor {
  if (base instanceof DiagonalNormal) return tf.add(base.mean, tf.mul(noise, tf.exp(base.logScale)));
  if (base instanceof FactorOutDistribution) {
    const [keptNoise, factoredNoise] = base.split(noise);
    const kept = fromLatent(base.kept, keptNoise);
    const factored = base.factored instanceof ConvConditionalNormal ? base.factored.unstandardize(factoredNoise, kept) : factoredNoise;
    return tf.concat([kept, factored], 1);
  }
  return noise;
}

export async function interpolate(argv: string[]): Promise<void> {
  const o = parseOptions(argv, INTERPOLATE_OPTIONS);
  if (o.help) {
    console.log(INTERPOLATE_HELP);
    return;
  }
  const indices = String(o.images).split(',').map(Number);
  if (indices.length !== 4 || indices.some((i) => !Number.isInteger(i) || i < 0 || i >= 10_000)) {
    throw new Error(`--images needs four test-image indices in 0..9999, got '${o.images}'`);
  }
  // MNIST models are large: threads pay (bench/results.md).
  await startBackend(o, Number.POSITIVE_INFINITY);
  const loaded = await loadTrainedModel(modelReference(o.model));
  const model = loaded.model;
  if (model.contextSize > 0) {
    loaded.dispose();
    throw new UsageError('interpolate: this model is class-conditional (its latent space depends on the digit); use an unconditional model');
  }
  const view = loaded.view;
  const test = await loadMnist('test', { dataDir: o['data-dir'] });
  checkImageSize(test, test.source ?? 'the test images');
  const picked = { ...test, images: new Uint8Array(4 * 784), labels: new Uint8Array(4), count: 4 };
  indices.forEach((index, k) => {
    picked.images.set(test.images.subarray(index * 784, (index + 1) * 784), k * 784);
    picked.labels[k] = test.labels[index];
  });
  const batch = imageBatches(picked, { batchSize: 4, view, shuffle: false, noise: 'fixed', noiseSeed: 12345, shape: layoutOf(model) }).next().value!;
  const z = toLatent(model, batch.x) as tf.Tensor2D;
  batch.dispose();
  const latents = interpolationLatents(z, o.steps);
  const decoded = fromLatent(model, latents);
  const images = await toPixels(decoded, view);
  tf.dispose([z, latents, decoded]);
  const digits = indices.map((i) => test.labels[i]).join(', ');
  const written = await writeFigure(
    o.out,
    imageGridFigure({
      images,
      rows: 28,
      columns: 28,
      gridColumns: o.steps,
      title: 'latent interpolation',
      caption: `test digits ${digits} at the corners`,
    }),
    writeFileAtomic,
  );
  console.log(`interpolation: ${written} and .svg (digits ${digits} at the corners)`);
  loaded.dispose();
}
