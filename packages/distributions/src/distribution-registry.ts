import { kindRegistry, type ModuleFactory } from '@flows/core';
import { Distribution } from './distribution.js';

/** Rebuilds a distribution from its `getConfig()` output. */
export type DistributionFactory = ModuleFactory<Distribution>;

const distributions = kindRegistry<Distribution>('distribution', (value): value is Distribution => value instanceof Distribution, 'Distribution');

/**
 * Makes a distribution class known to {@link distributionFromJSON} under its static `className`
 * (`registerDistribution(VampPrior)`), or a factory under a name. This package registers its own
 * distributions when it is imported. Registering a name twice throws unless `override` is set.
 */
export const registerDistribution = distributions.register;

/** Names of every registered distribution class, sorted. */
export const registeredDistributions = distributions.registered;

/** Rebuilds a distribution (fresh variables) from `{ className, config }`. */
export const distributionFromJSON = distributions.fromJSON;
