import { appWasmThreads, NATIVE_BLAS_OPTION, nativeBlasSetting, describeOptions, type OptionSpec, parseOptions } from '@flows/cli-kit';
import { type ImageView, loadMnist } from '@flows/datasets';
import { type BackendName, bitsPerDimension, loadModel, meanNegativeLogLikelihood, selectBackend } from '@flows/flows';
import { BACKEND_OPTION, DATA_DIR_OPTION, THREADS_OPTION } from './options.js';
import { bin, describeScaling, layoutOf, testData } from './preprocessing.js';

export const EVAL_OPTIONS: Record<string, OptionSpec> = {
  model: { kind: 'string', required: true, description: 'model directory (<run>/model)' },
  limit: { kind: 'positiveInteger', description: 'use only the first N test images' },
  'data-dir': DATA_DIR_OPTION,
  backend: BACKEND_OPTION,
  threads: THREADS_OPTION,
  'native-blas': NATIVE_BLAS_OPTION,
};

export const EVAL_HELP = `mnist-flow eval: test-set NLL and bits per dimension of a saved model (all 10 000 test images,
the same fixed dequantization noise as during training).

Usage: mnist-flow eval --model <dir>

${describeOptions(EVAL_OPTIONS)}`;

/** Reads the preprocessing a model was trained with from its metadata. */
export async function modelView(dir: string): Promise<ImageView> {
  const { readFile } = await import('node:fs/promises');
  const { join } = await import('node:path');
  const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
  return (json.metadata?.view as ImageView) ?? { kind: 'dequantized' };
}

export async function evaluate(argv: string[]): Promise<void> {
  const o = parseOptions(argv, EVAL_OPTIONS);
  if (o.help) {
    console.log(EVAL_HELP);
    return;
  }
  await selectBackend({ backend: o.backend as BackendName | 'auto', wasmThreads: await appWasmThreads(o.threads), nativeBlas: nativeBlasSetting(o['native-blas']) });
  const model = await loadModel(o.model as string);
  const view = await modelView(o.model as string);
  const test = await loadMnist('test', { dataDir: o['data-dir'] as string | undefined });
  const nll = meanNegativeLogLikelihood(model, testData(test, view, 12345, o.limit as number | undefined, model.contextSize > 0, layoutOf(model)), { batchSize: 500 });
  console.log(`test NLL:  ${nll.toFixed(2)} nats\ntest bpd:  ${bitsPerDimension(nll, 784, bin(view)).toFixed(4)}\nscaling:   ${describeScaling(view)}`);
  model.dispose();
}
