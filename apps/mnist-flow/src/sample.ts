import { BACKEND_OPTIONS, describeOptions, parseOptions, startBackend, UsageError, defineOptions, modelReference, modelReferenceHelp } from '@flows/cli-kit';
import { writeSampleGrid } from './pictures.js';
import { loadTrainedModel } from './trained-model.js';

export const SAMPLE_OPTIONS = defineOptions({
  model: {
    kind: 'string',
    required: true,
    description: `model directory (<run>/model), checkpoint directory (<run>/checkpoint, for a run still going) or run directory, ${modelReferenceHelp()}`,
  },
  out: { kind: 'string', default: 'samples.png', description: 'PNG file for the grid' },
  n: { kind: 'positiveInteger', default: 64, description: 'number of samples (a square grid)' },
  temperature: { kind: 'positiveNumber', default: 0.5, description: 'standard deviation of the base noise (as train draws its grids)' },
  seed: { kind: 'nonNegativeInteger', default: 0, description: 'seed of the base noise' },
  digit: { kind: 'nonNegativeInteger', description: 'class-conditional models: only this digit 0-9 (default: one row per digit)' },
  ...BACKEND_OPTIONS,
});

export const SAMPLE_HELP = `mnist-flow sample: a grid of samples from a saved model as PNG.

Usage: mnist-flow sample --model <dir> [--n N] [--temperature T] [--digit D] [--out grid.png]

${describeOptions(SAMPLE_OPTIONS)}`;

export async function sample(argv: string[]): Promise<void> {
  const o = parseOptions(argv, SAMPLE_OPTIONS);
  if (o.help) {
    console.log(SAMPLE_HELP);
    return;
  }
  // MNIST models are large: threads pay (bench/results.md).
  await startBackend(o, Number.POSITIVE_INFINITY);
  const loaded = await loadTrainedModel(modelReference(o.model));
  const { model, view } = loaded;
  const digit = o.digit;
  if (digit !== undefined && model.contextSize === 0) throw new UsageError('--digit: this model is not class-conditional (train it with --conditional)');
  if (digit !== undefined && digit > 9) throw new UsageError(`--digit must be 0-9, got ${digit}`);
  await writeSampleGrid(model, view, o.out, { n: o.n, temperature: o.temperature, seed: o.seed, digit });
  console.log(`samples: ${o.out}`);
  loaded.dispose();
}
