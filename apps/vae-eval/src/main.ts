import { runCommands } from '@flows/cli-kit';
import { compareCommand, evaluateCommand, trainCommand } from './commands.js';

const HELP = `vae-eval: VAEs on binarized MNIST with standard Gaussian, mixture-of-Gaussians, flow (Real NVP)
and VampPrior priors (exercise 2.6 and the course project's part A).

Usage: vae-eval <command> [options]

Commands:
  train     one prior, R runs: test ELBO and IWAE log-likelihood, samples, reconstructions, PCA picture
  compare   every prior, R runs each: a table (Markdown and JSON) and one picture with a panel per prior
  evaluate  the runs of an earlier train or compare again, from their checkpoints, with k importance
            samples (k = 1000 for reported tables); also spelled eval, as in mnist-flow

Run 'vae-eval <command> --help' for the options of each command.`;

export function main(argv: string[]): Promise<number> {
  // mnist-flow says eval: both apps take both spellings.
  return runCommands('vae-eval', HELP, { train: trainCommand, compare: compareCommand, evaluate: evaluateCommand }, argv, { aliases: { eval: 'evaluate' } });
}
