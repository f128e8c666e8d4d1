import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from './args.js';
import { modelReference, modelReferenceHelp } from './model-reference.js';

describe('modelReference', () => {
  it('a path is kept; pretrained:NAME is the shipped folder; an unknown name is a usage error in the flag the app gives', () => {
    expect(modelReference('runs/toy/model')).toBe('runs/toy/model');
    const folder = modelReference('pretrained:two-gaussians-realnvp');
    expect(folder).toMatch(/pretrained[/\\]models[/\\]two-gaussians-realnvp[/\\]?$/);
    expect(existsSync(join(folder, 'model.json'))).toBe(true);
    expect(() => modelReference('pretrained:nope', '--prior')).toThrow(UsageError);
    expect(() => modelReference('pretrained:nope', '--prior')).toThrow(
      /^--prior: no pretrained model is called 'nope'; the shipped models are two-gaussians-realnvp/,
    );
    expect(() => modelReference('pretrained:../../../etc')).toThrow(/--model: no pretrained model is called that name/);
    expect(modelReferenceHelp()).toMatch(/pretrained:NAME .*chequerboard-cnf/);
  });
});
