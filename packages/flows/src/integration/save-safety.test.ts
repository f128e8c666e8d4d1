import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
// Loading the writers' Real NVP models rebuilds their bijectors from the registry, which
// @flows/bijectors fills when it is imported.
import '@flows/bijectors';
import { loadModel } from '@flows/model-files';

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const temp = () => mkdtempSync(join(tmpdir(), 'flows-save-'));

/** Runs a Node script (ESM, from the package's directory so that its imports resolve) and collects its output. */
function runScript(code: string, wrapper: string[] = []): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const command = [...wrapper, process.execPath, '--input-type=module', '-e', code];
    const child = spawn(command[0], command.slice(1), { cwd: packageRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('close', (exit) => resolve({ code: exit ?? 1, output }));
  });
}

describe('saving and loading, nothing lost', () => {
  it('two processes saving into one directory 120 times each, with a reader: every save and every load succeeds', async () => {
    const dir = join(temp(), 'model');
    const writer = (seed: number) => `
      import * as tf from '@tensorflow/tfjs-core';
      import { realNVP, saveModel } from './dist/index.js';
      await tf.setBackend('cpu');
      const model = realNVP({ size: 3, layers: 2, hidden: [8], seed: ${seed} });
      for (let i = 0; i < 120; i++) {
        model.trainableVariables[0].assign(tf.fill(model.trainableVariables[0].shape, i * 0.001 + ${seed}));
        await saveModel(model, ${JSON.stringify(dir)}, { writer: ${seed}, round: i });
      }
      console.log('writer ${seed} done');`;
    const reader = `
      import * as tf from '@tensorflow/tfjs-core';
      import { loadModel } from './dist/index.js';
      await tf.setBackend('cpu');
      let loads = 0, failures = [];
      const until = Date.now() + 60000;
      while (Date.now() < until) {
        try { (await loadModel(${JSON.stringify(dir)})).dispose(); loads++; }
        catch (e) { if (!/model directory not found|model\\.json not found/.test(e.message)) failures.push(e.message); }
        if (loads > 0 && (await import('node:fs')).existsSync(${JSON.stringify(dir)} + '/.done')) break;
      }
      console.log(JSON.stringify({ loads, failures: failures.slice(0, 3), failureCount: failures.length }));`;
    const readerRun = runScript(reader);
    const [a, b] = await Promise.all([runScript(writer(1)), runScript(writer(2))]);
    writeFileSync(join(dir, '.done'), '');
    const read = await readerRun;
    expect(a.output).toMatch(/writer 1 done/);
    expect(b.output).toMatch(/writer 2 done/);
    expect(a.code + b.code).toBe(0);
    const result = JSON.parse(read.output.trim().split('\n').pop()!);
    expect(result.failures).toEqual([]);
    expect(result.loads).toBeGreaterThan(0);
    const final = await loadModel(dir);
    final.dispose();
    // Nothing left over: the lock is gone and at most two generations of weights remain.
    const files = readdirSync(dir);
    expect(files.filter((f) => f.endsWith('.lock'))).toEqual([]);
    expect(files.filter((f) => f.endsWith('.bin')).length).toBeLessThanOrEqual(2);
  }, 180_000);
});

// A save that runs out of room: a file system of 64 KiB (a tmpfs mounted in a mount namespace of
// its own, where that is allowed), and a file size limit (ulimit -f, which needs nothing).
const canMountTmpfs = process.platform === 'linux' && spawnSync('unshare', ['-rm', 'sh', '-c', 'mount -t tmpfs -o size=64k tmpfs "$0"', temp()]).status === 0;
if (!canMountTmpfs) console.log('note: the ENOSPC test is skipped: it needs unshare and a mount namespace that may mount a tmpfs');
const canLimitFileSize = process.platform === 'linux' && spawnSync('bash', ['-c', 'ulimit -f 16']).status === 0;

describe('a save that cannot be written names the file and the fix', () => {
  const saver = (dir: string) => `
    import * as tf from '@tensorflow/tfjs-core';
    import { realNVP, saveModel } from './dist/index.js';
    await tf.setBackend('cpu');
    const model = realNVP({ size: 8, layers: 4, hidden: [256], seed: 1 });
    try {
      await saveModel(model, ${JSON.stringify(dir)});
      console.log('saved');
    } catch (error) {
      console.log('message: ' + error.message + ' code: ' + error.code);
    }
    console.log('left: ' + (await import('node:fs')).readdirSync(${JSON.stringify(dir)}).join(','));`;

  it.runIf(canMountTmpfs)(
    'ENOSPC: a full disk',
    async () => {
      const dir = join(temp(), 'model');
      const script = saver(dir);
      const result = await runScript(`${script}`, ['unshare', '-rm', 'sh', '-c', `mkdir -p "$0" && mount -t tmpfs -o size=64k tmpfs "$0" && exec "$@"`, dir]);
      expect(result.output).not.toMatch(/saved/);
      expect(result.output).toMatch(
        new RegExp(
          `message: cannot write ${dir}/weights-[0-9a-f]{8}\\.bin: no space left on the device \\(ENOSPC\\); free space there or save to another folder code: ENOSPC`,
        ),
      );
      expect(result.output).not.toMatch(/message: .*\.tmp-/);
      // Nothing half-written is left, and the lock is gone.
      expect(result.output).toMatch(/left: $/m);
    },
    60_000,
  );

  it.runIf(canLimitFileSize)(
    'EFBIG: a file size limit',
    async () => {
      const dir = join(temp(), 'model');
      const result = await runScript(saver(dir), ['bash', '-c', `trap '' XFSZ; ulimit -f 16; exec "$@"`, 'limited']);
      expect(result.output).not.toMatch(/saved/);
      expect(result.output).toMatch(
        new RegExp(
          `message: cannot write ${dir}/weights-[0-9a-f]{8}\\.bin: the file is larger than this file system or a size limit \\(ulimit -f\\) allows \\(EFBIG\\).* code: EFBIG`,
        ),
      );
      expect(result.output).toMatch(/left: $/m);
    },
    60_000,
  );
});
