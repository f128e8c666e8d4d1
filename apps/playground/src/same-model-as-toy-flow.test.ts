import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { registerSplineBijectors } from '@flows/bijector-spline';
import { parseNumericCsv } from '@flows/cli-kit/csv';
import { selectBackend } from '@flows/flows';
import { beforeAll, describe, expect, it } from 'vitest';
import { PlaygroundSession } from './session.js';
import { DEFAULT_SETTINGS, type FlowKind, type PlaygroundSettings } from './settings.js';

/**
 * The playground and `toy-flow train` build their model with one function (`toyFlow` of
 * `@flows/builders`; a continuous flow by the playground's `playgroundContinuousFlow`, which spells
 * toy-flow's `continuousToyFlow` again, and the same flow-matching loss on the run's generator), schedule its learning rate with one rule (`toyScheduleOptions`) and place
 * their pictures with one window rule (`plotRangeAround` of `@flows/datasets`): the same settings,
 * seed and data give the same files. toy-flow runs as its users run it, a process of its built CLI
 * on the cpu backend; the playground's session (what its Web Worker runs) trains here, on cpu too.
 */
const toyFlowCli = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'toy-flow', 'dist', 'cli.js');
const run = promisify(execFile);

beforeAll(async () => {
  if (!existsSync(toyFlowCli)) throw new Error(`${toyFlowCli} is missing: build toy-flow first (pnpm --filter @flows/toy-flow build)`);
  await selectBackend({ backend: 'cpu' });
  registerSplineBijectors();
});

/** `toy-flow train` with the playground's settings, into a fresh folder; its metrics.json. */
async function toyFlowTrain(settings: PlaygroundSettings, data: string, extra: string[] = []): Promise<{ out: string; metrics: Record<string, unknown> }> {
  const out = mkdtempSync(join(tmpdir(), 'playground-and-toy-flow-'));
  const args = [
    ...['train', '--data', data, '--out', out, '--flow', settings.flow, '--layers', String(settings.layers), '--hidden', settings.hidden.join(',')],
    ...['--mask', settings.mask, '--bins', String(settings.bins), '--lr', String(settings.learningRate), '--batch-size', String(settings.batchSize)],
    ...['--steps', String(settings.steps), '--seed', String(settings.seed), '--backend', 'cpu', '--quiet', ...extra],
  ];
  await run(process.execPath, [toyFlowCli, ...args], { timeout: 240_000 });
  return { out, metrics: JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')) };
}

/** A saved model's files by name, as the playground's export gives them. */
function savedFiles(folder: string): Record<string, string | Uint8Array> {
  return Object.fromEntries(
    readdirSync(folder).map((name) => [
      name,
      name === 'model.json' ? readFileSync(join(folder, name), 'utf8') : new Uint8Array(readFileSync(join(folder, name))),
    ]),
  );
}

/**
 * A model.json without the two fields that say who wrote it: `metadata` (the app, the data set and
 * the app's own settings: `app` is what a command reads to tell another app's model) and the
 * checksum of the description over it. Everything else (format, model, weights) is kept as written.
 */
function withoutAuthor(text: string): string {
  const { metadata, descriptionChecksum, ...rest } = JSON.parse(text);
  expect(metadata.app).toMatch(/^(toy-flow|playground)$/);
  expect(descriptionChecksum).toEqual(expect.any(String));
  return JSON.stringify(rest, null, 1);
}

describe('the playground and toy-flow', () => {
  it.each(['realnvp', 'spline', 'cnf'] as FlowKind[])(
    'train the same %s model from the same settings, seed and toy: the same weights and description, in the same window',
    async (flow) => {
      const settings: PlaygroundSettings = {
        ...DEFAULT_SETTINGS,
        flow,
        layers: 2,
        hidden: [8],
        bins: 4,
        batchSize: 100,
        steps: 40,
        learningRate: 5e-3,
        seed: 3,
      };
      // toy-flow in two checkpointed segments, the playground in chunks of its own: neither changes the numbers.
      // (--layers, --mask and --bins go to toy-flow for cnf too: it ignores them, as the playground does.)
      const toyFlow = toyFlowTrain(settings, 'two-gaussians', ['--train-size', '4000', '--test-size', '1000', '--checkpoint-every', '25']);
      const session = new PlaygroundSession(settings, { kind: 'toy', name: 'two-gaussians' });
      for (const chunk of [17, 23]) await session.train(chunk);
      const exported = await session.exportFiles();
      const { out, metrics } = await toyFlow;
      const saved = savedFiles(join(out, 'model'));
      expect(Object.keys(exported).sort()).toEqual(Object.keys(saved).sort());
      for (const [name, content] of Object.entries(saved)) {
        if (name === 'model.json') expect(withoutAuthor(exported[name] as string)).toBe(withoutAuthor(content as string));
        else expect(Buffer.from(exported[name] as Uint8Array).equals(Buffer.from(content as Uint8Array)), name).toBe(true);
      }
      expect(metrics.plotRange).toEqual(session.range);
      session.dispose();
    },
  );

  it('draw one CSV file in the same window, by one padding rule', async () => {
    const rows = Array.from({ length: 300 }, (_, i) => `${(0.002 * Math.sin(i)).toFixed(6)},${(40 + 3 * Math.cos(1.7 * i)).toFixed(4)}`);
    const text = `x,y\n${rows.join('\n')}\n`;
    const file = join(mkdtempSync(join(tmpdir(), 'playground-and-toy-flow-csv-')), 'points.csv');
    writeFileSync(file, text);
    const settings: PlaygroundSettings = { ...DEFAULT_SETTINGS, layers: 1, hidden: [4], batchSize: 100, steps: 3, seed: 1 };
    const { metrics } = await toyFlowTrain(settings, file);
    // The page reads a dropped CSV with the same parser.
    const table = parseNumericCsv(text, 'points.csv');
    const session = new PlaygroundSession(settings, { kind: 'points', name: 'points.csv', points: Float32Array.from(table.values) });
    expect(metrics.plotRange).toEqual(session.range);
    // Both pad a tenth of each side's extent: x spans 0.004, so its window is not a fixed ±0.5 around a dot.
    const [[x0, x1]] = session.range;
    expect(x1 - x0).toBeLessThan(0.01);
    session.dispose();
  });
});
