import { registerSplineBijectors } from '@flows/bijector-spline';
import { runCommands } from '@flows/cli-kit';
import { registerContinuousFlows } from '@flows/continuous';
import { registerTorchImport } from '@flows/import-torch';
import { logprob } from './logprob.js';
import { plot } from './plot.js';
import { sample } from './sample.js';
import { train } from './train.js';

const HELP = `toy-flow: normalizing flows on 2-D toy densities (and your own CSV points).

Usage: toy-flow <command> [options]

Commands:
  train     fit a flow; writes model/, metrics.json, and density, samples and training curves (.svg, .png)
  logprob   natural-log density of each point of a CSV file, one per line
  sample    samples from a saved model as CSV
  plot      pictures of a saved 2-D model against a toy density

Run 'toy-flow <command> --help' for the options of each command.`;

export function main(argv: string[]): Promise<number> {
  // Saved models may use the spline plugin's layers, the importer's (a flow trained with zuko,
  // nflows or normflows and imported by flows-import) or be continuous flows (--flow cnf); loading
  // them needs the classes registered.
  registerSplineBijectors();
  registerContinuousFlows();
  registerTorchImport();
  return runCommands('toy-flow', HELP, { train, logprob, sample, plot }, argv);
}
