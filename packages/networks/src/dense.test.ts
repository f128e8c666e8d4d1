import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { MLP } from './conditioner.js';
import { dense, denseRelu } from './dense.js';

describe('dense with its own gradient', () => {
  it('matches tf.matMul + bias and its autodiff gradients', () => {
    const x = tf.randomNormal([5, 7], 0, 1, 'float32', 1) as tf.Tensor2D;
    const w = tf.variable(tf.randomNormal([7, 3], 0, 1, 'float32', 2)) as tf.Variable<tf.Rank.R2>;
    const b = tf.variable(tf.randomNormal([3], 0, 1, 'float32', 3)) as tf.Variable<tf.Rank.R1>;
    const upstream = tf.randomNormal([5, 3], 0, 1, 'float32', 4);
    const lossOwn = (input: tf.Tensor2D) => tf.sum(tf.mul(tf.tanh(dense(input, w, b)), upstream)) as tf.Scalar;
    const lossStock = (input: tf.Tensor2D) => tf.sum(tf.mul(tf.tanh(tf.add(tf.matMul(input, w), b)), upstream)) as tf.Scalar;
    const own = tf.variableGrads(() => lossOwn(x), [w, b]);
    const stock = tf.variableGrads(() => lossStock(x), [w, b]);
    const close = (a: tf.Tensor, c: tf.Tensor) => tf.max(tf.abs(tf.sub(a, c))).dataSync()[0];
    expect(close(own.value, stock.value)).toBeLessThan(1e-5);
    expect(close(own.grads[w.name], stock.grads[w.name])).toBeLessThan(1e-5);
    expect(close(own.grads[b.name], stock.grads[b.name])).toBeLessThan(1e-5);
    const dxOwn = tf.grad(lossOwn as (t: tf.Tensor) => tf.Tensor)(x);
    const dxStock = tf.grad(lossStock as (t: tf.Tensor) => tf.Tensor)(x);
    expect(close(dxOwn, dxStock)).toBeLessThan(1e-5);
  });

  it('denseRelu matches relu(x W + b) and its autodiff gradients', () => {
    const x = tf.randomNormal([6, 4], 0, 1, 'float32', 5) as tf.Tensor2D;
    const w = tf.variable(tf.randomNormal([4, 5], 0, 1, 'float32', 6)) as tf.Variable<tf.Rank.R2>;
    const b = tf.variable(tf.randomNormal([5], 0, 1, 'float32', 7)) as tf.Variable<tf.Rank.R1>;
    const upstream = tf.randomNormal([6, 5], 0, 1, 'float32', 8);
    const own = tf.variableGrads(() => tf.sum(tf.mul(denseRelu(x, w, b), upstream)) as tf.Scalar, [w, b]);
    const stock = tf.variableGrads(() => tf.sum(tf.mul(tf.relu(tf.add(tf.matMul(x, w), b)), upstream)) as tf.Scalar, [w, b]);
    const close = (a: tf.Tensor, c: tf.Tensor) => tf.max(tf.abs(tf.sub(a, c))).dataSync()[0];
    expect(close(own.value, stock.value)).toBeLessThan(1e-5);
    expect(close(own.grads[w.name], stock.grads[w.name])).toBeLessThan(1e-5);
    expect(close(own.grads[b.name], stock.grads[b.name])).toBeLessThan(1e-5);
    const dxOwn = tf.grad(((input: tf.Tensor2D) => tf.sum(tf.mul(denseRelu(input, w, b), upstream))) as (t: tf.Tensor) => tf.Tensor)(x);
    const dxStock = tf.grad(((input: tf.Tensor2D) => tf.sum(tf.mul(tf.relu(tf.add(tf.matMul(input, w), b)), upstream))) as (t: tf.Tensor) => tf.Tensor)(x);
    expect(close(dxOwn, dxStock)).toBeLessThan(1e-5);
  });

  it('MLP: zero last layer outputs zeros; config rebuilds the same initial weights', () => {
    const mlp = new MLP({ inputSize: 4, outputSize: 2, hidden: [8, 8], seed: 3 });
    const out = mlp.apply(tf.randomNormal([3, 4]) as tf.Tensor2D);
    expect(tf.max(tf.abs(out)).dataSync()[0]).toBe(0);
    const copy = MLP.fromConfig(mlp.getConfig());
    expect(Array.from(copy.weights[0].dataSync())).toEqual(Array.from(mlp.weights[0].dataSync()));
    expect(() => new MLP({ inputSize: 4, outputSize: 2, hidden: [0] })).toThrow(/hidden\[0\]/);
    expect(() => new MLP({ inputSize: 4, outputSize: 2, hidden: [3], activation: 'gelu' as never })).toThrow(/unknown activation 'gelu'/);
  });
});
