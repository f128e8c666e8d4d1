import { closestName } from '@flows/core';
import { UsageError } from './args.js';
import { endQuietlyWhenStdoutCloses } from './stdout-pipe.js';

export type Command = (argv: string[]) => Promise<void>;

/** Options of {@link runCommands}. */
export interface RunCommandsOptions {
  /**
   * Other spellings of commands, alias → command (`{ evaluate: 'eval' }`): accepted like the
   * command itself and offered by "did you mean"; the help text should show them.
   */
  aliases?: Record<string, string>;
}

/**
 * Runs `<program> <command> [options]`: prints `help` for no command or --help, dispatches, and
 * turns errors into exit codes (2 for usage mistakes, with a pointer to --help; 1 otherwise). An
 * unknown command is named with the nearest known one and the list of commands.
 */
export async function runCommands(
  program: string,
  help: string,
  commands: Record<string, Command>,
  argv: string[],
  options: RunCommandsOptions = {},
): Promise<number> {
  // A reader that closes stdout early (`| head`) ends the program quietly with code 0.
  endQuietlyWhenStdoutCloses();
  const [given, ...rest] = argv;
  if (!given || given === '--help' || given === '-h' || given === 'help') {
    console.log(help);
    return given ? 0 : 2;
  }
  const aliases = options.aliases ?? {};
  const command = Object.hasOwn(aliases, given) ? aliases[given] : given;
  const run = Object.hasOwn(commands, command) ? commands[command] : undefined;
  if (!run) {
    const near = closestName(given, [...Object.keys(commands), ...Object.keys(aliases)]);
    console.error(
      `${program}: unknown command '${given}'${near === undefined ? '' : `; did you mean '${near}'?`} commands: ${Object.keys(commands).join(', ')}\n\n${help}`,
    );
    return 2;
  }
  try {
    await run(rest);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`${program} ${given}: ${error.message}\nRun '${program} ${given} --help' for the options.`);
      return 2;
    }
    console.error(`${program} ${given}: error: ${(error as Error).message}`);
    if (process.env.FLOWS_DEBUG) console.error(error);
    return 1;
  }
}
