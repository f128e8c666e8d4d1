import * as tf from '@tensorflow/tfjs-core';
import { Module } from '@flows/core';
import { AffineTransformer, type Chain, registerTransformer, type Transformer, type TransformerCoupling } from '@flows/bijectors';
import { checkBijector } from '@flows/bijectors/testing';
import { DiagonalNormal, distributionFromJSON, StandardNormal, type TransformedDistribution } from '@flows/distributions';
import { describe, expect, it } from 'vitest';
import { autoregressiveFlow } from './autoregressive-flow.js';
import { couplingFlow } from './coupling-flow.js';

/** A plugin's transformer, registered by name: `g(u) = u · (1 + softplus(a)) + b`, two parameters. */
class SoftplusAffine extends Module<Record<string, never>> implements Transformer {
  static override readonly className = 'BuilderTestSoftplusAffine';
  readonly parameterCount = 2;
  private parts(parameters: tf.Tensor3D): [tf.Tensor2D, tf.Tensor2D] {
    const [n, d] = parameters.shape;
    const [a, b] = tf.split(parameters, 2, 2).map((t) => tf.reshape(t, [n, d]) as tf.Tensor2D);
    return [tf.add(1, tf.softplus(a)), b];
  }
  forward(u: tf.Tensor2D, parameters: tf.Tensor3D): [tf.Tensor2D, tf.Tensor2D] {
    const [scale, shift] = this.parts(parameters);
    return [tf.add(tf.mul(u, scale), shift), tf.log(scale)];
  }
  inverse(v: tf.Tensor2D, parameters: tf.Tensor3D): [tf.Tensor2D, tf.Tensor2D] {
    const [scale, shift] = this.parts(parameters);
    return [tf.div(tf.sub(v, shift), scale), tf.neg(tf.log(scale))];
  }
  getConfig(): Record<string, never> {
    return {};
  }
  static fromConfig(): SoftplusAffine {
    return new SoftplusAffine();
  }
}
registerTransformer(SoftplusAffine);

/** The class of each layer, and of each layer's transformer where it has one. */
function layerClasses(flow: TransformedDistribution): string[] {
  return (flow.bijector as Chain).bijectors.map((layer) => {
    const transformer = (layer as { transformer?: Transformer }).transformer;
    return transformer ? `${layer.className}(${transformer.className})` : layer.className;
  });
}

/** The flow's log-densities at a few points, and those of its copy through its saved form (they must agree). */
async function densitiesAndCopy(flow: TransformedDistribution): Promise<[number[], number[]]> {
  const x = tf.tensor2d([
    [0.3, -1.2, 0.5],
    [2, 0.1, -0.7],
  ]);
  const copy = distributionFromJSON(flow.toJSON());
  copy.variables.forEach((v, i) => v.assign(flow.variables[i]));
  const values = [Array.from(await flow.logProb(x).data()), Array.from(await copy.logProb(x).data())];
  tf.dispose(x);
  copy.dispose();
  flow.dispose();
  return values as [number[], number[]];
}

