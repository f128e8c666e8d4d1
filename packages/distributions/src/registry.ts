import { bijectorFromJSON, ConfigError } from '@flows/bijectors';
import type { Distribution, SerializedDistribution } from './distribution.js';
import { Bernoulli } from './bernoulli.js';
import { ConditionalDiagonalNormal } from './conditional-distribution.js';
import { DiscretizedLogistic, MixtureOfDiscretizedLogistics } from './discretized-logistic.js';
import { Logistic } from './logistic.js';
import { MixtureOfGaussians } from './mixture-of-gaussians.js';
import { DiagonalNormal, StandardNormal } from './normal.js';
import { TransformedDistribution } from './transformed-distribution.js';
import { Uniform } from './uniform.js';

export type DistributionFactory = (config: Record<string, unknown>) => Distribution;

const factories = new Map<string, DistributionFactory>();
let builtinsRegistered = false;

// Registered on first use rather than at import, so the package has no import side effects.
function ensureBuiltins(): void {
  if (builtinsRegistered) return;
  builtinsRegistered = true;
  factories.set('StandardNormal', StandardNormal.fromConfig);
  factories.set('DiagonalNormal', DiagonalNormal.fromConfig);
  factories.set('Uniform', Uniform.fromConfig);
  factories.set('MixtureOfGaussians', MixtureOfGaussians.fromConfig);
  factories.set('Logistic', Logistic.fromConfig);
  factories.set('Bernoulli', Bernoulli.fromConfig);
  factories.set('DiscretizedLogistic', DiscretizedLogistic.fromConfig);
  factories.set('MixtureOfDiscretizedLogistics', MixtureOfDiscretizedLogistics.fromConfig);
  factories.set('ConditionalDiagonalNormal', ConditionalDiagonalNormal.fromConfig);
  factories.set('TransformedDistribution', (config) => new TransformedDistribution(distributionFromJSON(config.base), bijectorFromJSON(config.bijector)));
}

/** Makes a distribution class known to {@link distributionFromJSON}. */
export function registerDistribution(className: string, factory: DistributionFactory, options: { override?: boolean } = {}): void {
  ensureBuiltins();
  if (factories.has(className) && !options.override) throw new ConfigError(`registerDistribution: '${className}' is already registered`);
  factories.set(className, factory);
}

/** Rebuilds a distribution (fresh variables) from `{ className, config }`. */
export function distributionFromJSON(serialized: unknown): Distribution {
  ensureBuiltins();
  const { className, config } = (serialized ?? {}) as Partial<SerializedDistribution>;
  if (typeof className !== 'string' || typeof config !== 'object' || config === null) {
    throw new ConfigError(`a serialized distribution needs 'className' and 'config', got ${JSON.stringify(serialized)?.slice(0, 200)}`);
  }
  const factory = factories.get(className);
  if (!factory) throw new ConfigError(`unknown distribution class '${className}'; registered: ${[...factories.keys()].sort().join(', ')}`);
  return factory(config);
}
