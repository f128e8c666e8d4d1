import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';
import { tensorsInMainMemory, tensorsReferenceTheirValues } from './backend-traits.js';

describe('backend traits', () => {
  it('the cpu backend keeps tensors in main memory and may keep a reference to the values a tensor is made from', async () => {
    await tf.setBackend('cpu');
    expect(tensorsInMainMemory()).toBe(true);
    expect(tensorsReferenceTheirValues()).toBe(true);
    // What the trait warns about: a reused buffer shows through the tensor made from it.
    const values = new Float32Array([1, 2]);
    const tensor = tf.tensor(values);
    values[0] = 5;
    expect(tensor.dataSync()[0]).toBe(5);
    tensor.dispose();
  });
});
