import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '@flows/backends';
import { realNVP } from '@flows/builders';
import { Adam } from '@flows/optimizers';
import { fit, fitReverseKL, klFromTarget } from '@flows/training';
import { describe, expect, it } from 'vitest';

// From the builders' tests: one check of the option names across the packages the umbrella joins.
describe('options of every entry point', () => {
  it('fit, fitReverseKL, selectBackend, Adam and klFromTarget reject options they do not know', async () => {
    const model = realNVP({ size: 2, layers: 1, hidden: [4] });
    const data = tf.zeros([10, 2]);
    await expect(fit(model, data, { epochs: 1, learningrate: 1e-3 } as never)).rejects.toThrow(
      /fit: unknown option 'learningrate' \(did you mean 'learningRate'\?\)/,
    );
    await expect(fitReverseKL(model, (x) => tf.zeros([x.shape[0]]), { steps: 1, patience: 2 } as never)).rejects.toThrow(
      /fitReverseKL: unknown option 'patience'/,
    );
    await expect(selectBackend({ backend: 'cpu', threads: 2 } as never)).rejects.toThrow(/selectBackend: unknown option 'threads'/);
    expect(() => new Adam(model.trainableVariables, { lr: 1e-3 } as never)).toThrow(/Adam: unknown option 'lr'/);
    expect(() => klFromTarget(model, model, { sample: 10 } as never)).toThrow(/klFromTarget: unknown option 'sample' \(did you mean 'samples'\?\)/);
    data.dispose();
    model.dispose();
  });
});
