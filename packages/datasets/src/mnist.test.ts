import * as tf from '@tensorflow/tfjs-core';
import { Random } from '@flows/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { binWidth, imageBatches, loadMnist, type MnistSplit } from './index.js';

describe('embedded MNIST', () => {
  let train: MnistSplit;
  let test: MnistSplit;
  beforeAll(async () => {
    [train, test] = await Promise.all([loadMnist('train'), loadMnist('test')]);
  });

  it('has 60 000 / 10 000 images of 28 x 28, labels 0-9, train mean intensity ≈ 0.1307', () => {
    expect([train.count, train.rows, train.cols]).toEqual([60_000, 28, 28]);
    expect([test.count, test.rows, test.cols]).toEqual([10_000, 28, 28]);
    expect(new Set(train.labels).size).toBe(10);
    let sum = 0;
    for (const v of train.images) sum += v;
    expect(sum / train.images.length / 255).toBeCloseTo(0.1307, 4);
  });

  it('imageBatches and loadMnist reject options they do not know', async () => {
    expect(() => imageBatches(test, { batchSize: 8, view: { kind: 'scaled' }, suffle: false } as never).next()).toThrow(
      /imageBatches: unknown option 'suffle' \(did you mean 'shuffle'\?\)/,
    );
    await expect(loadMnist('test', { directory: 'x' } as never)).rejects.toThrow(/loadMnist: unknown option 'directory'/);
  });

  it('dequantized pixels stay inside their bin in float32 even for the largest uniform draw: floor(255x) = v, x < 256/255', () => {
    // u = 1 − 2⁻³² (the largest draw): (v + u)/255 in float32 rounds up to (v + 1)/255 unless kept in the bin.
    class LargestDraw extends Random {
      override uniform(): number {
        return 1 - 2 ** -32;
      }
    }
    class SmallestDraw extends Random {
      override uniform(): number {
        return 0;
      }
    }
    const images = Uint8Array.from({ length: 256 }, (_, v) => v);
    const data = { images, labels: new Uint8Array(1), count: 1, rows: 16, cols: 16 };
    for (const random of [new LargestDraw(0), new SmallestDraw(0)]) {
      const batches = imageBatches(data, { batchSize: 1, view: { kind: 'dequantized' }, shuffle: false, random });
      const values = batches.next().value!.x.dataSync();
      for (let v = 0; v < 256; v++) {
        expect(Math.floor(255 * values[v])).toBe(v);
        expect(values[v]).toBeLessThan(256 / 255);
      }
      batches.return(undefined);
    }
  });

  it('dequantized, binarized and logit views have the documented ranges and log-dets', () => {
    const first = <T>(it: Generator<T>) => it.next().value as T;
    const dequantized = imageBatches(test, { batchSize: 64, view: { kind: 'dequantized' }, shuffle: false });
    const batch = first(dequantized);
    const values = batch.x.dataSync();
    let min = Infinity;
    let max = -Infinity;
    for (const v of values) {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThan(256 / 255);
    // value/255 <= x < (value + 1)/255 for every pixel.
    for (let j = 0; j < 784; j++) {
      const v = test.images[j];
      expect(values[j]).toBeGreaterThanOrEqual(v / 255 - 1e-6);
      expect(values[j]).toBeLessThan((v + 1) / 255 + 1e-6);
    }
    dequantized.return(undefined);
    const binarized = first(imageBatches(test, { batchSize: 8, view: { kind: 'binarized' }, shuffle: false, shape: 'image' }));
    expect(binarized.x.shape).toEqual([8, 28, 28, 1]);
    expect(new Set(binarized.x.dataSync())).toEqual(new Set([0, 1]));
    const alpha = 0.05;
    const logit = first(imageBatches(test, { batchSize: 4, view: { kind: 'logit', alpha }, shuffle: false, noise: 'fixed' }));
    const y = logit.x.dataSync();
    const logDet = logit.logDet.dataSync();
    let expected = 0;
    for (let j = 0; j < 784; j++) {
      const s = 1 / (1 + Math.exp(-y[j]));
      expected += Math.log(1 - 2 * alpha) - Math.log(s * (1 - s));
    }
    expect(logDet[0]).toBeCloseTo(expected, 1);
    expect(binWidth({ kind: 'logit', alpha })).toBe(1 / 256);
  });

  it('fixed noise depends only on the image index; shuffles are seeded; nothing leaks', () => {
    const options = { batchSize: 100, view: { kind: 'dequantized' } as const, noise: 'fixed' as const, noiseSeed: 3, limit: 300 };
    const byIndex = (random: number) => {
      const rows = new Map<number, number>();
      for (const batch of imageBatches(test, { ...options, random })) {
        const values = batch.x.dataSync();
        batch.indices.forEach((index, b) => rows.set(index, values[b * 784 + 200]));
      }
      return rows;
    };
    const a = byIndex(1);
    const b = byIndex(2);
    expect(a.size).toBe(300);
    for (const [index, v] of a) expect(b.get(index)).toBe(v);
    const order = (random: number) => Array.from(imageBatches(test, { ...options, random }).next().value!.indices);
    expect(order(5)).toEqual(order(5));
    expect(order(5)).not.toEqual(order(6));
    const before = tf.memory().numTensors;
    for (const batch of imageBatches(train, { batchSize: 1000, view: { kind: 'dequantized' }, limit: 5000 })) expect(batch.x.shape[0]).toBe(1000);
    expect(tf.memory().numTensors).toBe(before);
  });
});
