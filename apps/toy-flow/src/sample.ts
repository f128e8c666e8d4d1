import { Random } from '@flows/core';
import { BACKEND_OPTIONS, defineOptions, describeOptions, formatCsv, parseOptions, startBackend, modelReferenceHelp, modelReference } from '@flows/cli-kit';
import { loadModel } from '@flows/flows';
import { labelContext } from './label.js';

export const SAMPLE_OPTIONS = defineOptions({
  model: { kind: 'string', required: true, description: `model directory (the model/ that train writes), ${modelReferenceHelp()}` },
  n: { kind: 'positiveInteger', default: 1000, description: 'number of samples' },
  temperature: { kind: 'positiveNumber', default: 1, description: 'standard deviation of the base noise' },
  seed: { kind: 'nonNegativeInteger', default: 0, description: 'seed of the base noise' },
  label: { kind: 'nonNegativeInteger', description: 'the component to condition on (models trained with --conditional)' },
  ...BACKEND_OPTIONS,
});

export const SAMPLE_HELP = `toy-flow sample: draw samples from a saved model as CSV on stdout.

Usage: toy-flow sample --model <dir|pretrained:NAME> [--n N] [--temperature T] [--seed S] [--label K]

${describeOptions(SAMPLE_OPTIONS)}`;

/** Samples drawn and written per chunk. */
const SAMPLE_CHUNK = 100_000;

export async function sample(argv: string[]): Promise<void> {
  const o = parseOptions(argv, SAMPLE_OPTIONS);
  if (o.help) {
    console.log(SAMPLE_HELP);
    return;
  }
  // Quiet: the output (CSV on stdout, or the pictures) is all a user of this command reads.
  await startBackend(o, 0, { quiet: true });
  const model = await loadModel(modelReference(o.model));
  const columns = model.eventSize;
  const header = columns === 2 ? ['x', 'y'] : Array.from({ length: columns }, (_, i) => `x${i}`);
  // In chunks, written as they come: any --n fits in memory (one seeded stream, the same samples as one draw).
  const random = new Random(o.seed);
  const total = o.n;
  for (let start = 0; start < total; start += SAMPLE_CHUNK) {
    const rows = Math.min(SAMPLE_CHUNK, total - start);
    const context = labelContext(model, o.label, rows);
    const x = model.sample(rows, { random, temperature: o.temperature, context });
    context?.dispose();
    const text = formatCsv(await x.data(), columns, start === 0 ? header : undefined);
    x.dispose();
    if (!process.stdout.write(text)) await new Promise((resolve) => process.stdout.once('drain', resolve));
  }
  model.dispose();
}
