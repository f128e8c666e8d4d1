import { runCommands } from '@flows/cli-kit';
import { registerContinuousFlows } from '@flows/continuous';
import { evaluate } from './evaluate.js';
import { interpolate } from './interpolate.js';
import { sample } from './sample.js';
import { train } from './train.js';

const HELP = `mnist-flow: Real NVP on dequantized MNIST (exercise 2.5).

Usage: mnist-flow <command> [options]

Commands:
  train         train couplings, a multi-scale flow or a continuous flow; per-epoch test bpd, sample grids, checkpoints (--resume)
  eval          test NLL and bits per dimension of a saved model (also spelled evaluate, as in vae-eval)
  sample        a PNG grid of samples at a temperature
  interpolate   latent interpolation between four test digits, as a PNG grid

Run 'mnist-flow <command> --help' for the options of each command.`;

export function main(argv: string[]): Promise<number> {
  // A continuous flow (--architecture cnf) is saved by class name: loading one needs the classes registered.
  registerContinuousFlows();
  // vae-eval says evaluate: both apps take both spellings.
  return runCommands('mnist-flow', HELP, { train, eval: evaluate, sample, interpolate }, argv, { aliases: { evaluate: 'eval' } });
}
