import * as tf from '@tensorflow/tfjs-core';
import {
  BACKEND_OPTIONS,
  defineOptions,
  describeOptions,
  parseOptions,
  readNumericCsv,
  startBackend,
  UsageError,
  modelReferenceHelp,
  modelReference,
} from '@flows/cli-kit';
import { loadModel } from '@flows/flows';
import { labelContext } from './label.js';

export const LOGPROB_OPTIONS = defineOptions({
  model: { kind: 'string', required: true, description: `model directory (the model/ that train writes), ${modelReferenceHelp()}` },
  input: { kind: 'string', required: true, description: 'CSV file of points, one per row (a header line is allowed)' },
  label: { kind: 'nonNegativeInteger', description: 'the component to condition on (models trained with --conditional)' },
  ...BACKEND_OPTIONS,
});

export const LOGPROB_HELP = `toy-flow logprob: print the model's natural-log density of each input point, one per line.

Usage: toy-flow logprob --model <dir|pretrained:NAME> --input points.csv [--label K]

${describeOptions(LOGPROB_OPTIONS)}`;

export async function logprob(argv: string[]): Promise<void> {
  const o = parseOptions(argv, LOGPROB_OPTIONS);
  if (o.help) {
    console.log(LOGPROB_HELP);
    return;
  }
  // Quiet: the output (CSV on stdout, or the pictures) is all a user of this command reads.
  await startBackend(o, 0, { quiet: true });
  const table = await readNumericCsv(o.input);
  const model = await loadModel(modelReference(o.model));
  if (table.columns !== model.eventSize) {
    throw new UsageError(`${o.input}: has ${table.columns} columns but the model is ${model.eventSize}-dimensional`);
  }
  const lines: string[] = [];
  const batch = 50_000;
  for (let start = 0; start < table.rows; start += batch) {
    const rows = Math.min(batch, table.rows - start);
    const x = tf.tensor2d(table.values.subarray(start * table.columns, (start + rows) * table.columns), [rows, table.columns]);
    const context = labelContext(model, o.label, rows);
    const logProb = model.logProb(x, context);
    for (const v of await logProb.data()) lines.push(String(v));
    tf.dispose([x, logProb, ...(context ? [context] : [])]);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  model.dispose();
}
