import { BACKEND_OPTIONS, describeOptions, parseOptions, defineOptions, startBackend, modelReference, modelReferenceHelp } from '@flows/cli-kit';
import { loadMnist } from '@flows/datasets';
import { bitsPerDimension } from '@flows/flows';
import { DATA_DIR_OPTION } from './options.js';
import { bin, describeScaling, layoutOf, testData } from './preprocessing.js';
import { EVALUATION_BATCH, EVALUATION_TRACE_SEED, testScore } from './test-score.js';
import { checkImageSize, loadTrainedModel } from './trained-model.js';
import { pixelData, variationalTestScore } from './variational-run.js';

export const EVAL_OPTIONS = defineOptions({
  model: {
    kind: 'string',
    required: true,
    description: `model directory (<run>/model), checkpoint directory (<run>/checkpoint, for a run still going) or run directory, ${modelReferenceHelp()}`,
  },
  limit: { kind: 'positiveInteger', description: 'use only the first N test images' },
  'data-dir': DATA_DIR_OPTION,
  ...BACKEND_OPTIONS,
});

export const EVAL_HELP = `mnist-flow eval: test-set NLL and bits per dimension of a saved model (all 10 000 test images,
the same fixed dequantization noise as during training). A continuous flow's (--architecture cnf) through
its ODE solver with Hutchinson's trace (one Rademacher probe per image, seed ${EVALUATION_TRACE_SEED}, as in training), with
the function evaluations (NFE) per solve of ${EVALUATION_BATCH} images.

Usage: mnist-flow eval --model <dir>   (or mnist-flow evaluate)

${describeOptions(EVAL_OPTIONS)}`;

export async function evaluate(argv: string[]): Promise<void> {
  const o = parseOptions(argv, EVAL_OPTIONS);
  if (o.help) {
    console.log(EVAL_HELP);
    return;
  }
  // MNIST models are large: threads pay (bench/results.md).
  await startBackend(o, Number.POSITIVE_INFINITY);
  const loaded = await loadTrainedModel(modelReference(o.model));
  const { model, view, source, pair } = loaded;
  console.error(`model: ${source}`);
  if (loaded.note) console.error(`note: ${loaded.note}`);
  const test = await loadMnist('test', { dataDir: o['data-dir'] });
  checkImageSize(test, test.source ?? 'the test images');
  const started = performance.now();
  // A variational run's figure is its bound, with q's draws seeded as in training.
  const { nll, nfe } = pair
    ? await variationalTestScore(pair, pixelData(test, o.limit, false))
    : await testScore(model, testData(test, view, 12345, o.limit, model.contextSize > 0, layoutOf(model)));
  const seconds = (performance.now() - started) / 1000;
  const solves =
    nfe === null
      ? ''
      : `\nNFE:       ${nfe.toFixed(1)} per solve (batches of ${EVALUATION_BATCH}; Hutchinson's trace, one Rademacher probe, seed ${EVALUATION_TRACE_SEED}; ${seconds.toFixed(1)} s)`;
  console.log(
    `test NLL:  ${nll.toFixed(2)} nats\ntest bpd:  ${bitsPerDimension(nll, 784, bin(view)).toFixed(4)}${solves}\nscaling:   ${describeScaling(view, pair !== null)}`,
  );
  loaded.dispose();
}
