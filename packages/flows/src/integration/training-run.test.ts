import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Random } from '@flows/core';
import { afterEach, describe, expect, it } from 'vitest';
import { realNVP } from '@flows/builders';
import { Adam } from '@flows/optimizers';
import { TrainingRun, TrainingRunError } from '@flows/training';

type Row = { epoch: number; validation?: number };
const score = (row: Row) => row.validation;

const directories: string[] = [];
async function directory(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'flows-run-'));
  directories.push(dir);
  return dir;
}
afterEach(async () => {
  for (const dir of directories.splice(0)) await rm(dir, { recursive: true, force: true });
});

describe('TrainingRun', () => {
  it('keeps the best model by score, checkpoints atomically and resumes with its rows, state and settings', async () => {
    const dir = await directory();
    const settings = { layers: 2, epochs: 3 };
    const run = await TrainingRun.open<ReturnType<typeof realNVP>, typeof settings, Row>({ directory: dir, settings });
    expect(run.resumed).toBeNull();
    expect(run.startEpoch).toBe(0);
    const model = realNVP({ size: 2, layers: 2, hidden: [4], seed: 1 });
    const optimizer = new Adam(model.trainableVariables, { learningRate: 0.01 });
    const random = new Random(5);
    expect(await run.record({ epoch: 1, validation: 2.0 }, { model, score })).toBe(true);
    expect(await run.record({ epoch: 2, validation: 2.5 }, { model, score })).toBe(false);
    expect(run.patienceExhausted(score, 1)).toBe(true);
    expect(run.patienceExhausted(score, 2)).toBe(false);
    random.nextUint32();
    await run.checkpoint({ model, optimizer, random, epoch: 2, extra: { seconds: 12 } });

    const resumed = await TrainingRun.open<ReturnType<typeof realNVP>, typeof settings, Row>({
      directory: dir,
      settings: { layers: 2, epochs: 5 },
      resume: true,
      mayChange: ['epochs'],
    });
    expect(resumed.startEpoch).toBe(2);
    expect(resumed.rows).toEqual([
      { epoch: 1, validation: 2.0 },
      { epoch: 2, validation: 2.5 },
    ]);
    expect(resumed.saved<number>('seconds')).toBe(12);
    expect(Random.fromState(resumed.resumed!.randomState).nextUint32()).toBe(random.nextUint32());
    expect(resumed.best(score)).toEqual({ epoch: 1, validation: 2.0 });
    const best = await resumed.loadBestModel();
    expect(best.variables.length).toBe(model.variables.length);
    best.dispose();
    resumed.resumed!.model.dispose();
    optimizer.dispose();
    model.dispose();
  });

  it('refuses a resume with other settings, naming each, or continues with the checkpoint’s where allowed', async () => {
    const dir = await directory();
    const model = realNVP({ size: 2, layers: 2, hidden: [4], seed: 1 });
    const optimizer = new Adam(model.trainableVariables);
    const run = await TrainingRun.open({ directory: dir, settings: { layers: 2, lr: 0.01 } });
    await run.checkpoint({ model, optimizer, random: new Random(1), epoch: 1 });
    const refused = TrainingRun.open({ directory: dir, settings: { layers: 3, lr: 0.01 }, resume: true, settingNames: { layers: '--layers' } });
    await expect(refused).rejects.toThrow(TrainingRunError);
    await expect(refused).rejects.toThrow(/options differ from the checkpointed run: --layers 3 \(checkpoint: 2\)/);
    const kept = await TrainingRun.open({
      directory: dir,
      settings: { layers: 3, lr: 0.02 },
      resume: true,
      onSettingChanges: 'keep-checkpoint',
      checkpointWins: ['layers'],
    });
    expect(kept.settingChanges).toEqual(['layers 3 (checkpoint: 2)', 'lr 0.02 (checkpoint: 0.01)']);
    expect(kept.settings).toEqual({ layers: 2, lr: 0.02 });
    kept.resumed!.model.dispose();
    await expect(TrainingRun.open({ directory: join(dir, 'elsewhere'), settings: {}, resume: true })).rejects.toThrow(/no checkpoint in/);
    const fresh = await TrainingRun.open({ directory: join(dir, 'elsewhere'), settings: {}, resume: 'if-present' });
    expect(fresh.resumed).toBeNull();
    optimizer.dispose();
    model.dispose();
  });
});
