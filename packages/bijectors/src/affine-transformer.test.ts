import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { AffineTransformer } from './transformer.js';
import { transformerFromJSON, transformerToJSON } from './transformer-registry.js';

const softplus = (x: number) => Math.log1p(Math.exp(x));
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** One coordinate's forward value and log-derivative for shift m and raw scale r at u. */
function forwardAt(transformer: AffineTransformer, u: number, m: number, r: number): [number, number] {
  const [v, logDerivative] = transformer.forward(tf.tensor2d([[u]]), tf.tensor3d([[[m, r]]]));
  return [v.dataSync()[0], logDerivative.dataSync()[0]];
}

describe('AffineTransformer scales', () => {
  const u = 0.7;
  const m = -0.3;
  const raws = [-3, -0.4, 0, 1.1, 6];

  it('exp with the tanh bound (the default) and with the rational clamp', () => {
    for (const r of raws) {
      const tanhLog = 5 * Math.tanh(r / 5);
      expect(forwardAt(new AffineTransformer(), u, m, r)[1]).toBeCloseTo(tanhLog, 5);
      const rational = r / (1 + Math.abs(r) / 6.907755);
      const [v, log] = forwardAt(new AffineTransformer({ logScaleClamp: 'rational', logScaleBound: 6.907755 }), u, m, r);
      expect(log).toBeCloseTo(rational, 5);
      expect(v).toBeCloseTo(u * Math.exp(rational) + m, 5);
    }
  });

  it('softplus and sigmoid: σ from the raw value plus ε, log g′ = log σ, and the inverse undoes the forward', () => {
    for (const r of raws) {
      const soft = new AffineTransformer({ scale: 'softplus' });
      const [v, log] = forwardAt(soft, u, m, r);
      expect(log).toBeCloseTo(Math.log(softplus(r) + 1e-3), 5);
      expect(v).toBeCloseTo(u * (softplus(r) + 1e-3) + m, 5);
      const gate = new AffineTransformer({ scale: 'sigmoid', scaleEpsilon: 0 });
      const [w, gateLog] = forwardAt(gate, u, m, r);
      expect(gateLog).toBeCloseTo(Math.log(sigmoid(r + 2)), 5);
      const [back, backLog] = gate.inverse(tf.tensor2d([[w]]), tf.tensor3d([[[m, r]]]));
      expect(back.dataSync()[0]).toBeCloseTo(u, 5);
      expect(backLog.dataSync()[0]).toBeCloseTo(-gateLog, 5);
    }
  });

  it('saves only settings that differ from the defaults, and rebuilds them', () => {
    expect(new AffineTransformer().getConfig()).toEqual({ logScaleBound: 5 });
    const soft = new AffineTransformer({ scale: 'softplus' });
    expect(soft.getConfig()).toEqual({ logScaleBound: null, scale: 'softplus', scaleEpsilon: 1e-3 });
    expect(transformerFromJSON(transformerToJSON(soft)).getConfig()).toEqual(soft.getConfig());
    const clamp = new AffineTransformer({ logScaleClamp: 'rational', logScaleBound: 3 });
    expect(transformerFromJSON(transformerToJSON(clamp)).getConfig()).toEqual({ logScaleBound: 3, logScaleClamp: 'rational' });
  });

  it('refuses a bound with a non-exponential scale, and unknown scales', () => {
    expect(() => new AffineTransformer({ scale: 'sigmoid', logScaleBound: 5 })).toThrow(/logScaleBound applies to scale 'exp' only/);
    expect(() => new AffineTransformer({ scale: 'cube' as never })).toThrow(/scale must be one of exp, softplus, sigmoid/);
    expect(() => new AffineTransformer({ scaleEpsilon: -1 })).toThrow(/scaleEpsilon must be a non-negative number/);
  });
});
