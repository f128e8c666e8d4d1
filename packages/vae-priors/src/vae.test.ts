import * as tf from '@tensorflow/tfjs-core';
import { Random } from '@flows/core';
import { StandardNormal } from '@flows/distributions';
import { fit } from '@flows/training';
import { describe, expect, it } from 'vitest';
import { BernoulliDecoder, buildVAE, GaussianEncoder, PRIOR_KINDS, VAE } from './index.js';

const softplus = (v: number) => Math.log1p(Math.exp(v));

function randomBinary(n: number, d: number, seed: number): tf.Tensor2D {
  const random = new Random(seed);
  return tf.tensor2d(
    Float32Array.from({ length: n * d }, () => (random.uniform() < 0.3 ? 1 : 0)),
    [n, d],
  );
}

function perturb(variables: tf.Variable[], seed: number, std = 0.3) {
  const random = new Random(seed);
  for (const v of variables) v.assign(tf.add(v, tf.tensor(random.fillNormal(new Float32Array(v.size), 0, std), v.shape)));
}

describe('VAE', () => {
  it('buildVAE rejects an option it does not know', () => {
    expect(() => buildVAE({ prior: 'flow', latent: 10 } as never)).toThrow(/buildVAE: unknown option 'latent'/);
  });

  it('ELBO matches a hand-computed case (tiny networks, fixed weights, given noise)', () => {
    const encoder = new GaussianEncoder(2, 1, { hidden: [] });
    const decoder = new BernoulliDecoder(1, 2, { hidden: [] });
    // Encoder: mean = 0.5 x0 − x1 + 0.1, log σ = 0.2 x0 + 0.3 x1 − 0.5.
    encoder.network.weights[0].assign(
      tf.tensor2d([
        [0.5, 0.2],
        [-1, 0.3],
      ]),
    );
    encoder.network.biases[0].assign(tf.tensor1d([0.1, -0.5]));
    // Decoder: logits = (2 z + 0.5, −z − 1).
    decoder.network.weights[0].assign(tf.tensor2d([[2, -1]]));
    decoder.network.biases[0].assign(tf.tensor1d([0.5, -1]));
    const vae = new VAE(encoder, decoder, new StandardNormal(1));
    const x = [1, 0];
    const eps = 0.7;
    const mean = 0.5 * 1 - 0 + 0.1;
    const logScale = 0.2 - 0.5;
    const z = mean + Math.exp(logScale) * eps;
    const logits = [2 * z + 0.5, -z - 1];
    const reconstruction = x[0] * logits[0] - softplus(logits[0]) + x[1] * logits[1] - softplus(logits[1]);
    const kl = 0.5 * (mean * mean + Math.exp(2 * logScale) - 1) - logScale;
    const terms = vae.elbo(tf.tensor2d([x]), { noise: tf.tensor3d([[[eps]]]) });
    expect(terms.reconstruction.dataSync()[0]).toBeCloseTo(reconstruction, 5);
    expect(terms.kl.dataSync()[0]).toBeCloseTo(kl, 5);
    expect(terms.elbo.dataSync()[0]).toBeCloseTo(reconstruction - kl, 5);
    // The Monte Carlo KL with the same single noise draw: log q(z|x) − log p(z).
    const logQ = -0.5 * eps * eps - logScale - 0.5 * Math.log(2 * Math.PI);
    const logP = -0.5 * z * z - 0.5 * Math.log(2 * Math.PI);
    const mc = vae.elbo(tf.tensor2d([x]), { noise: tf.tensor3d([[[eps]]]), monteCarloKl: true });
    expect(mc.kl.dataSync()[0]).toBeCloseTo(logQ - logP, 5);

    // Two images, two noise draws each: the reconstruction term averages over the draws of its own
    // image (the decoder pairs code s·N + i with image i, without copying the images).
    const images = [
      [1, 0],
      [0, 1],
    ];
    const draws = [
      [0.7, -1.2],
      [0.1, 0.4],
    ]; // draws[s][i]
    const expected = images.map((xi, i) => {
      const m = 0.5 * xi[0] - xi[1] + 0.1;
      const ls = 0.2 * xi[0] + 0.3 * xi[1] - 0.5;
      const terms = draws.map((d) => {
        const zi = m + Math.exp(ls) * d[i];
        const l = [2 * zi + 0.5, -zi - 1];
        return xi[0] * l[0] - softplus(l[0]) + xi[1] * l[1] - softplus(l[1]);
      });
      return (terms[0] + terms[1]) / 2;
    });
    const two = vae.elbo(tf.tensor2d(images), { noise: tf.tensor3d(draws.map((d) => d.map((v) => [v]))) });
    Array.from(two.reconstruction.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(expected[i], 5));
    expect(() => decoder.logLikelihood(tf.tensor2d(images), tf.zeros([3, 1]) as tf.Tensor2D)).toThrow(/3 codes are not a whole number of blocks of 2 images/);
  });

  it('the Monte Carlo KL matches the analytic KL for the Gaussian prior', () => {
    const vae = buildVAE({ prior: 'gaussian', latentSize: 3, inputSize: 6, hidden: [8], seed: 1 });
    perturb(vae.trainableVariables, 2);
    const x = randomBinary(4, 6, 3);
    const analytic = vae.elbo(x).kl.dataSync();
    const mc = vae.elbo(x, { monteCarloKl: true, samples: 20_000, random: 4 }).kl.dataSync();
    // The per-sample KL estimate has variance about (dimension/2 + KL); 20 000 samples give s.e. < 0.02.
    analytic.forEach((v, i) => expect(Math.abs(mc[i] - v)).toBeLessThan(0.06));
  });

  it('the IWAE estimate is at least the ELBO on average, for every prior', () => {
    for (const prior of PRIOR_KINDS) {
      const vae = buildVAE({ prior, latentSize: 2, inputSize: 6, hidden: [8], components: 3, flowLayers: 2, flowHidden: [8], seed: 5 });
      perturb(vae.trainableVariables, 6);
      const x = randomBinary(32, 6, 7);
      const elbo = tf.mean(vae.elbo(x, { samples: 200, random: 8 }).elbo).dataSync()[0];
      const iwae = tf.mean(vae.importanceWeightedLogLikelihood(x, 200, { random: 9, chunk: 64 })).dataSync()[0];
      expect(iwae).toBeGreaterThanOrEqual(elbo - 1e-3);
    }
  });

  it('checkpoints with @flows/model-files and reloads to the same ELBO', async () => {
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { saveCheckpoint, loadCheckpoint } = await import('@flows/model-files');
    const { Adam } = await import('@flows/optimizers');
    const { vaeFromJSON } = await import('./index.js');
    for (const prior of PRIOR_KINDS) {
      const vae = buildVAE({ prior, latentSize: 2, inputSize: 6, hidden: [8], components: 3, flowLayers: 2, flowHidden: [8], seed: 15 });
      perturb(vae.trainableVariables, 16);
      const dir = mkdtempSync(join(tmpdir(), 'vae-ckpt-'));
      const optimizer = new Adam(vae.trainableVariables);
      await saveCheckpoint(dir, { model: vae, optimizerState: optimizer.getState(), randomState: new Random(1).getState(), epoch: 2 });
      const loaded = await loadCheckpoint(dir, vaeFromJSON);
      const x = randomBinary(5, 6, 17);
      const a = vae.elbo(x, { random: 3 }).elbo.dataSync();
      const b = loaded.model.elbo(x, { random: 3 }).elbo.dataSync();
      Array.from(a).forEach((v, i) => expect(b[i]).toBeCloseTo(v, 5));
      expect(loaded.epoch).toBe(2);
    }
  });

  it('every prior’s log-density integrates to about 1 on a 2-D grid', () => {
    const cells = 240;
    const h = 12 / cells;
    const points: number[] = [];
    for (let i = 0; i < cells; i++) for (let j = 0; j < cells; j++) points.push(-6 + (i + 0.5) * h, -6 + (j + 0.5) * h);
    const grid = tf.tensor2d(points, [cells * cells, 2]);
    for (const prior of PRIOR_KINDS) {
      const vae = buildVAE({ prior, latentSize: 2, inputSize: 6, hidden: [8], components: 4, flowLayers: 2, flowHidden: [8], seed: 10 });
      perturb(vae.prior.trainableVariables, 11, 0.2);
      const mass = tf.tidy(() => tf.sum(tf.exp(vae.prior.logProb(grid))).dataSync()[0]) * h * h;
      expect(Math.abs(mass - 1), prior).toBeLessThan(0.02);
    }
  });

  it('trains with fit (loss goes down) without leaking, and the IWAE chunking does not change the estimate', async () => {
    const vae = buildVAE({ prior: 'flow', latentSize: 2, inputSize: 16, hidden: [32], flowLayers: 2, flowHidden: [16], seed: 12 });
    const x = randomBinary(256, 16, 13);
    const random = new Random(14);
    const before = tf.tidy(() => -tf.mean(vae.elbo(x, { samples: 20, random: 1 }).elbo).dataSync()[0]);
    await fit(vae, x, { epochs: 1, batchSize: 64, loss: (m: VAE, batch) => m.loss(batch.x as tf.Tensor2D, random), random: 2 });
    const tensors = tf.memory().numTensors;
    const result = await fit(vae, x, {
      epochs: 20,
      batchSize: 64,
      learningRate: 3e-3,
      loss: (m: VAE, batch) => m.loss(batch.x as tf.Tensor2D, random),
      random: 3,
    });
    result.optimizer.dispose();
    expect(tf.memory().numTensors).toBe(tensors);
    const after = tf.tidy(() => -tf.mean(vae.elbo(x, { samples: 20, random: 1 }).elbo).dataSync()[0]);
    expect(after).toBeLessThan(before - 0.5);
    const a = vae.importanceWeightedLogLikelihood(tf.slice(x, [0, 0], [8, 16]), 40, { random: 5, chunk: 40 }).dataSync();
    const b = vae.importanceWeightedLogLikelihood(tf.slice(x, [0, 0], [8, 16]), 40, { random: 5, chunk: 7 }).dataSync();
    // Noise is drawn sample by sample, so chunks of 7 see the same draws as one chunk of 40.
    Array.from(a).forEach((v, i) => expect(Math.abs(v - b[i])).toBeLessThan(1e-4));
  });
});
