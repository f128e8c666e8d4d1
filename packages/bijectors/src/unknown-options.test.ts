import { describe, expect, it } from 'vitest';
import * as networks from '@flows/networks';
import * as bijectors from './index.js';

// Plain JavaScript callers get no type errors: each class must reject a key it does not know
// (here one misspelled option each), naming it and the valid ones, instead of ignoring it.
const cases: [string, () => unknown][] = [
  ['ActNorm', () => new bijectors.ActNorm({ size: 2, sise: 1 } as never)],
  ['AdditiveCoupling', () => new bijectors.AdditiveCoupling({ mask: [1, 0], conditioner: 1 } as never)],
  ['BatchNorm', () => new bijectors.BatchNorm({ size: 2, momentom: 0.1 } as never)],
  ['MLP', () => new networks.MLP({ inputSize: 2, outputSize: 2, hiden: [4] } as never)],
  ['ConvNet', () => new networks.ConvNet({ inputChannels: 1, outputChannels: 2, kernel: 3 } as never)],
  ['ElementwiseAffine', () => new bijectors.ElementwiseAffine({ size: 2, scale: [1, 1] } as never)],
  ['ElementwiseScale', () => new bijectors.ElementwiseScale({ size: 2, scale: [1, 1] } as never)],
  ['FactorOut', () => new bijectors.FactorOut({ shape: [2, 2, 2], keepChannels: 1, inner: new bijectors.Reverse({ size: 4 }), keep: 1 } as never)],
  ['InverseAutoregressive', () => new bijectors.InverseAutoregressive({ size: 2, hiden: [4] } as never)],
  ['InvertibleConv1x1', () => new bijectors.InvertibleConv1x1({ shape: [2, 2, 2], sed: 1 } as never)],
  ['InvertibleLinear', () => new bijectors.InvertibleLinear({ size: 2, permutation: true } as never)],
  ['MADE', () => new networks.MADE({ inputSize: 2, outputsPerInput: 2, context: 1 } as never)],
  ['MaskedAffineCoupling', () => new bijectors.MaskedAffineCoupling({ mask: [1, 0], conditioner: 1 } as never)],
  ['MaskedAutoregressive', () => new bijectors.MaskedAutoregressive({ size: 2, ordering: 'natural' } as never)],
  ['Permute', () => new bijectors.Permute({ size: 2, permutation: [1, 0] } as never)],
  ['PiecewiseLinear', () => new bijectors.PiecewiseLinear({ size: 2, bin: 4 } as never)],
  ['Planar', () => new bijectors.Planar({ size: 2, steps: 3 } as never)],
  ['Radial', () => new bijectors.Radial({ size: 2, alpha: 1 } as never)],
  ['Reverse', () => new bijectors.Reverse({ size: 2, order: [0, 1] } as never)],
  ['Squeeze', () => new bijectors.Squeeze({ shape: [2, 2, 1], factor: 2 } as never)],
  ['TransformerCoupling', () => new bijectors.TransformerCoupling({ mask: [1, 0], transformer: new bijectors.AffineTransformer(), scale: 1 } as never)],
  ['AffineTransformer', () => new bijectors.AffineTransformer({ bound: 3 } as never)],
];

describe('unknown options', () => {
  it.each(cases)('%s rejects a key it does not know, naming it and the valid ones', (name, build) => {
    expect(build).toThrow(new RegExp(`^${name}: unknown option '\\w+'.*; valid options: `));
  });

  it('the same classes build with their valid options (the check rejects nothing valid)', () => {
    const built = [
      new bijectors.MaskedAffineCoupling({
        mask: [1, 0],
        hidden: [4],
        activation: 'relu',
        contextSize: 0,
        seed: 1,
        scaleTanh: true,
        learnableScaleFactor: true,
      }),
      new bijectors.MaskedAutoregressive({ size: 2, hidden: [4], order: 'reversed', contextSize: 1, seed: 1 }),
      new bijectors.Planar({ size: 2, seed: 1, inverseSteps: 10 }),
    ];
    for (const b of built) b.dispose();
  });
});
