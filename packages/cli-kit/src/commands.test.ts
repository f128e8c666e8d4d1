import { describe, expect, it } from 'vitest';
import { captureConsole } from '@flows/test-support';
import { UsageError } from './args.js';
import { runCommands } from './commands.js';

const printed = captureConsole();

describe('runCommands', () => {
  const ran: string[][] = [];
  const commands = {
    train: async (argv: string[]) => void ran.push(['train', ...argv]),
    eval: async (argv: string[]) => void ran.push(['eval', ...argv]),
    sample: async () => {
      throw new UsageError('--n must be a positive integer');
    },
  };

  it('an unknown command is named with the nearest command and the list of commands', async () => {
    expect(await runCommands('app', 'HELP', commands, ['trian', '--epochs', '3'])).toBe(2);
    expect(printed.stderr).toMatch(/^app: unknown command 'trian'; did you mean 'train'\? commands: train, eval, sample\n\nHELP/);
    printed.stderr = '';
    expect(await runCommands('app', 'HELP', commands, ['banana'])).toBe(2);
    expect(printed.stderr).toMatch(/^app: unknown command 'banana' commands: train, eval, sample/);
    expect(ran).toEqual([]);
  });

  it('aliases run their command (and are offered as near names); usage errors point to --help', async () => {
    expect(await runCommands('app', 'HELP', commands, ['evaluate', '--x'], { aliases: { evaluate: 'eval' } })).toBe(0);
    expect(ran.at(-1)).toEqual(['eval', '--x']);
    expect(await runCommands('app', 'HELP', commands, ['evalute'], { aliases: { evaluate: 'eval' } })).toBe(2);
    expect(printed.stderr).toMatch(/did you mean 'evaluate'\?/);
    // Names of Object.prototype are not commands.
    expect(await runCommands('app', 'HELP', commands, ['constructor'])).toBe(2);
    expect(printed.stderr).toMatch(/unknown command 'constructor'/);
    expect(await runCommands('app', 'HELP', commands, ['sample'])).toBe(2);
    expect(printed.stderr).toMatch(/app sample: --n must be a positive integer\nRun 'app sample --help' for the options\./);
    expect(await runCommands('app', 'HELP', commands, ['--help'])).toBe(0);
    expect(printed.stdout).toBe('HELP\n');
  });
});
