import * as tf from '@tensorflow/tfjs-core';
import { BACKEND_OPTIONS, describeOptions, imageGridFigure, parseOptions, startBackend, UsageError, writeFigure, defineOptions } from '@flows/cli-kit';
import { imageBatches, loadMnist } from '@flows/datasets';
import { ContinuousFlow } from '@flows/continuous';
import { DiagonalNormal, type Distribution, type TransformedDistribution } from '@flows/distributions';
import { writeFileAtomic } from '@flows/flows';
import { DATA_DIR_OPTION } from './options.js';
import { layoutOf, toPixels } from './preprocessing.js';
import { checkImageSize, loadTrainedModel } from './trained-model.js';

export const INTERPOLATE_OPTIONS = defineOptions({
  model: {
    kind: 'string',
    required: true,
    description: 'model directory (<run>/model), checkpoint directory (<run>/checkpoint, for a run still going) or run directory',
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
 * t = 1 back to 0, standardized by its base (mnist-flow's cnf has the images' per-pixel mean and
 * spread there), so that the interpolation's rotations, which assume a latent centred at 0 with
 * equal spreads, stay on the base's typical set.
 */
function toLatent(model: Distribution, x: tf.Tensor): tf.Tensor {
  if (!(model instanceof ContinuousFlow)) return (model as TransformedDistribution).bijector.inverse(x);
  const base = model.base;
  return tf.tidy(() => {
    const z = model.transform(x, { from: 1, to: 0 });
    return base instanceof DiagonalNormal ? tf.div(tf.sub(z, base.mean), tf.exp(base.logScale)) : z;
  });
}

/** Latent to data: the forward map, or a continuous flow's solve from t = 0 to 1 from its base's scale (the inverse of {@link toLatent}'s). */
function fromLatent(model: Distribution, latent: tf.Tensor): tf.Tensor {
  if (!(model instanceof ContinuousFlow)) return (model as TransformedDistribution).bijector.forward(latent);
  const base = model.base;
  return tf.tidy(() => model.transform(base instanceof DiagonalNormal ? tf.add(base.mean, tf.mul(latent, tf.exp(base.logScale))) : latent, { from: 0, to: 1 }));
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
  const loaded = await loadTrainedModel(o.model);
  const model = loaded.model;
  if (model.contextSize > 0) {
    model.dispose();
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
  model.dispose();
}
