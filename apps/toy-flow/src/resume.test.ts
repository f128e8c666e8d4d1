// A continuous flow's checkpoint from before --objective existed (flow matching was then the only
// way it trained) resumes as flow matching, and is refused another objective by name.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Random } from '@flows/core';
import { Adam, saveCheckpoint, selectBackend } from '@flows/flows';
import { beforeAll, describe, expect, it } from 'vitest';
import { continuousToyFlow } from './continuous-toy-flow.js';
import { checkpointSetting, openToyRun } from './resume.js';

beforeAll(async () => {
  await selectBackend({ backend: 'cpu' });
});

async function checkpointWith(settings: Record<string, unknown>): Promise<string> {
  const out = mkdtempSync(join(tmpdir(), 'toy-flow-resume-'));
  const model = continuousToyFlow({ size: 2, hidden: [4], seed: 0 });
  const optimizer = new Adam(model.trainableVariables, { learningRate: 1e-3 });
  await saveCheckpoint(join(out, 'checkpoint'), {
    model,
    optimizerState: await optimizer.readState(),
    randomState: new Random(1).getState(),
    epoch: 0,
    extra: { settings, history: [] },
  });
  optimizer.dispose();
  model.dispose();
  return out;
}

describe('openToyRun', () => {
  it('fills a setting that an older checkpoint lacks with the value it ran with, and refuses another by name', async () => {
    const out = await checkpointWith({ flow: 'cnf', hidden: [4] });
    expect(await checkpointSetting(out, 'objective')).toBeUndefined();
    const older = { objective: 'flow-matching' };
    const run = await openToyRun(out, { flow: 'cnf', hidden: [4], objective: 'flow-matching' }, true, [], older);
    expect(run.resumed).not.toBeNull();
    expect(run.settings).toMatchObject({ objective: 'flow-matching' });
    run.resumed?.model.dispose();
    await expect(openToyRun(out, { flow: 'cnf', hidden: [4], objective: 'likelihood' }, true, [], older)).rejects.toThrow(
      /--resume: options differ from the checkpointed run: objective likelihood \(checkpoint: flow-matching\); give them as they were/,
    );
    // Without the older default the missing setting is a difference, as before.
    await expect(openToyRun(out, { flow: 'cnf', hidden: [4], objective: 'flow-matching' }, true, [])).rejects.toThrow(
      /objective flow-matching \(checkpoint: unset\)/,
    );
  });

  it('reads a setting a checkpoint records, and nothing from a folder without one', async () => {
    const out = await checkpointWith({ flow: 'cnf', hidden: [4], objective: 'likelihood' });
    expect(await checkpointSetting(out, 'objective')).toBe('likelihood');
    expect(await checkpointSetting(join(out, 'nowhere'), 'objective')).toBeUndefined();
    const changed = openToyRun(out, { flow: 'cnf', hidden: [8], objective: 'likelihood' }, true, []);
    await expect(changed).rejects.toThrow(/hidden 8 \(checkpoint: 4\)/);
  });
});
