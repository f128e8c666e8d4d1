import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
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
  return {
    pid: child.pid!,
    done: new Promise((resolve) => child.on('close', (code) => resolve({ code: code ?? 1, output, seconds: (performance.now() - started) / 1000 }))),
  };
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

  // A directory the user cannot write: as root nothing is read-only, so the run drops to 'nobody',
  // which must be able to read the built CLI (a checkout inside a private folder is not).
  const asNobody =
    process.getuid?.() === 0 &&
    existsSync('/usr/bin/setpriv') &&
    spawnSync(
      '/usr/bin/setpriv',
      ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '-e', `require('fs').accessSync(${JSON.stringify(cli)}, 4)`],
      { cwd: '/' },
    ).status === 0;
  if (!asNobody) console.log('note: the EACCES test is skipped: it needs root, setpriv, and a checkout that user nobody can read');
  it.runIf(asNobody)(
    'an output in a directory the user cannot write fails at once with EACCES, not after training',
    async () => {
      const parent = temp();
      chmodSync(parent, 0o755); // root's, readable by all, writable by root alone
      const started = performance.now();
      const child = spawn(
        '/usr/bin/setpriv',
        ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, cli, 'train', ...SMALL, '--train-size', '3000000', '--out', join(parent, 'run')],
        { cwd: '/', stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let output = '';
      child.stderr.on('data', (chunk) => (output += chunk));
      const code = await new Promise<number>((resolve) => child.on('close', (exit) => resolve(exit ?? 1)));
      expect(code).toBe(1);
      expect(output).toMatch(/cannot create .*\/run \(EACCES: not writable\)/);
      expect((performance.now() - started) / 1000).toBeLessThan(20);
    },
    60_000,
  );

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
    writeFileSync(
      join(out, 'run.lock'),
      JSON.stringify({ pid: dead, host: (await import('node:os')).hostname(), started: '2026-11-28T00:00:00Z', purpose: 'toy-flow train' }),
    );
    writeFileSync(join(out, `metrics.json.tmp-${dead}-1`), '{');
    writeFileSync(join(out, 'model', `weights-abc.bin.tmp-${dead}-2`), 'x');
    // The app's own pictures too (it names them to the run lock), but never a file of the user's.
    writeFileSync(join(out, `training.png.tmp-${dead}-3`), 'x');
    writeFileSync(join(out, `density.svg.tmp-${dead}-4`), 'x');
    writeFileSync(join(out, `notes.txt.tmp-${dead}-5`), 'mine');
    const result = await run(['train', ...SMALL, '--out', out]).done;
    expect(result.code).toBe(0);
    expect(result.output).toMatch(new RegExp(`was locked by process ${dead} .*no longer running; taking over`));
    const leftovers = [...readdirSync(out), ...readdirSync(join(out, 'model'))].filter((name) => name.includes('.tmp-'));
    expect(leftovers).toEqual([`notes.txt.tmp-${dead}-5`]);
    expect(existsSync(join(out, 'run.lock'))).toBe(false);
  }, 60_000);
});

/** Runs the CLI with its stdout read by a reader that stops after the first chunk (as `| head -1` does). */
function runIntoClosedPipe(args: string[]): Promise<{ code: number | null; signal: string | null; stderr: string; chunks: number }> {
  const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let chunks = 0;
  child.stderr.on('data', (chunk) => (stderr += chunk));
  child.stdout.once('data', () => {
    chunks += 1;
    child.stdout.destroy();
  });
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stderr, chunks })));
}

describe('output into a closed pipe', () => {
  it('sample and logprob piped into a reader that stops early (| head) end with exit 0 and nothing on stderr', async () => {
    const out = join(temp(), 'run');
    expect((await run(['train', ...SMALL, '--out', out]).done).code).toBe(0);
    const sampled = await runIntoClosedPipe(['sample', '--model', join(out, 'model'), '--n', '300000', '--backend', 'cpu']);
    expect(sampled).toEqual({ code: 0, signal: null, stderr: '', chunks: 1 });
    const points = join(out, 'points.csv');
    writeFileSync(points, `x,y\n${Array.from({ length: 100_000 }, (_, i) => `${(i % 100) / 50 - 1},${(i % 37) / 18 - 1}`).join('\n')}\n`);
    const densities = await runIntoClosedPipe(['logprob', '--model', join(out, 'model'), '--input', points, '--backend', 'cpu']);
    expect(densities).toEqual({ code: 0, signal: null, stderr: '', chunks: 1 });
  }, 120_000);
});

