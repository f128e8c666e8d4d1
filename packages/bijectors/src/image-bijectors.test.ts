import * as tf from '@tensorflow/tfjs-core';
import { bijectorFromJSON } from '@flows/core';
import { ConvNet } from '@flows/networks';
import { describe, expect, it } from 'vitest';
import { ActNorm } from './act-norm.js';
import { BatchNorm } from './batch-norm.js';
import { InvertibleConv1x1 } from './invertible-conv-1x1.js';
import { MaskedAffineCoupling } from './masked-affine-coupling.js';
import { channelMask } from './masks.js';
import { Squeeze } from './squeeze.js';

// Image-shaped events [N, H, W, C] go through the same kit as vectors.

describe('image structure', () => {
  it("the course notes' Glow example: 3 channels, 32 × 32, U diagonal (2, 0.5, 0.8) gives log|det| = 1024 log 0.8 = −228.5", () => {
    const conv = new InvertibleConv1x1({ shape: [32, 32, 3], seed: 1 });
    conv.linear.logScale.assign(tf.log(tf.tensor1d([2, 0.5, 0.8])));
    conv.linear.upper.assign(tf.randomNormal([3, 3], 0, 1, 'float32', 2)); // off-diagonal U and L do not change the determinant
    conv.linear.lower.assign(tf.randomNormal([3, 3], 0, 1, 'float32', 3));
    const [, logDet] = conv.inverseAndLogDet(tf.randomNormal([2, 32, 32, 3], 0, 1, 'float32', 4));
    const values = logDet.dataSync();
    expect(values[0]).toBeCloseTo(1024 * Math.log(0.8), 3);
    expect(values[1]).toBeCloseTo(-228.5, 1);
  });

  it('Squeeze moves each 2 × 2 block of a pixel grid into the channels of one pixel', () => {
    const squeeze = new Squeeze({ shape: [2, 4, 1] });
    const image = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8], [1, 2, 4, 1]);
    const z = squeeze.inverse(image);
    expect(z.shape).toEqual([1, 1, 2, 4]);
    expect(Array.from(z.dataSync())).toEqual([1, 2, 5, 6, 3, 4, 7, 8]);
    expect(() => squeeze.inverse(tf.zeros([1, 1, 2, 4]))).toThrow(/Squeeze\.inverse.*\[2, 4, 1\]/);
    expect(() => new Squeeze({ shape: [3, 4, 1] })).toThrow(/even/);
  });

  it('BatchNorm in training mode uses the batch statistics in its log-det and updates the running averages', () => {
    const norm = new BatchNorm({ size: 2, momentum: 0.5 });
    norm.logScale.assign(tf.tensor1d([0.3, -0.1]));
    const y = tf.tensor2d([
      [1, 10],
      [3, 14],
      [5, 18],
    ]);
    const [z, logDet] = norm.inverseAndLogDet(y);
    // Batch mean (3, 14), biased variance (8/3, 32/3).
    const eps = 1e-5;
    const expected = 0.3 - 0.5 * Math.log(8 / 3 + eps) + (-0.1 - 0.5 * Math.log(32 / 3 + eps));
    logDet.dataSync().forEach((v) => expect(v).toBeCloseTo(expected, 5));
    const zs = z.dataSync();
    expect(zs[0]).toBeCloseTo(((1 - 3) / Math.sqrt(8 / 3 + eps)) * Math.exp(0.3), 4);
    expect(Array.from(norm.runningMean.dataSync())).toEqual([1.5, 7]);
    const variance = norm.runningVariance.dataSync();
    expect(variance[0]).toBeCloseTo(0.5 + (0.5 * 8) / 3, 5);
    // Evaluation mode: a fixed map, the running statistics untouched.
    norm.training = false;
    norm.inverse(y);
    expect(Array.from(norm.runningMean.dataSync())).toEqual([1.5, 7]);
    const copy = bijectorFromJSON(norm.toJSON()) as BatchNorm;
    expect(copy.momentum).toBe(0.5);
  });

  it('ActNorm refuses to start from NaN or infinite data, sets nothing, and starts from the next valid batch', () => {
    const norm = new ActNorm({ shape: [2, 2, 1] });
    const bad = tf.tensor4d([1, 2, Number.NaN, 4, 5, 6, 7, 8], [2, 2, 2, 1]);
    const good = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 2, 1]);
    // The public inverse refuses NaN input itself; inside a flow (the unchecked path) the start must.
    expect(() => norm.inverseAndLogDet(bad)).toThrow(/input contains NaN/);
    expect(() => tf.tidy(() => norm.uncheckedInverseAndLogDet(bad))).toThrow(/ActNorm: its data-dependent start needs finite values.*nothing was set/);
    expect(norm.isInitialized).toBe(false);
    const [z, logDet] = norm.inverseAndLogDet(good);
    expect(norm.isInitialized).toBe(true);
    expect(Array.from(z.dataSync()).every(Number.isFinite) && Number.isFinite(logDet.dataSync()[0])).toBe(true);
    expect(norm.bias.dataSync()[0]).toBeCloseTo(4.5, 5);
    tf.dispose([bad, good, z, logDet]);
    norm.dispose();
  });

  it('ActNorm on images normalises each channel over the batch and the pixels', () => {
    const norm = new ActNorm({ shape: [4, 4, 2] });
    const data = tf.add(tf.mul(tf.randomNormal([64, 4, 4, 2], 0, 1, 'float32', 5), tf.tensor1d([3, 0.2])), tf.tensor1d([1, -5]));
    const [z, logDet] = norm.inverseAndLogDet(data);
    const { mean, variance } = tf.moments(z, [0, 1, 2]);
    mean.dataSync().forEach((m) => expect(Math.abs(m)).toBeLessThan(1e-4));
    variance.dataSync().forEach((v) => expect(v).toBeCloseTo(1, 3));
    const logScale = norm.logScale.dataSync();
    expect(logDet.dataSync()[0]).toBeCloseTo(-16 * (logScale[0] + logScale[1]), 3);
  });

  it('image couplings reject conditioners of the wrong kind or size with a clear error', () => {
    expect(() => new MaskedAffineCoupling({ mask: [1, 0], scale: new ConvNet({ inputChannels: 1, outputChannels: 1 }) })).toThrow(
      /takes images but the events are vectors/,
    );
    expect(
      () => new MaskedAffineCoupling({ mask: channelMask(2, 2, 2), eventShape: [2, 2, 2], scale: new ConvNet({ inputChannels: 3, outputChannels: 2 }) }),
    ).toThrow(/must map 2 → 2 channels, got 3 → 2/);
    expect(() => new MaskedAffineCoupling({ mask: [1, 0, 1], eventShape: [2, 2, 1] })).toThrow(/has 4 coordinates but the mask has 3/);
  });
});

