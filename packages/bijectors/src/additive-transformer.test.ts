import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { AdditiveTransformer } from './additive-transformer.js';
import { transformerFromJSON, transformerToJSON } from './transformer-registry.js';

describe('AdditiveTransformer', () => {
  it('shifts by its one parameter with log-derivative 0 both ways, and reloads from its saved form', () => {
    const transformer = new AdditiveTransformer();
    expect(transformer.parameterCount).toBe(1);
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const u = tf.tensor2d([[0.5, -2]]);
      const shift = tf.tensor3d([[[1.5], [0.25]]]);
      const [v, forwardLog] = transformer.forward(u, shift);
      expect(Array.from(v.dataSync())).toEqual([2, -1.75]);
      expect(Array.from(forwardLog.dataSync())).toEqual([0, 0]);
      const [back, inverseLog] = transformer.inverse(v, shift);
      expect(Array.from(back.dataSync())).toEqual([0.5, -2]);
      expect(Array.from(inverseLog.dataSync())).toEqual([0, 0]);
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(transformerFromJSON(transformerToJSON(transformer))).toBeInstanceOf(AdditiveTransformer);
  });
});