describe('couplingFlow', () => {
  it('builds the layer of each transformer: the named ones their own classes, any other the general coupling', async () => {
    const common = { size: 3, layers: 2, hidden: [8], seed: 1 };
    const cases: [Parameters<typeof couplingFlow>[0], string][] = [
      [{ ...common }, 'MaskedAffineCoupling'],
      [{ ...common, transformer: 'additive' }, 'AdditiveCoupling'],
      [{ ...common, transformer: 'spline', bins: 4, bound: 2 }, 'SplineCoupling(RationalQuadraticSpline)'],
      [{ ...common, transformer: 'gated' }, 'TransformerCoupling(GatedTransformer)'],
      [{ ...common, transformer: 'logistic-mixture' }, 'TransformerCoupling(LogisticMixtureTransformer)'],
      [{ ...common, transformer: { className: 'LogisticMixtureTransformer', config: { components: 2 } } }, 'TransformerCoupling(LogisticMixtureTransformer)'],
      [{ ...common, transformer: 'RationalQuadraticSpline' }, 'TransformerCoupling(RationalQuadraticSpline)'],
      [{ ...common, transformer: { className: 'RationalQuadraticSpline', config: { bins: 5 } } }, 'TransformerCoupling(RationalQuadraticSpline)'],
      [{ ...common, transformer: new AffineTransformer({ scale: 'softplus', logScaleBound: null }) }, 'TransformerCoupling(AffineTransformer)'],
      [{ ...common, transformer: 'BuilderTestSoftplusAffine' }, 'TransformerCoupling(BuilderTestSoftplusAffine)'],
    ];
    for (const [options, layer] of cases) {
      const flow = couplingFlow(options);
      expect(flow.base).toBeInstanceOf(StandardNormal);
      expect(layerClasses(flow)).toEqual([layer, layer]);
      const [values, copied] = await densitiesAndCopy(flow);
      values.forEach((v) => expect(Number.isFinite(v)).toBe(true));
      expect(copied).toEqual(values);
    }
    const chosen = couplingFlow({ ...common, transformer: { className: 'RationalQuadraticSpline', config: { bins: 5 } } });
    expect(((chosen.bijector as Chain).bijectors[0] as TransformerCoupling).transformer.getConfig()).toMatchObject({ bins: 5 });
    chosen.dispose();
  });

  it('the general coupling with a plugin transformer passes the conformance kit', () => {
    expect(() =>
      checkBijector(() => couplingFlow({ size: 3, layers: 2, hidden: [6], transformer: 'BuilderTestSoftplusAffine', contextSize: 2, seed: 4 }).bijector),
    ).not.toThrow();
  });

  it('takes a base distribution, whose variables train with the layers; the size comes from it', async () => {
    const base = new DiagonalNormal({ size: 3 });
    const flow = couplingFlow({ base, layers: 2, hidden: [4], seed: 2 });
    expect(flow.base).toBe(base);
    expect(flow.eventShape).toEqual([3]);
    for (const v of base.trainableVariables) expect(flow.trainableVariables).toContain(v);
    flow.dispose();
    expect(base.isDisposed).toBe(true);
  });

  it('refuses a base of another size, an image base or something else, and leaves a refused base as it was given', () => {
    const before = tf.memory().numTensors;
    const base = new DiagonalNormal({ size: 3 });
    expect(() => couplingFlow({ size: 2, base })).toThrow(/couplingFlow: size is 2 but the base has events of size 3/);
    expect(() => couplingFlow({ base: new StandardNormal([2, 2, 1]) })).toThrow(/base must have vector events of shape \[D\], got \[2, 2, 1\]/);
    expect(() => couplingFlow({ size: 2, base: { eventShape: [2] } as never })).toThrow(/base must be a Distribution/);
    expect(() => couplingFlow({ base, hidden: [0] })).toThrow(/hidden\[0\]/);
    expect(base.isDisposed).toBe(false);
    base.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('names an option of another transformer, and an unknown transformer, with what it takes', () => {
    expect(() => couplingFlow({ size: 2, transformer: 'additive', scaleTanh: false })).toThrow(
      "couplingFlow: scaleTanh is an option of the affine transformer; the transformer here is 'additive'",
    );
    expect(() => couplingFlow({ size: 2, bins: 4 })).toThrow(/bins is an option of the spline transformer; the transformer here is 'affine'/);
    expect(() => autoregressiveFlow({ size: 2, transformer: 'gated', bound: 2 })).toThrow(/bound is an option of the spline transformer/);
    expect(() => couplingFlow({ size: 2, transformer: 'RationalQuadraticSpline', bins: 4 })).toThrow(
      /the transformer here is 'RationalQuadraticSpline' \(a registered transformer takes its settings in its saved form, \{ className, config \}\)/,
    );
    expect(() => couplingFlow({ size: 2, transformer: 'splines' })).toThrow(
      /couplingFlow: unknown transformer 'splines'; expected affine, additive, spline, gated, logistic-mixture, a registered transformer \(.*RationalQuadraticSpline.*\)/,
    );
    expect(() => couplingFlow({ size: 2, transformer: { className: 'Nope', config: {} } })).toThrow(/Nope/);
    expect(() => couplingFlow({ size: 2, transformer: 3 as never })).toThrow(/transformer must be a name, a saved form/);
  });
});

describe('autoregressiveFlow', () => {
  it('builds the layer of each transformer, in MAF or (inverse) IAF layers', async () => {
    const common = { size: 3, layers: 2, hidden: [8], seed: 3 };
    const cases: [Parameters<typeof autoregressiveFlow>[0], string][] = [
      [{ ...common }, 'MaskedAutoregressive(AffineTransformer)'],
      [{ ...common, inverse: true }, 'InverseAutoregressive(AffineTransformer)'],
      [{ ...common, transformer: 'additive' }, 'MaskedAutoregressive(AdditiveTransformer)'],
      [{ ...common, transformer: 'spline', bins: 4 }, 'SplineAutoregressive(RationalQuadraticSpline)'],
      [{ ...common, transformer: 'spline', inverse: true }, 'InverseAutoregressive(RationalQuadraticSpline)'],
      [{ ...common, transformer: 'gated', inverse: true }, 'InverseAutoregressive(GatedTransformer)'],
      [{ ...common, transformer: 'BuilderTestSoftplusAffine' }, 'MaskedAutoregressive(BuilderTestSoftplusAffine)'],
    ];
    for (const [options, layer] of cases) {
      const flow = autoregressiveFlow(options);
      expect(layerClasses(flow)).toEqual([layer, layer]);
      const [values, copied] = await densitiesAndCopy(flow);
      values.forEach((v) => expect(Number.isFinite(v)).toBe(true));
      expect(copied.map((v) => v.toFixed(4))).toEqual(values.map((v) => v.toFixed(4)));
    }
  });

  it('takes a base distribution', () => {
    const base = new DiagonalNormal({ size: 2 });
    const flow = autoregressiveFlow({ base, layers: 1, hidden: [4] });
    expect(flow.base).toBe(base);
    flow.dispose();
  });
});
