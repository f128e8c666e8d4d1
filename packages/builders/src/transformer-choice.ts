import { ConfigError, isRegistered, type Serialized } from '@flows/core';
import { GatedTransformer, LogisticMixtureTransformer, registeredTransformers, type Transformer, transformerFromJSON } from '@flows/bijectors';
import { RationalQuadraticSpline, registerSplineBijectors } from '@flows/bijector-spline';

/**
 * The transformer of a coupling or autoregressive builder: the elementwise map `g(·; θ)` whose
 * parameters θ each layer's network computes.
 *
 * - `'affine'` (the default): Real NVP's masked affine coupling, `MaskedAffineCoupling`, the
 *   layer the fused kernels run (tanh-bounded scale: `scaleTanh`, `learnableScaleFactor`); in an
 *   autoregressive layer the `AffineTransformer` of MAF and IAF;
 * - `'additive'`: NICE's shift, `AdditiveCoupling` / `AdditiveTransformer` (volume-preserving);
 * - `'spline'`: the rational-quadratic spline of neural spline flows, `SplineCoupling` /
 *   `SplineAutoregressive` of `@flows/bijector-spline` (`bins`, `bound`);
 * - `'gated'`: IAF's gated update, `GatedTransformer`;
 * - `'logistic-mixture'`: Flow++'s logistic-mixture CDF, `LogisticMixtureTransformer` with its
 *   defaults (4 components; another count by its saved form,
 *   `{ className: 'LogisticMixtureTransformer', config: { components: 8 } }`);
 * - any other registered transformer, by class name (`'RationalQuadraticSpline'`) or saved form
 *   (`{ className, config }`), or a `Transformer` object: a plugin's transformer goes in the
 *   general `TransformerCoupling` / `MaskedAutoregressive` / `InverseAutoregressive` layers. An
 *   object is shared by every layer: transformers hold no weights (their parameters come from
 *   each layer's own network).
 */
export type TransformerChoice = 'affine' | 'additive' | 'spline' | 'gated' | 'logistic-mixture' | (string & {}) | Serialized | Transformer;

/** The short names that choose a built-in transformer. */
export const TRANSFORMER_NAMES = ['affine', 'additive', 'spline', 'gated', 'logistic-mixture'] as const;

/** Options that only one named transformer takes, so that a misplaced one is named, not ignored. */
const OWN_OPTIONS: Record<string, readonly string[]> = {
  affine: ['scaleTanh', 'learnableScaleFactor'],
  spline: ['bins', 'bound'],
};

/** A resolved choice: one of the named transformers, or a transformer for the general layers. */
export type ResolvedTransformer = { name: 'affine' | 'additive' | 'spline' } | { name: 'general'; make: () => Transformer };

function isTransformer(value: object): value is Transformer {
  const candidate = value as Partial<Transformer>;
  return typeof candidate.forward === 'function' && typeof candidate.inverse === 'function' && typeof candidate.parameterCount === 'number';
}

/**
 * Resolves a builder's `transformer` option and checks that the options only one named transformer
 * takes (`scaleTanh`, `bins`, …) are not given with another.
 */
export function resolveTransformer(options: object, who: string): ResolvedTransformer {
  const given = options as Record<string, unknown>;
  const choice = (given.transformer ?? 'affine') as TransformerChoice;
  const name: string = typeof choice === 'string' && (TRANSFORMER_NAMES as readonly string[]).includes(choice) ? choice : 'general';
  for (const [owner, names] of Object.entries(OWN_OPTIONS)) {
    for (const option of names) {
      if (given[option] !== undefined && owner !== name) {
        const hint = name === 'general' ? ' (a registered transformer takes its settings in its saved form, { className, config })' : '';
        throw new ConfigError(`${who}: ${option} is an option of the ${owner} transformer; the transformer here is ${describeChoice(choice)}${hint}`);
      }
    }
  }
  if (name === 'affine' || name === 'additive' || name === 'spline') {
    // A flow of spline layers loads where it was built: its classes are registered with it.
    if (name === 'spline') registerSplineBijectors();
    return { name } as ResolvedTransformer;
  }
  if (choice === 'gated') return { name: 'general', make: () => new GatedTransformer() };
  if (choice === 'logistic-mixture') return { name: 'general', make: () => new LogisticMixtureTransformer() };
  if (typeof choice === 'string') {
    if (choice === RationalQuadraticSpline.className) registerSplineBijectors();
    if (!isRegistered('transformer', choice)) {
      throw new ConfigError(
        `${who}: unknown transformer '${choice}'; expected ${TRANSFORMER_NAMES.join(', ')}, a registered transformer (${registeredTransformers().join(', ')}), its saved form { className, config }, or a Transformer object`,
      );
    }
    return { name: 'general', make: () => transformerFromJSON({ className: choice, config: {} }) };
  }
  if (typeof choice !== 'object' || choice === null) {
    throw new ConfigError(`${who}: transformer must be a name, a saved form { className, config } or a Transformer object, got ${String(choice)}`);
  }
  if (isTransformer(choice)) return { name: 'general', make: () => choice };
  const saved = choice as Serialized;
  if (saved.className === RationalQuadraticSpline.className) registerSplineBijectors();
  // Built once here, so that a bad saved form is refused before any layer exists.
  transformerFromJSON(saved);
  return { name: 'general', make: () => transformerFromJSON(saved) };
}

function describeChoice(choice: TransformerChoice): string {
  if (typeof choice === 'string') return `'${choice}'`;
  return `'${(choice as { className?: string }).className ?? 'an object'}'`;
}
