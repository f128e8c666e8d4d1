import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Module } from './module.js';
import { newVariable } from './weights.js';

type ScaleConfig = { size: number };

class Scale extends Module<ScaleConfig> {
  static override readonly className: string = 'TestScale';
  readonly weight: tf.Variable;
  constructor(readonly size: number) {
    super();
    this.weight = newVariable(() => tf.ones([size]));
  }
  override get trainableVariables(): tf.Variable[] {
    return [this.weight];
  }
  getConfig(): ScaleConfig {
    return { size: this.size };
  }
}

class WiderScale extends Scale {
  static override readonly className: string = 'TestWiderScale';
}

describe('Module', () => {
  it('reads the class name from the static className, subclasses included', () => {
    const scale = new Scale(2);
    const wider = new WiderScale(3);
    expect(scale.className).toBe('TestScale');
    expect(wider.className).toBe('TestWiderScale');
    expect(wider.toJSON()).toEqual({ className: 'TestWiderScale', config: { size: 3 } });
    scale.dispose();
    wider.dispose();
  });

  it('lists its variables, reports disposal and frees every variable once', () => {
    const before = tf.memory().numTensors;
    const scale = new Scale(4);
    expect(scale.variables).toEqual([scale.weight]);
    expect(scale.isDisposed).toBe(false);
    scale.dispose();
    expect(scale.isDisposed).toBe(true);
    expect(() => scale.dispose()).not.toThrow();
    expect(tf.memory().numTensors).toBe(before);
  });
});
