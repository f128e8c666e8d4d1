import { UsageError } from './args.js';

export type Command = (argv: string[]) => Promise<void>;

/**
 * Runs `<program> <command> [options]`: prints `help` for no command or --help, dispatches, and
 * turns errors into exit codes (2 for usage mistakes, with a pointer to --help; 1 otherwise).
 */
export async function runCommands(program: string, help: string, commands: Record<string, Command>, argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    console.log(help);
    return command ? 0 : 2;
  }
  const run = commands[command];
  if (!run) {
    console.error(`${program}: unknown command '${command}'\n\n${help}`);
    return 2;
  }
  try {
    await run(rest);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`${program} ${command}: ${error.message}\nRun '${program} ${command} --help' for the options.`);
      return 2;
    }
    console.error(`${program} ${command}: error: ${(error as Error).message}`);
    if (process.env.FLOWS_DEBUG) console.error(error);
    return 1;
  }
}
