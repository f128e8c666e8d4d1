import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { configureRuntime, runtimeSettings } from './runtime-settings.js';
import { assertFinite } from './validation.js';

describe('runtime settings', () => {
  it('start at the defaults and return the previous values on a change, for restoring', () => {
    expect(runtimeSettings()).toEqual({ finiteChecks: true, denseGradients: 'explicit-transpose', fusedKernels: true });
    const before = configureRuntime({ denseGradients: 'autodiff' });
    expect(runtimeSettings().denseGradients).toBe('autodiff');
    configureRuntime(before);
    expect(runtimeSettings().denseGradients).toBe('explicit-transpose');
  });

  it('reject unknown settings and bad values, naming them', () => {
    expect(() => configureRuntime({ finiteCheck: false } as never)).toThrow(/unknown setting 'finiteCheck'/);
    expect(() => configureRuntime({ denseGradients: 'fast' } as never)).toThrow(/denseGradients must be one of/);
    expect(() => configureRuntime({ finiteChecks: 'no' } as never)).toThrow(/true or false/);
    expect(runtimeSettings().finiteChecks).toBe(true);
  });

  it('switch the finite checks of public inputs', () => {
    const bad = tf.tensor1d([1, Number.NaN]);
    expect(() => assertFinite(bad, 'test')).toThrow(/NaN/);
    const before = configureRuntime({ finiteChecks: false });
    expect(() => assertFinite(bad, 'test')).not.toThrow();
    configureRuntime(before);
    bad.dispose();
  });
});
