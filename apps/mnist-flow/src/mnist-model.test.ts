import { ContinuousFlow } from '@flows/continuous';
import type { DiagonalNormal } from '@flows/distributions';
import { describe, expect, it } from 'vitest';
import { buildModel, type ModelSettings } from './mnist-model.js';

const coupling: ModelSettings = {
  scaleFactor: true,
  mask: 'checkerboard',
  layers: 2,
  hidden: [8],
  logit: 1e-6,
  conditional: false,
  architecture: 'coupling',
  stepsPerLevel: null,
  channels: null,
};

describe('buildModel: the flow a run trains, from the settings that define it', () => {
  it('a Real NVP on the 784 pixels, class-conditional on the one-hot digit when asked', () => {
    const flat = buildModel(coupling, 0);
    expect(flat.eventShape).toEqual([784]);
    expect(flat.contextSize).toBe(0);
    flat.dispose();
    const conditional = buildModel({ ...coupling, conditional: true }, 0);
    expect(conditional.contextSize).toBe(10);
    conditional.dispose();
  });

  it('a multi-scale Glow on 28 × 28 × 1 images with the steps and channels of its settings; the same seed gives the same weights', async () => {
    const settings: ModelSettings = { ...coupling, architecture: 'multiscale', stepsPerLevel: 1, channels: [4] };
    const [a, b] = [buildModel(settings, 3), buildModel(settings, 3)];
    expect(a.eventShape).toEqual([28, 28, 1]);
    const weights = async (model: typeof a) => Promise.all(model.trainableVariables.map(async (v) => Array.from(await v.data())));
    expect(await weights(a)).toEqual(await weights(b));
    a.dispose();
    b.dispose();
  });

  it('a continuous flow on the 784 pixels from a normal with the given per-pixel statistics, its solver and Hutchinson trace saved with it; none without them', () => {
    const settings: ModelSettings = { ...coupling, architecture: 'cnf', layers: null, mask: null, scaleFactor: null, hidden: [8] };
    const statistics = { mean: Array.from({ length: 784 }, (_, i) => i / 784), logScale: Array.from({ length: 784 }, () => -1) };
    const model = buildModel(settings, 0, statistics) as ContinuousFlow;
    expect(model).toBeInstanceOf(ContinuousFlow);
    expect(model.eventShape).toEqual([784]);
    expect(model.trace).toMatchObject({ estimator: 'hutchinson', probe: 'rademacher', probes: 1 });
    expect(model.solver).toMatchObject({ method: 'dopri5', rtol: 1e-5, atol: 1e-5 });
    const base = model.base as DiagonalNormal;
    expect(base.mean.dataSync()[392]).toBeCloseTo(0.5, 6);
    expect(model.trainableVariables).toEqual(model.field.trainableVariables);
    model.dispose();
    expect(() => buildModel(settings, 0)).toThrow(/a cnf needs the pixel statistics of its base/);
  });
});
