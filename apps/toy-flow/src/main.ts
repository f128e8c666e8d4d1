import { UsageError } from '@flows/cli-kit';
import { logprob } from './logprob.js';
import { sample } from './sample.js';
import { train } from './train.js';

const HELP = `toy-flow: normalizing flows on 2-D toy densities (and your own CSV points).

Usage: toy-flow <command> [options]

Commands:
  train     fit a flow; writes model/, metrics.json, density.png, samples.png
  logprob   natural-log density of each point of a CSV file, one per line
  sample    samples from a saved model as CSV

Run 'toy-flow <command> --help' for the options of each command.`;

const commands: Record<string, (argv: string[]) => Promise<void>> = { train, logprob, sample };

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    console.log(HELP);
    return command ? 0 : 2;
  }
  const run = commands[command];
  if (!run) {
    console.error(`toy-flow: unknown command '${command}'\n\n${HELP}`);
    return 2;
  }
  try {
    await run(rest);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`toy-flow ${command}: ${error.message}\nRun 'toy-flow ${command} --help' for the options.`);
      return 2;
    }
    console.error(`toy-flow ${command}: error: ${(error as Error).message}`);
    if (process.env.FLOWS_DEBUG) console.error(error);
    return 1;
  }
}
