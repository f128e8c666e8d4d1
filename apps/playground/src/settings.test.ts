import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, FLOW_KINDS, SettingsError, settingApplies, settingsFromQuery, settingsToQuery } from './settings.js';

describe('settings from the address bar', () => {
  it('read every documented parameter over the defaults', () => {
    const settings = settingsFromQuery(
      '?data=chequerboard&flow=spline&layers=6&hidden=32,32,32&steps=500&seed=3&backend=wasm&autostart=1&lr=0.005&batch=256&mask=half&bins=12',
    );
    expect(settings).toEqual({
      data: 'chequerboard',
      flow: 'spline',
      layers: 6,
      hidden: [32, 32, 32],
      steps: 500,
      seed: 3,
      backend: 'wasm',
      autostart: true,
      learningRate: 0.005,
      batchSize: 256,
      mask: 'half',
      bins: 12,
      solverSteps: 8,
    });
    expect(settingsFromQuery('')).toEqual(DEFAULT_SETTINGS);
  });

  it('round-trip through the query string', () => {
    const settings = { ...DEFAULT_SETTINGS, data: 'rings', layers: 4, hidden: [16], autostart: true };
    expect(settingsFromQuery(settingsToQuery(settings))).toEqual(settings);
  });

  it('name the parameter and what was expected when a value is wrong', () => {
    expect(() => settingsFromQuery('layers=0')).toThrow(SettingsError);
    expect(() => settingsFromQuery('layers=0')).toThrow(/layers: expected a whole number from 1 to 64, got '0'/);
    expect(() => settingsFromQuery('flow=glow')).toThrow(/flow: expected one of realnvp, nice, maf, spline, cnf, got 'glow'/);
    expect(() => settingsFromQuery('hidden=64,x')).toThrow(/hidden: .*got 'x'/);
    expect(() => settingsFromQuery('stpes=10')).toThrow(/stpes: unknown parameter/);
    expect(() => settingsFromQuery('mask=checkerboard')).toThrow(/mask: expected one of alternating, half, random/);
    expect(() => settingsFromQuery('solver-steps=0')).toThrow(/solver-steps: expected a whole number from 1 to 256, got '0'/);
  });

  it('take the continuous flow and its solver steps, and say which settings apply to which flow', () => {
    const settings = settingsFromQuery('data=two-gaussians&flow=cnf&hidden=64,64&solver-steps=12');
    expect(settings).toMatchObject({ flow: 'cnf', hidden: [64, 64], solverSteps: 12 });
    expect(settingsFromQuery(settingsToQuery(settings))).toEqual(settings);
    expect(FLOW_KINDS).toContain('cnf');
    const applying = (flow: (typeof FLOW_KINDS)[number]) => (['layers', 'mask', 'bins', 'solverSteps'] as const).filter((s) => settingApplies(s, flow));
    expect(applying('cnf')).toEqual(['solverSteps']);
    expect(applying('realnvp')).toEqual(['layers', 'mask']);
    expect(applying('spline')).toEqual(['layers', 'mask', 'bins']);
  });
});
