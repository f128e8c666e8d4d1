import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// Real processes, as a user runs them: the built CLI.
const cli = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'cli.js');
const temp = () => mkdtempSync(join(tmpdir(), 'toy-flow-safety-'));
const SMALL = ['--data', 'two-gaussians', '--train-size', '20000', '--test-size', '2000', '--layers', '2', '--hidden', '8', '--backend', 'cpu', '--quiet'];

function run(args: string[]): { done: Promise<{ code: number; output: string; seconds: number }>; pid: number } {
  const started = performance.now();
  const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  return { pid: child.pid!, done: new Promise((resolve) => child.on('close', (code) => resolve({ code: code ?? 1, output, seconds: (performance.now() - started) / 1000 }))) };
}

describe('runs lose nothing', () => {
  it('an output that cannot be written fails before training, at once (a path under a file, or under /proc)', async () => {
    const file = join(temp(), 'plain-file');
    writeFileSync(file, 'not a directory');
    const underFile = await run(['train', ...SMALL, '--train-size', '3000000', '--out', join(file, 'run')]).done;
    expect(underFile.code).toBe(1);
    expect(underFile.output).toMatch(/exists and is not a directory/);
    expect(underFile.seconds).toBeLessThan(20);
    const underProc = await run(['train', ...SMALL, '--train-size', '3000000', '--out', '/proc/nope/x']).done;
    expect(underProc.code).toBe(1);
    expect(underProc.output).toMatch(/cannot create \/proc\/nope/);
    expect(underProc.seconds).toBeLessThan(20);
  }, 60_000);

  it('a second run into the same --out is refused while the first runs; both would otherwise exit 0', async () => {
    const out = join(temp(), 'run');
    const first = run(['train', ...SMALL, '--train-size', '400000', '--out', out]);
    const lock = join(out, 'run.lock');
    for (let i = 0; i < 400 && !existsSync(lock); i++) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(existsSync(lock)).toBe(true);
    const second = await run(['train', ...SMALL, '--out', out]).done;
    expect(second.code).toBe(1);
    expect(second.output).toMatch(new RegExp(`is in use by process ${first.pid} on .*toy-flow train`));
    const firstResult = await first.done;
    expect(firstResult.code).toBe(0);
    expect(existsSync(lock)).toBe(false);
  }, 120_000);

  it('a lock left by a killed run is reported and taken over, and its orphaned temporary files are removed', async () => {
    const out = join(temp(), 'run');
    mkdirSync(join(out, 'model'), { recursive: true });
    const dead = 2 ** 22 + 12345; // above the default pid range: no such process
    writeFileSync(join(out, 'run.lock'), JSON.stringify({ pid: dead, host: (await import('node:os')).hostname(), started: '2026-11-28T00:00:00Z', purpose: 'toy-flow train' }));
    writeFileSync(join(out, `metrics.json.tmp-${dead}-1`), '{');
    writeFileSync(join(out, 'model', `weights-abc.bin.tmp-${dead}-2`), 'x');
    const result = await run(['train', ...SMALL, '--out', out]).done;
    expect(result.code).toBe(0);
    expect(result.output).toMatch(new RegExp(`was locked by process ${dead} .*no longer running; taking over`));
    const leftovers = [...readdirSync(out), ...readdirSync(join(out, 'model'))].filter((name) => name.includes('.tmp-'));
    expect(leftovers).toEqual([]);
    expect(existsSync(join(out, 'run.lock'))).toBe(false);
  }, 60_000);
});