/** Starts a run, waits for its first checkpoint, and kills it with SIGKILL (kill -9). */
async function killAfterFirstCheckpoint(args: string[], out: string): Promise<void> {
  const victim = run(args);
  const checkpoint = join(out, 'checkpoint', 'checkpoint.json');
  for (let i = 0; i < 600 && !existsSync(checkpoint); i++) await new Promise((resolve) => setTimeout(resolve, 50));
  expect(existsSync(checkpoint)).toBe(true);
  process.kill(victim.pid, 'SIGKILL');
  expect((await victim.done).code).not.toBe(0);
}

describe('toy-flow checkpoints', () => {
  it('a run killed with kill -9 mid-training resumes with --resume and ends exactly like the uninterrupted run; metrics name their model', async () => {
    const args = [
      'train',
      '--data',
      'two-gaussians',
      '--train-size',
      '400000',
      '--test-size',
      '5000',
      '--layers',
      '3',
      '--hidden',
      '16',
      '--batch-size',
      '500',
      '--checkpoint-every',
      '100',
      '--backend',
      'cpu',
      '--quiet',
    ];
    const straight = join(temp(), 'straight');
    expect((await run([...args, '--out', straight]).done).code).toBe(0);

    const killed = join(temp(), 'killed');
    await killAfterFirstCheckpoint([...args, '--out', killed], killed);
    expect(existsSync(join(killed, 'model'))).toBe(false);

    const changed = await run([...args, '--out', killed, '--resume', '--layers', '4']).done;
    expect(changed.code).toBe(2);
    expect(changed.output).toMatch(/--resume: options differ from the checkpointed run: layers 4 \(checkpoint: 3\)/);
    const resumed = await run([...args, '--out', killed, '--resume']).done;
    expect(resumed.code).toBe(0);
    expect(resumed.output).toMatch(/resuming after step \d+ of 800/);
    const read = (dir: string) => JSON.parse(readFileSync(join(dir, 'metrics.json'), 'utf8'));
    expect(read(killed).testNll).toBe(read(straight).testNll);
    expect(read(killed).steps).toBe(800);
    // metrics.json names the weights of the model beside it.
    const model = JSON.parse(readFileSync(join(killed, 'model', 'model.json'), 'utf8'));
    expect(read(killed).modelChecksum).toBe(model.weights.checksum);
  }, 240_000);

  it('a CSV run of the default 3000 steps (many epochs to a checkpoint) killed with kill -9 resumes to the uninterrupted run', async () => {
    const dir = temp();
    const csv = join(dir, 'points.csv');
    writeFileSync(csv, `x,y\n${Array.from({ length: 500 }, (_, i) => `${Math.sin(i) + 0.3 * Math.cos(3 * i)},${Math.cos(i)}`).join('\n')}\n`);
    // 450 training rows at batch 50: 9 steps an epoch; --checkpoint-every 500 makes 55 epochs (495 steps) a segment.
    const args = ['train', '--data', csv, '--layers', '2', '--hidden', '8', '--batch-size', '50', '--checkpoint-every', '500', '--backend', 'cpu', '--quiet'];
    const straight = join(dir, 'straight');
    expect((await run([...args, '--out', straight]).done).code).toBe(0);
    const killed = join(dir, 'killed');
    await killAfterFirstCheckpoint([...args, '--out', killed], killed);
    const resumed = await run([...args, '--out', killed, '--resume']).done;
    expect(resumed.code).toBe(0);
    expect(resumed.output).toMatch(/resuming after step (495|990|1485|1980|2475|2970) of 3000/);
    const read = (out: string) => JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
    expect(read(killed).steps).toBe(3000);
    expect(read(killed).testNll).toBe(read(straight).testNll);
  }, 240_000);

  it("a --target (reverse KL) run killed with kill -9 resumes to the uninterrupted run's figures", async () => {
    const args = [
      'train',
      '--target',
      'banana',
      '--train-size',
      '150000',
      '--batch-size',
      '300',
      '--test-size',
      '3000',
      '--layers',
      '2',
      '--hidden',
      '8',
      '--lr',
      '0.01',
      '--checkpoint-every',
      '100',
      '--backend',
      'cpu',
      '--quiet',
    ];
    const straight = join(temp(), 'straight');
    expect((await run([...args, '--out', straight]).done).code).toBe(0);
    const killed = join(temp(), 'killed');
    await killAfterFirstCheckpoint([...args, '--out', killed], killed);
    const resumed = await run([...args, '--out', killed, '--resume']).done;
    expect(resumed.code).toBe(0);
    expect(resumed.output).toMatch(/resuming after step \d+ of 500/);
    const read = (dir: string) => JSON.parse(readFileSync(join(dir, 'metrics.json'), 'utf8'));
    expect(read(killed).kl).toBe(read(straight).kl);
    expect(read(killed).steps).toBe(500);
  }, 240_000);
});
