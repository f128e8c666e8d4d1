import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { realNVP } from '@flows/builders';
import { modelFiles } from '@flows/model-files';
import { describe, expect, it } from 'vitest';

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Loading a model rebuilds its classes from the registry, which each package fills when it is
 * imported. A bundler keeps only the modules a page uses (the packages declare which have side
 * effects), so a page that takes nothing but `modelFromFiles` from the umbrella would lose the
 * bijectors' registrations unless the umbrella itself imports them.
 */
describe('the umbrella registers the built-in classes', () => {
  it('a bundle that takes only modelFromFiles from @flows/flows rebuilds a Real NVP from its files', async () => {
    const flow = realNVP({ size: 2, layers: 2, hidden: [4], seed: 1 });
    const { files } = await modelFiles(flow);
    const expected = tf.tidy(() => flow.logProb(tf.tensor2d([[0.5, -1]])).dataSync()[0]);
    flow.dispose();
    // Inside the package, so that the bundle's external @tensorflow imports resolve as a user's would.
    const dir = mkdtempSync(join(packageRoot, 'node_modules', '.registrations-'));
    try {
      for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
      const script = `
        import { readdirSync, readFileSync } from 'node:fs';
        import { join } from 'node:path';
        import * as tf from '@tensorflow/tfjs-core';
        import { modelFromFiles } from '@flows/flows';
        const dir = ${JSON.stringify(dir)};
        const files = Object.fromEntries(
          readdirSync(dir)
            .filter((name) => name !== 'load.mjs')
            .map((name) => [name, name.endsWith('.json') ? readFileSync(join(dir, name), 'utf8') : new Uint8Array(readFileSync(join(dir, name)))]),
        );
        const flow = modelFromFiles(files);
        console.log(flow.logProb(tf.tensor2d([[0.5, -1]])).dataSync()[0]);`;
      const { build } = await import('esbuild');
      const result = await build({
        stdin: { contents: script, resolveDir: packageRoot, sourcefile: 'load.mjs' },
        bundle: true,
        format: 'esm',
        platform: 'node',
        target: 'es2022',
        external: ['@tensorflow/*'],
        outfile: join(dir, 'load.mjs'),
        logLevel: 'silent',
      });
      expect(result.errors).toEqual([]);
      const run = spawnSync(process.execPath, [join(dir, 'load.mjs')], { encoding: 'utf8' });
      expect(run.stderr).not.toMatch(/unknown bijector class/);
      expect(run.status).toBe(0);
      expect(Number(run.stdout.trim())).toBeCloseTo(expected, 5);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
