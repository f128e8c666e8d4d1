import * as tf from '@tensorflow/tfjs-core';
import { Random } from '@flows/core';
import { DiagonalNormal } from '@flows/distributions';
import { describe, expect, it } from 'vitest';
import { realNVP } from '@flows/builders';
import { DivergenceError, fit, meanNegativeLogLikelihood, NonFiniteLossError, type SettingNames, tensorData } from '@flows/training';

/** A correlated Gaussian in 2-D, whose entropy is known: target for small fits. */
function correlatedData(n: number, seed: number): tf.Tensor2D {
  const random = new Random(seed);
  const values = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    const a = random.normal();
    const b = random.normal();
    values[2 * i] = 1 + a;
    values[2 * i + 1] = -1 + 0.9 * a + 0.3 * b;
  }
  return tf.tensor2d(values, [n, 2]);
}

describe('fit', () => {
  it('decreases the loss on a tiny problem, reports progress, and leaks nothing across steps', async () => {
    const model = realNVP({ size: 2, layers: 4, hidden: [16], seed: 1 });
    const data = correlatedData(2000, 2);
    const initial = meanNegativeLogLikelihood(model, data);
    const progress: number[] = [];
    await fit(model, data, { epochs: 1, batchSize: 100, learningRate: 1e-2, reportEvery: 5, random: 3 }); // burn-in
    const before = tf.memory().numTensors;
    const result = await fit(model, data, {
      epochs: 4,
      batchSize: 100,
      learningRate: 1e-2,
      reportEvery: 5,
      random: 4,
      onProgress: (p) => progress.push(p.loss),
    });
    result.optimizer.dispose();
    expect(tf.memory().numTensors).toBe(before);
    const final = meanNegativeLogLikelihood(model, data);
    // Entropy of this Gaussian: log(2πe) + 0.5 log det Σ = 2.8379 + 0.5 log(0.09) = 1.634.
    expect(final).toBeLessThan(initial - 0.5);
    expect(final).toBeLessThan(1.9);
    expect(progress.length).toBe(80 / 5);
    expect(result.steps).toBe(80);
    data.dispose();
  });

  it('is reproducible for a seed', async () => {
    const run = async () => {
      const model = realNVP({ size: 2, layers: 2, hidden: [8], seed: 5 });
      const data = correlatedData(500, 6);
      const result = await fit(model, data, { epochs: 2, batchSize: 50, random: 7, reportEvery: 10 });
      data.dispose();
      return result.history.map((h) => h.loss);
    };
    expect(await run()).toEqual(await run());
  });

  it('restores the last good weights and throws on a NaN loss', async () => {
    const model = new DiagonalNormal({ eventShape: 2 });
    const data = correlatedData(400, 8);
    let calls = 0;
    const poisoned = (m: typeof model, batch: { x: tf.Tensor }) => {
      calls += 1;
      const nll = tf.neg(tf.mean(m.uncheckedLogProb(batch.x)));
      return (calls > 6 ? tf.mul(nll, NaN) : nll) as tf.Scalar;
    };
    let error: unknown;
    try {
      await fit(model, data, { epochs: 3, batchSize: 100, reportEvery: 2, loss: poisoned as never, random: 1 });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(NonFiniteLossError);
    expect((error as NonFiniteLossError).restoredStep).toBe(6);
    expect(tf.all(tf.isFinite(model.mean)).dataSync()[0]).toBe(1);
    expect(tf.all(tf.isFinite(model.logScale)).dataSync()[0]).toBe(1);
    data.dispose();
  });

  it('early stopping with a validation split, cancellation, and clear errors for bad options', async () => {
    const model = realNVP({ size: 2, layers: 2, hidden: [8], seed: 9 });
    const data = correlatedData(600, 10);
    const result = await fit(model, data, { epochs: 50, batchSize: 100, learningRate: 3e-2, validationSplit: 0.2, patience: 2, random: 11 });
    expect(result.validation.length).toBeGreaterThan(0);
    expect(result.stoppedEarly || result.epochs === 50).toBe(true);
    const controller = new AbortController();
    controller.abort();
    const cancelled = await fit(model, data, { epochs: 2, signal: controller.signal });
    expect(cancelled.cancelled).toBe(true);
    await expect(fit(model, data, { epochs: -1 })).rejects.toThrow(/epochs must be a non-negative integer, got -1/);
    await expect(fit(model, data, { batchSize: 0 })).rejects.toThrow(/batchSize/);
    data.dispose();
  });

  it('an option refused after the validation split leaks none of the split rows', async () => {
    const model = realNVP({ size: 2, layers: 2, hidden: [8], seed: 9 });
    const data = correlatedData(200, 12);
    const before = tf.memory().numTensors;
    await expect(fit(model, data, { epochs: 1, validationSplit: 0.2, divergence: -1 })).rejects.toThrow(/divergence must be a positive factor/);
    await expect(fit(model, data, { epochs: 1, validationSplit: 0.2, learningRate: -1 })).rejects.toThrow(/learning ?rate/i);
    expect(tf.memory().numTensors).toBe(before);
    data.dispose();
    model.dispose();
  });
});

describe('fit refuses to pass a failed run off as a result', () => {
  const data = () => tf.randomNormal([600, 2], 0, 1, 'float32', 3);

  it('a diverging run (learning rate 1e4) stops with DivergenceError naming the learning rate, the last good weights restored', async () => {
    const model = realNVP({ size: 2, layers: 2, hidden: [8], seed: 5 });
    const x = data();
    let error: unknown;
    try {
      await fit(model, x, { epochs: 20, batchSize: 60, learningRate: 1e4, reportEvery: 2, random: 1 });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DivergenceError);
    expect((error as Error).message).toMatch(/the run diverged; .* Try a lower learning rate \(this run's peak: 1\.00e\+4\)/);
    // The restored weights give a finite, sane loss, not the diverged one.
    const loss = tf.tidy(() => tf.neg(tf.mean(model.logProb(x))).dataSync()[0]);
    expect(loss).toBeLessThan((error as DivergenceError).loss);
    // A normal run is never stopped: the same model trains at 5e-3.
    const fresh = realNVP({ size: 2, layers: 2, hidden: [8], seed: 5 });
    const ok = await fit(fresh, x, { epochs: 5, batchSize: 60, learningRate: 5e-3, reportEvery: 2, random: 1 });
    expect(Number.isFinite(ok.loss)).toBe(true);
    tf.dispose([x]);
    model.dispose();
    fresh.dispose();
  });

  it('no rows, NaN in validation rows, and a 1e30 row are clear errors that name the problem (and the row)', async () => {
    const model = realNVP({ size: 2, layers: 1, hidden: [4], seed: 1 });
    await expect(fit(model, tf.zeros([0, 2]), { epochs: 1 })).rejects.toThrow(/fit: the training data have no rows/);
    const validation = tf.tensor2d([
      [0, 0],
      [1, 1],
      [Number.NaN, 0],
    ]);
    await expect(fit(model, data(), { epochs: 2, validationData: validation, patience: 1 })).rejects.toThrow(/fit: row 2 of the validation data holds NaN/);
    const rows = data().arraySync() as number[][];
    rows[17] = [1e30, 0];
    const before = tf.memory().numTensors;
    const bad = tf.tensor2d(rows);
    await expect(fit(model, bad, { epochs: 1, validationSplit: 0.1 })).rejects.toThrow(/fit: row 17 of the training data holds 1\.00e\+30, beyond ±1e\+15/);
    bad.dispose();
    expect(tf.memory().numTensors).toBe(before); // nothing left behind by the refused call
    model.dispose();
  });

  it('data of the wrong width or image size is named with both sizes before any step, not as a broadcasting error', async () => {
    const model = realNVP({ size: 784, layers: 1, hidden: [4], seed: 1 });
    const before = tf.memory().numTensors;
    // 14×14 images flattened, against a model of 28×28 images.
    const small = tf.zeros([8, 196]);
    await expect(fit(model, small, { epochs: 1 })).rejects.toThrow("fit: the training data has 196 columns (14×14 images?); the model's event size is 784");
    // The same data through a generator: checked batch by batch, the batch disposed.
    await expect(fit(model, tensorData(small), { epochs: 1, batchSize: 4 })).rejects.toThrow(/the training data has 196 columns \(14×14 images\?\)/);
    const validation = tf.zeros([4, 3]);
    const right = tf.zeros([8, 784]);
    await expect(fit(model, right, { epochs: 1, validationData: validation })).rejects.toThrow(
      "fit: the validation data has 3 columns; the model's event size is 784",
    );
    // Image-shaped rows against a flat model: named as shapes.
    const images = tf.zeros([2, 14, 14, 1]);
    await expect(fit(model, images, { epochs: 1 })).rejects.toThrow(
      "fit: the training data's rows have shape [14, 14, 1], 196 values (14×14 images?); the model's event shape is [784], 784 values",
    );
    const flat = tf.zeros([2, 28, 28]);
    await expect(fit(model, flat, { epochs: 1 })).rejects.toThrow(
      /rows have shape \[28, 28\]; the model's event shape is \[784\]: reshape the data to \[rows, 784\]/,
    );
    tf.dispose([small, validation, right, images, flat]);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it("an app's setting names replace the library's in the advice of fit's errors; settings it does not name are not suggested", async () => {
    const x = data();
    const diverging = async (settingNames?: SettingNames) => {
      const model = realNVP({ size: 2, layers: 2, hidden: [8], seed: 5 });
      const error = await fit(model, x, { epochs: 20, batchSize: 60, learningRate: 1e4, reportEvery: 2, random: 1, settingNames }).catch((e: unknown) => e);
      model.dispose();
      return (error as Error).message;
    };
    expect(await diverging()).toMatch(/Try a lower learning rate \(this run's peak: 1\.00e\+4\), or clipNorm\.$/);
    const named = await diverging({ learningRate: '--lr', clipNorm: '--clip-norm' });
    expect(named).toMatch(/Try a lower learning rate \(--lr; this run's peak: 1\.00e\+4\), or a gradient-norm clip \(--clip-norm\)\.$/);
    expect(await diverging({ learningRate: '--lr' })).toMatch(/Try a lower learning rate \(--lr; this run's peak: 1\.00e\+4\)\.$/);
    const nan = new NonFiniteLossError(7, 6, { learningRate: '--lr', clipNorm: '--clip-norm', scaleTanh: 'leave out --no-tanh' });
    expect(nan.message).toMatch(/Try a lower learning rate \(--lr\), a gradient-norm clip \(--clip-norm\), or tanh-bounded scales \(leave out --no-tanh\)\.$/);
    expect(new NonFiniteLossError(7, 6, { learningRate: '--lr' }).message).not.toMatch(/clipNorm|scaleTanh/);
    expect(new NonFiniteLossError(7, 6).message).toMatch(/Try a lower learning rate, clipNorm, or scaleTanh\.$/);
    x.dispose();
  });
});