describe('ConvNet', () => {
  it("computes tf.conv2d(x, filter, 1, 'same') with bias and ReLU, through patches and dense layers", () => {
    const net = new ConvNet({ inputChannels: 2, outputChannels: 3, hidden: [4], kernelSize: 3, zeroInitLast: false, seed: 3 });
    const x = tf.randomNormal([2, 5, 4, 2], 0, 1, 'float32', 1) as tf.Tensor4D;
    tf.tidy(() => net.biases.forEach((b, i) => b.assign(tf.randomNormal(b.shape, 0, 0.5, 'float32', 10 + i))));
    const expected = tf.tidy(() => {
      const h = tf.relu(tf.add(tf.conv2d(x, net.filters[0] as tf.Tensor4D, 1, 'same'), net.biases[0]));
      return tf.add(tf.conv2d(h as tf.Tensor4D, net.filters[1] as tf.Tensor4D, 1, 'same'), net.biases[1]);
    });
    const actual = net.apply(x);
    expect(actual.shape).toEqual([2, 5, 4, 3]);
    const error = tf.tidy(() => tf.max(tf.abs(tf.sub(actual, expected))).dataSync()[0]);
    expect(error).toBeLessThan(1e-5);
    // Its own gradients equal TensorFlow.js autodiff of the plain convolutions.
    const weights = tf.randomNormal([2, 5, 4, 3], 0, 1, 'float32', 5);
    const ownLoss = () => tf.sum(tf.mul(net.apply(x), weights)) as tf.Scalar;
    const plainLoss = () =>
      tf.sum(
        tf.mul(
          tf.add(
            tf.conv2d(
              tf.relu(tf.add(tf.conv2d(x, net.filters[0] as tf.Tensor4D, 1, 'same'), net.biases[0])) as tf.Tensor4D,
              net.filters[1] as tf.Tensor4D,
              1,
              'same',
            ),
            net.biases[1],
          ),
          weights,
        ),
      ) as tf.Scalar;
    const own = tf.variableGrads(ownLoss, net.trainableVariables).grads;
    const plain = tf.variableGrads(plainLoss, net.trainableVariables).grads;
    for (const v of net.trainableVariables) {
      const gap = tf.tidy(() => tf.max(tf.abs(tf.sub(own[v.name], plain[v.name]))).dataSync()[0]);
      expect(gap).toBeLessThan(1e-4);
    }
    const dxOwn = tf.grad((input: tf.Tensor) => tf.sum(tf.mul(net.apply(input as tf.Tensor4D), weights)))(x);
    expect(dxOwn.shape).toEqual(x.shape);
  });
});
