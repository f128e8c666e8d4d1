import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { choleskyOfProduct, decodeBitsBack, encodeBitsBack } from '@flows/codec';
import { Random } from '@flows/core';
import { loadMnist } from '@flows/datasets';
import { fit, tensorData } from '@flows/flows';
import { buildVAE, PRIOR_KINDS, type VAE } from '@flows/vae-priors';
import { beforeAll, describe, expect, it } from 'vitest';
import { latentScaleFor, vaeBitsBackModel } from './vae-bits-back.js';

let images: Uint8Array[] = [];
let training: Float32Array;

beforeAll(async () => {
  await tf.setBackend('cpu');
  const [train, test] = await Promise.all([loadMnist('train'), loadMnist('test')]);
  images = Array.from({ length: 24 }, (_, k) => Uint8Array.from(test.images.subarray(k * 784, (k + 1) * 784), (v) => (v >= 128 ? 1 : 0)));
  training = Float32Array.from(train.images.subarray(0, 3000 * 784), (v) => (v >= 128 ? 1 : 0));
});

/**
 * A small VAE trained briefly: bits-back coding chains items (each item's posterior pops read what
 * the item before pushed under the prior), which behaves as its cost says only when the posteriors
 * and the prior roughly agree, as they do after training and not at random initialisation.
 */
async function smallTrainedVAE(prior: (typeof PRIOR_KINDS)[number]): Promise<VAE> {
  const vae = buildVAE({ prior, latentSize: 2, hidden: [32], components: 3, flowLayers: 2, flowHidden: [16], seed: 3 });
  const x = tf.tensor2d(training, [3000, 784]);
  const noise = new Random(5);
  await fit(vae, tensorData(x), {
    epochs: 3,
    batchSize: 100,
    learningRate: 3e-3,
    random: 6,
    loss: (model: VAE, batch) => model.loss(batch.x as tf.Tensor2D, noise),
  });
  x.dispose();
  return vae;
}

/** The VAE's negative ELBO in bits, summed over the images, with many draws of z (what bits-back coding should cost on average). */
function negativeElboBits(vae: ReturnType<typeof buildVAE>, samples: number): number {
  const x = tf.tensor2d(Float32Array.from(images.flatMap((image) => Array.from(image))), [images.length, 784]);
  const terms = vae.elbo(x, { samples, random: 7 });
  const total = -tf.sum(terms.elbo).dataSync()[0] / Math.LN2;
  tf.dispose([x, terms.elbo, terms.reconstruction, terms.kl]);
  return total;
}

describe('bits-back coding with the VAEs of @flows/vae-priors', () => {
  it.each(PRIOR_KINDS)('round-trips binarized digits exactly, and codes each at the negative ELBO on average (%s prior)', async (prior) => {
    const vae = await smallTrainedVAE(prior);
    const before = tf.memory().numTensors;
    const latentScale = latentScaleFor(vae);
    const model = vaeBitsBackModel(vae, { latentScale });
    const options = { latentBits: 12, latentScale, initialWords: 8 };
    const { message } = encodeBitsBack(model, images, options);
    expect(decodeBitsBack(model, message, images.length, options)).toEqual(images);
    expect(tf.memory().numTensors).toBe(before);
    // The cost of one item, from fresh pseudo-random bits each time (in a chain, each item's pops
    // read what the item before pushed, as random only as the model is consistent): its average
    // over draws is the negative ELBO, up to the lattice's and the quantisation's losses.
    let coded = 0;
    for (let draw = 0; draw < 8; draw++)
      for (const image of images) {
        const { account } = encodeBitsBack(model, [image], { ...options, initialSeed: draw * 1000 + coded });
        coded += account.observation + account.prior - account.posterior - account.auxiliary;
      }
    const ideal = negativeElboBits(vae, 64);
    // 192 single draws of a small model's ELBO scatter by about 1 %; the faults this guards against
    // (latents beyond the lattice, a mistuned local bits-back, a wrong window) cost 5-30 %.
    expect(Math.abs(coded / 8 / ideal - 1)).toBeLessThan(0.04);
    vae.dispose();
  });

  it('finds the Cholesky factor of C Cᵀ', () => {
    const columns = Float64Array.from([2, 0, 0, 1, 3, 0, -1, 0.5, 0.25]);
    const factor = choleskyOfProduct(columns, 3);
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 3; j++) {
        let product = 0;
        let expected = 0;
        for (let k = 0; k < 3; k++) {
          product += factor[i * 3 + k] * factor[j * 3 + k];
          expected += columns[i * 3 + k] * columns[j * 3 + k];
        }
        expect(product).toBeCloseTo(expected, 9);
        if (j > i) expect(factor[i * 3 + j]).toBe(0);
      }
  });
});
