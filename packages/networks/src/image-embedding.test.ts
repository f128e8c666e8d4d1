import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { conditionerFromJSON, conditionerToJSON } from './conditioner-registry.js';
import { embeddingContextShape } from './context-embedding.js';
import { MLP } from './conditioner.js';
import { ImageEmbedding } from './image-embedding.js';
import { registerBuiltinConditioners } from './register-builtins.js';

registerBuiltinConditioners();

describe('ImageEmbedding', () => {
  it('maps [N, H, W, C] and the same rows flattened to one vector per image, every weight in use', () => {
    const net = new ImageEmbedding({ imageShape: [4, 6, 2], outputSize: 3, channels: [4, 5], pool: 2, hidden: [8], seed: 1 });
    expect(net.inputSize).toBe(48);
    expect(embeddingContextShape(net)).toEqual([4, 6, 2]);
    const images = tf.randomNormal([3, 4, 6, 2], 0, 1, 'float32', 2) as tf.Tensor4D;
    const shaped = net.apply(images);
    expect(shaped.shape).toEqual([3, 3]);
    expect(net.apply(tf.reshape(images, [3, 48]) as tf.Tensor2D).arraySync()).toEqual(shaped.arraySync());
    const grads = tf.variableGrads(() => tf.sum(tf.square(net.apply(images))) as tf.Scalar, net.trainableVariables);
    for (const variable of net.trainableVariables) expect(tf.any(tf.notEqual(grads.grads[variable.name], 0)).dataSync()[0], variable.name).toBe(1);
    tf.dispose([images, shaped, ...Object.values(grads.grads), grads.value]);
    net.dispose();
  });

  it('saves its options, and refuses a pool that does not divide the image', () => {
    const net = new ImageEmbedding({ imageShape: [4, 4, 1], outputSize: 2, seed: 3 });
    const rebuilt = conditionerFromJSON(JSON.parse(JSON.stringify(conditionerToJSON(net))));
    expect(rebuilt.getConfig()).toEqual(net.getConfig());
    expect(() => new ImageEmbedding({ imageShape: [5, 4, 1], outputSize: 2, pool: 2 })).toThrow(/pool 2 must divide/);
    expect(embeddingContextShape(new MLP({ inputSize: 3, outputSize: 2, hidden: [] }))).toEqual([3]);
    net.dispose();
    rebuilt.dispose();
  });
});
