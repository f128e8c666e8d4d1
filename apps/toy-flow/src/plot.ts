import { BACKEND_OPTIONS, defineOptions, describeOptions, parseOptions, startBackend, UsageError, modelReferenceHelp, modelReference } from '@flows/cli-kit';
import { histogramOnGrid, TOY_NAMES, toyByName } from '@flows/datasets';
import { loadModel } from '@flows/flows';
import { densityOnGrid, PANEL, writeToyPictures } from './pictures.js';

export const PLOT_OPTIONS = defineOptions({
  model: { kind: 'string', required: true, description: `model directory (the model/ that train writes), ${modelReferenceHelp()}` },
  data: { kind: 'string', required: true, description: `the toy to compare with (${TOY_NAMES.join(', ')})` },
  out: { kind: 'string', default: '.', description: 'directory for density.svg/.png and samples.svg/.png' },
  seed: { kind: 'nonNegativeInteger', default: 0, description: 'seed of the samples' },
  'solver-steps': {
    kind: 'positiveInteger',
    default: 8,
    description:
      "continuous flows (--flow cnf): Runge-Kutta 4 steps of the density picture's solves; more is slower and sharper where the density is near 0, whose backward solves are stiff",
  },
  ...BACKEND_OPTIONS,
});

export const PLOT_HELP = `toy-flow plot: draw a saved 2-D model against a toy: density.svg/.png (model | true density,
one colour scale, axes and a colour bar) and samples.svg/.png (model samples over the true density).

Usage: toy-flow plot --model <dir|pretrained:NAME> --data <name> [--out <dir>]

${describeOptions(PLOT_OPTIONS)}`;

/** The dataset or target the model was trained on, from the metadata train wrote (null when unknown). */
async function trainedDataset(modelDirectory: string): Promise<string | null> {
  const { readFile } = await import('node:fs/promises');
  const { join } = await import('node:path');
  try {
    const metadata = JSON.parse(await readFile(join(modelDirectory, 'model.json'), 'utf8')).metadata ?? {};
    const name = metadata.dataset ?? metadata.target;
    return typeof name === 'string' ? name : null;
  } catch {
    return null;
  }
}

export async function plot(argv: string[]): Promise<void> {
  const o = parseOptions(argv, PLOT_OPTIONS);
  if (o.help) {
    console.log(PLOT_HELP);
    return;
  }
  if (!TOY_NAMES.includes(o.data)) throw new UsageError(`unknown dataset '${o.data}'; expected one of ${TOY_NAMES.join(', ')}`);
  // Quiet: the output (CSV on stdout, or the pictures) is all a user of this command reads.
  await startBackend(o, 0, { quiet: true });
  const toy = toyByName(o.data);
  const directory = modelReference(o.model);
  const model = await loadModel(directory);
  const trainedOn = await trainedDataset(directory);
  if (trainedOn !== null && trainedOn !== o.data) {
    console.error(`warning: the model was trained on '${trainedOn}', not '${o.data}': the pictures compare it with a density it never saw`);
  }
  if (model.eventSize !== 2) throw new UsageError(`the model is ${model.eventSize}-dimensional; pictures need a 2-D model`);
  let reference: Float32Array;
  if (toy.hasExactDensity) {
    reference = await densityOnGrid(toy, toy.plotRange);
  } else {
    const data = toy.sample(500_000, { random: o.seed + 7 });
    reference = histogramOnGrid(await data.data(), toy.plotRange, PANEL);
    data.dispose();
  }
  const samples = model.sample(5000, { random: o.seed + 99 });
  const referenceKind = toy.hasExactDensity ? 'true density' : 'data histogram';
  const paths = await writeToyPictures(
    o.out,
    model,
    reference,
    toy.plotRange,
    (await samples.data()) as Float32Array,
    null,
    {
      name: o.data,
      reference: referenceKind,
    },
    { method: 'rk4', steps: o['solver-steps'] },
  );
  samples.dispose();
  console.log(`pictures: ${paths.density} (model | ${referenceKind}), ${paths.samples}`);
  model.dispose();
}
