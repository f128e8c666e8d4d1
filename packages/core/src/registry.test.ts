import { describe, expect, it } from 'vitest';
import { Bijector, zeroLogDet } from './bijector.js';
import { bijectorFromJSON, registerBijector, registeredBijectors } from './bijector-registry.js';
import { ConfigError } from './errors.js';
import { isRegistered, moduleFromJSON, readSerialized, registeredModules, registerModule, registerModuleFactory } from './registry.js';
import type * as tf from '@tensorflow/tfjs-core';

class Identity extends Bijector<{ tag: string }> {
  static override readonly className: string = 'RegistryTestIdentity';
  readonly eventShape = null;
  constructor(readonly tag = 'plain') {
    super();
  }
  getConfig(): { tag: string } {
    return { tag: this.tag };
  }
  static fromConfig(config: { tag: string }): Identity {
    return new Identity(config.tag);
  }
  protected forwardImpl(x: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
    return [x.clone(), zeroLogDet(x)];
  }
  protected override inverseImpl(y: tf.Tensor): [tf.Tensor, tf.Tensor1D] {
    return [y.clone(), zeroLogDet(y)];
  }
}

describe('the registry', () => {
  it('registers a class under its static className and rebuilds it from its JSON', () => {
    registerBijector(Identity);
    expect(registeredBijectors()).toContain('RegistryTestIdentity');
    expect(isRegistered('bijector', 'RegistryTestIdentity')).toBe(true);
    // Names are per kind: the same name is free for a distribution.
    expect(isRegistered('distribution', 'RegistryTestIdentity')).toBe(false);
    const rebuilt = bijectorFromJSON(new Identity('saved').toJSON());
    expect(rebuilt).toBeInstanceOf(Identity);
    expect((rebuilt as Identity).tag).toBe('saved');
  });

  it('refuses a second registration of a name unless told to override it', () => {
    registerModuleFactory('model', 'RegistryTestModel', () => 1);
    expect(() => registerModuleFactory('model', 'RegistryTestModel', () => 2)).toThrow(/already registered/);
    registerModuleFactory('model', 'RegistryTestModel', () => 2, { override: true });
    expect(moduleFromJSON('model', { className: 'RegistryTestModel', config: {} })).toBe(2);
    expect(registeredModules('model')).toContain('RegistryTestModel');
  });

  it('names what is wrong with a serialized module and what is registered', () => {
    expect(() => moduleFromJSON('conditioner', { className: 'Nowhere', config: {} })).toThrow(/unknown conditioner class 'Nowhere'.*Import the package/);
    expect(() => readSerialized(null, 'bijector')).toThrow(ConfigError);
    expect(() => readSerialized({ config: {} }, 'bijector')).toThrow(/needs a string 'className'/);
    expect(() => readSerialized({ className: 'X' }, 'bijector')).toThrow(/needs a 'config' object/);
    expect(() => registerModule('bijector', { className: '', fromConfig: () => null })).toThrow(/non-empty string/);
  });

  it('rejects a factory that does not make a bijector', () => {
    registerBijector('RegistryTestNotABijector', () => ({}) as unknown as Bijector);
    expect(() => bijectorFromJSON({ className: 'RegistryTestNotABijector', config: {} })).toThrow(/did not return a Bijector/);
  });
});
