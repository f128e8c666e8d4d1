import { defineOptions, describeOptions, parseOptions, runCommands, UsageError } from '@flows/cli-kit';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { type Module, importNodeBuiltin } from '@flows/core';
import { saveModel } from '@flows/model-files';
import { descriptionPathOf, importTorchFiles } from './files.js';

const IMPORT_OPTIONS = defineOptions({
  weights: { kind: 'string', description: 'the safetensors file export_flow.py wrote (or give it first, without a flag)' },
  architecture: { kind: 'string', description: 'its architecture description (default: the same name with .json)' },
  out: { kind: 'string', description: 'directory for the model files (model.json and its weights)', required: true },
  overwrite: { kind: 'boolean', description: 'replace a flows model already in --out' },
});

const HELP = `flows-import: a flow trained with zuko, nflows or normflows, as this project's model files.

Usage: flows-import <flow.safetensors> [--architecture <flow.json>] --out <directory>

Export the flow in Python first (python/export_flow.py in this package):
  from export_flow import export_flow
  export_flow(flow, "exported/flow")    # exported/flow.safetensors and exported/flow.json

Options:
${describeOptions(IMPORT_OPTIONS)}

The files in --out load with loadModel (Node), modelFromFiles (a page), the apps' --model and the
playground's Import.`;

/** The files a flows model directory holds: anything else in --out is the user's and stays untouched. */
const MODEL_FILE = /^(model\.json|weights-[0-9a-f]{8}\.bin|\.save\.lock|.*\.tmp-\d+-\d+)$/;

async function checkOutput(out: string, overwrite: boolean): Promise<void> {
  const fs = await importNodeBuiltin<typeof import('node:fs/promises')>('fs/promises', 'writing model files');
  const path = await importNodeBuiltin<typeof import('node:path')>('path', 'writing model files');
  let names: string[];
  try {
    names = await fs.readdir(out);
  } catch {
    return; // missing (created next) or not a directory (prepareOutputDirectory says so)
  }
  const foreign = names.filter((name) => !MODEL_FILE.test(name));
  if (foreign.length > 0) {
    throw new UsageError(
      `--out ${out} holds files that are not a flows model (${foreign.slice(0, 3).join(', ')}${foreign.length > 3 ? ', …' : ''}): give a new or empty directory`,
    );
  }
  if (names.includes('model.json') && !overwrite) {
    throw new UsageError(`--out ${out} already holds a model (${path.join(out, 'model.json')}): give another directory, or --overwrite to replace it`);
  }
}

/** Creates `directory` if needed and proves it writable, naming the path and the cause when it is not. */
async function writableDirectory(directory: string): Promise<void> {
  const fs = await importNodeBuiltin<typeof import('node:fs/promises')>('fs/promises', 'writing model files');
  const path = await importNodeBuiltin<typeof import('node:path')>('path', 'writing model files');
  const probe = path.join(directory, `.write-probe-${process.pid}`);
  try {
    await fs.mkdir(directory, { recursive: true });
    await fs.writeFile(probe, '');
    await fs.rm(probe);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new UsageError(`--out ${directory} cannot be written (${code}): give a directory you can write to`);
  }
}

/** Every class name in a serialized model. */
function classNames(serialized: unknown, names = new Set<string>()): Set<string> {
  if (Array.isArray(serialized)) for (const item of serialized) classNames(item, names);
  else if (serialized && typeof serialized === 'object') {
    const record = serialized as Record<string, unknown>;
    if (typeof record.className === 'string') names.add(record.className);
    for (const value of Object.values(record)) classNames(value, names);
  }
  return names;
}

const OWN_CLASSES = ['TorchNetwork', 'TorchAutoregressive'];

async function importCommand(argv: string[]): Promise<void> {
  const positional = argv.length > 0 && !argv[0].startsWith('-') ? argv[0] : undefined;
  const options = parseOptions(positional ? argv.slice(1) : argv, IMPORT_OPTIONS);
  if (options.help) {
    console.log(HELP);
    return;
  }
  const weights = options.weights ?? positional;
  if (!weights) throw new UsageError('give the safetensors file: flows-import <flow.safetensors> --out <directory>');
  if (options.weights && positional) throw new UsageError(`give the weights once: '${positional}' and --weights ${options.weights}`);
  const architecture = options.architecture ?? descriptionPathOf(weights);
  await checkOutput(options.out, options.overwrite ?? false);
  // Importing is a copy of weights: the exact pure-JavaScript backend does it at once.
  await tf.setBackend('cpu');
  // The cpu backend's advice to install tfjs-node is noise here.
  (tf.backend() as unknown as { firstUse: boolean }).firstUse = false;
  const started = Date.now();
  const { model, origin } = await importTorchFiles(weights, architecture);
  try {
    // Only now, with a model to write, is --out created (a refused import leaves nothing behind).
    await writableDirectory(options.out);
    const used = [...classNames(model.toJSON())];
    const own = used.filter((name) => OWN_CLASSES.includes(name));
    await saveModel(model, options.out, { importedFrom: { ...origin, weights, architecture } });
    const context = model.contextSize > 0 ? `, context of ${model.contextSize}` : '';
    console.log(
      `imported ${origin.flowClass} (${origin.library} ${origin.libraryVersion}): ${model.eventShape[0]} features${context}, ${(model as unknown as Module).variables.length} weight tensors, in ${Date.now() - started} ms`,
    );
    console.log(`wrote ${options.out}/model.json and its weights`);
    console.log(
      own.length
        ? `it uses ${own.join(', ')} from @flows/import-torch: call registerTorchImport() before loadModel in programs that load it`
        : 'it uses only the classes of @flows/bijectors, @flows/bijector-spline, @flows/networks and @flows/distributions: it loads wherever they are registered',
    );
  } finally {
    model.dispose();
  }
}

export function main(argv: string[]): Promise<number> {
  // One command: `flows-import <file> …` is `flows-import import <file> …`.
  const args = argv.length === 0 || ['--help', '-h', 'help', 'import'].includes(argv[0]) ? argv : ['import', ...argv];
  return runCommands('flows-import', HELP, { import: importCommand }, args);
}
