import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { conditionerFromJSON, conditionerToJSON } from './conditioner-registry.js';
import { GatedResidualConvNet } from './gated-residual-conv-net.js';
import { registerBuiltinConditioners } from './register-builtins.js';

registerBuiltinConditioners();

/** Every variable of the network drawn anew (the last filter is zero when fresh). */
function randomized(net: GatedResidualConvNet, seed: number): GatedResidualConvNet {
  net.trainableVariables.forEach((variable, i) => tf.tidy(() => variable.assign(tf.randomUniform(variable.shape, -0.4, 0.4, 'float32', seed + i))));
  return net;
}

/** The formula of the class written out with stock tfjs operations. */
function reference(net: GatedResidualConvNet, x: tf.Tensor4D): tf.Tensor4D {
  const conv = (i: number, h: tf.Tensor4D) => tf.add(tf.conv2d(h, net.filters[i] as tf.Tensor4D, 1, 'same'), net.biases[i]) as tf.Tensor4D;
  const concatElu = (h: tf.Tensor4D) => tf.concat([tf.elu(h), tf.elu(tf.neg(h))], 3) as tf.Tensor4D;
  let h = conv(0, x);
  for (let b = 0; b < net.blocks; b++) {
    const a = conv(1 + 2 * b, concatElu(h));
    const g = conv(2 + 2 * b, concatElu(a));
    const c = net.channels;
    const value = tf.slice(g, [0, 0, 0, 0], [-1, -1, -1, c]);
    const gate = tf.slice(g, [0, 0, 0, c], [-1, -1, -1, c]);
    h = tf.add(h, tf.mul(value, tf.div(1, tf.add(1, tf.exp(tf.neg(gate))))));
  }
  return conv(net.filters.length - 1, concatElu(h));
}

describe('GatedResidualConvNet', () => {
  it('computes h₀ = conv(x), h ← h + g₁ ⊙ σ(g₂) per block, out = conv(concatElu(h)), as the formula written out', () => {
    for (const blocks of [0, 1, 3]) {
      const net = randomized(new GatedResidualConvNet({ inputChannels: 3, outputChannels: 4, channels: 5, blocks, seed: 2 }), 10 * blocks);
      expect(net.filters.length).toBe(2 + 2 * blocks);
      tf.tidy(() => {
        const x = tf.randomNormal([2, 4, 5, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
        const out = net.apply(x);
        expect(out.shape).toEqual([2, 4, 5, 4]);
        const expected = reference(net, x);
        expect(tf.max(tf.abs(tf.sub(out, expected))).dataSync()[0], `${blocks} blocks`).toBeLessThan(1e-4);
      });
      net.dispose();
    }
  });

  it('starts at zero (its coupling starts as the identity), and every weight gets a gradient once the last is not zero', () => {
    const net = new GatedResidualConvNet({ inputChannels: 2, outputChannels: 2, channels: 4, blocks: 2, seed: 5 });
    const x = tf.randomNormal([3, 4, 4, 2], 0, 1, 'float32', 6) as tf.Tensor4D;
    expect(tf.tidy(() => tf.max(tf.abs(net.apply(x))).dataSync()[0])).toBe(0);
    randomized(net, 20);
    const before = tf.memory().numTensors;
    const grads = tf.variableGrads(() => tf.sum(tf.square(net.apply(x))) as tf.Scalar, net.trainableVariables);
    tf.tidy(() => {
      for (const variable of net.trainableVariables) expect(tf.any(tf.notEqual(grads.grads[variable.name], 0)).dataSync()[0], variable.name).toBe(1);
    });
    tf.dispose([...Object.values(grads.grads), grads.value]);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    net.dispose();
  });

  it('has the gradient of the formula (autodiff through the stock operations)', () => {
    const net = randomized(new GatedResidualConvNet({ inputChannels: 1, outputChannels: 2, channels: 3, blocks: 1, seed: 8 }), 40);
    const x = tf.randomNormal([2, 3, 3, 1], 0, 1, 'float32', 9) as tf.Tensor4D;
    const weights = tf.randomNormal([2, 3, 3, 2], 0, 1, 'float32', 10);
    const ours = tf.variableGrads(() => tf.sum(tf.mul(net.apply(x), weights)) as tf.Scalar, net.trainableVariables);
    const theirs = tf.variableGrads(() => tf.sum(tf.mul(reference(net, x), weights)) as tf.Scalar, net.trainableVariables);
    for (const variable of net.trainableVariables) {
      const scale = tf.max(tf.abs(theirs.grads[variable.name])).dataSync()[0];
      const difference = tf.max(tf.abs(tf.sub(ours.grads[variable.name], theirs.grads[variable.name]))).dataSync()[0];
      expect(difference, variable.name).toBeLessThan(1e-4 * Math.max(1, scale));
    }
    tf.dispose([x, weights, ours.value, theirs.value, ...Object.values(ours.grads), ...Object.values(theirs.grads)]);
    net.dispose();
  });

  it('saves its options and is rebuilt by the registry; refuses bad options by name', () => {
    const net = new GatedResidualConvNet({ inputChannels: 2, outputChannels: 4, channels: 8, blocks: 1, kernelSize: 5, seed: 3 });
    const rebuilt = conditionerFromJSON(JSON.parse(JSON.stringify(conditionerToJSON(net))));
    expect(rebuilt).toBeInstanceOf(GatedResidualConvNet);
    expect(rebuilt.getConfig()).toEqual(net.getConfig());
    expect(() => new GatedResidualConvNet({ inputChannels: 2, outputChannels: 2, kernelSize: 2 })).toThrow(/kernelSize must be odd/);
    expect(() => new GatedResidualConvNet({ inputChannels: 2, outputChannels: 2, blocks: -1 })).toThrow(/blocks/);
    expect(() => new GatedResidualConvNet({ inputChannels: 2, outputChannels: 2, width: 3 } as never)).toThrow(/width/);
    const images = tf.zeros([1, 5, 5, 3]) as tf.Tensor4D;
    const flat = tf.zeros([1, 50]);
    expect(() => net.apply(images)).toThrow(/GatedResidualConvNet.apply: expected images \[N, H, W, 2\], got a tensor of shape \[1, 5, 5, 3\]/);
    expect(() => net.apply(flat as tf.Tensor4D)).toThrow(/expected images \[N, H, W, 2\], got a tensor of shape \[1, 50\]/);
    tf.dispose([images, flat]);
    net.dispose();
    rebuilt.dispose();
  });
});
