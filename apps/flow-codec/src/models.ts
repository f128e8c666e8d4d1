import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { modelIdentity } from '@flows/codec';
import {
  ConditionalMixtureOfDiscretizedLogistics,
  DiscretizedLogistic,
  type Distribution,
  FactorOutDistribution,
  MixtureOfDiscretizedLogistics,
  TransformedDistribution,
} from '@flows/distributions';
import { Chain, IntegerAdditiveCoupling, Permute } from '@flows/bijectors';
import { loadCheckpoint, loadModel, type Saveable, serializeModel } from '@flows/flows';
import { type VAE, vaeFromJSON } from '@flows/vae-priors';
import { modelReference, UsageError } from '@flows/cli-kit';
import { compileIntegerFlow, movesOnly } from './idf-coding.js';
import { type CompiledFlow, compileFlow } from './flow-local-bits-back.js';

/**
 * A model the codec can code with: a VAE (bits-back coding of binarized images), an integer discrete
 * flow (8-bit images), or a continuous flow of dequantized, logit-preprocessed pixels (8-bit images
 * by local bits-back coding).
 */
export type CodecModel =
  | { kind: 'vae'; vae: VAE; identity: string; summary: string; dispose(): void }
  | { kind: 'idf'; flow: TransformedDistribution; identity: string; summary: string; dispose(): void }
  | { kind: 'flow'; flow: TransformedDistribution; compiled: CompiledFlow; logitAlpha: number; identity: string; summary: string; dispose(): void };

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** The model's identity for codec files: SHA-256 over its JSON description and its weights. */
export async function identityOf(model: Saveable): Promise<string> {
  const { json, weights } = await serializeModel(model);
  return modelIdentity(json.model, weights);
}

async function fromVae(vae: VAE, dir: string): Promise<CodecModel> {
  const options = vae.getConfig();
  return {
    kind: 'vae',
    vae,
    identity: await identityOf(vae),
    summary: `VAE (${String(options.prior)} prior, ${vae.latentSize} latents) from ${dir}`,
    dispose: () => vae.dispose(),
  };
}

/**
 * Loads what `--model DIR` names: a saved model (`model.json`, as `flow-codec train` writes it under
 * `<out>/model`), a checkpoint (`checkpoint.json`), or a run folder holding either (`vae-eval`'s
 * `<out>/<prior>/run-N`, whose checkpoint is the trained VAE), or `pretrained:NAME`: a model shipped in `@flows/pretrained`.
 */
export async function loadCodecModel(reference: string, flag = '--model'): Promise<CodecModel> {
  // A path, or pretrained:NAME for a model shipped in @flows/pretrained.
  const directory = modelReference(reference, flag);
  const candidates = [directory, join(directory, 'model'), join(directory, 'checkpoint')];
  for (const dir of candidates) {
    if (await exists(join(dir, 'model.json'))) {
      const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')) as {
        model?: { className?: string };
        metadata?: { view?: unknown; settings?: { dequantization?: unknown } };
      };
      if (json.metadata?.settings?.dequantization === 'variational') throw new UsageError(`--model ${dir}: ${VARIATIONAL_FLOW}`);
      // A VAE saved as a model (the shipped ones of @flows/pretrained), not as vae-eval's checkpoint.
      if (json.model?.className === 'VAE') return fromVae(await loadModel(dir, vaeFromJSON), dir);
      if (json.model?.className === 'ContinuousFlow')
        throw new UsageError(`--model ${dir}: this is a continuous-time flow (@flows/continuous), which flow-codec does not code; ${CODABLE_MODELS}`);
      return fromDistribution((await loadModel(dir)) as TransformedDistribution, dir, json.metadata?.view);
    }
    if (await exists(join(dir, 'checkpoint.json'))) {
      const json = JSON.parse(await readFile(join(dir, 'checkpoint.json'), 'utf8')) as { model?: { model?: { className?: string } } };
      if (json.model?.model?.className === 'VariationalDequantization') throw new UsageError(`--model ${dir}: ${VARIATIONAL_FLOW}`);
      if (json.model?.model?.className === 'VAE') return fromVae((await loadCheckpoint(dir, vaeFromJSON)).model, dir);
      return fromDistribution((await loadCheckpoint(dir)).model as TransformedDistribution, dir);
    }
  }
  throw new UsageError(`--model ${directory}: no model.json or checkpoint.json there (nor in its model/ or checkpoint/ folder)`);
}

/** The integer couplings of an integer flow (levels nested through factor-out), or null if it is not one the codec can code with. */
function integerCouplings(distribution: Distribution): IntegerAdditiveCoupling[] | null {
  if (distribution instanceof DiscretizedLogistic || distribution instanceof MixtureOfDiscretizedLogistics) return [];
  if (distribution instanceof FactorOutDistribution) {
    if (!(distribution.factored instanceof ConditionalMixtureOfDiscretizedLogistics)) return null;
    return integerCouplings(distribution.kept);
  }
  if (!(distribution instanceof TransformedDistribution)) return null;
  const layers = distribution.bijector instanceof Chain ? distribution.bijector.bijectors : [distribution.bijector];
  const couplings = layers.filter((layer) => layer instanceof IntegerAdditiveCoupling);
  // Permutations, squeezes and splits only move values: exact on integers too; anything else is a continuous density.
  if (!layers.every((layer) => layer instanceof IntegerAdditiveCoupling || layer instanceof Permute || movesOnly(layer))) return null;
  const inner = integerCouplings(distribution.base);
  return inner && [...couplings, ...inner];
}

/** The levels of an integer flow: one, plus one per factor-out. */
function levelCount(distribution: Distribution): number {
  if (distribution instanceof TransformedDistribution) return levelCount(distribution.base);
  if (distribution instanceof FactorOutDistribution) return 1 + levelCount(distribution.kept);
  return 1;
}

/** The factorised base at the bottom of an integer flow's levels. */
function innermostBase(distribution: Distribution): Distribution {
  if (distribution instanceof TransformedDistribution) return innermostBase(distribution.base);
  if (distribution instanceof FactorOutDistribution) return innermostBase(distribution.kept);
  return distribution;
}

/** The logit preprocessing's α that a saved model's metadata records (mnist-flow's `view`), or null. */
function logitAlphaOf(view: unknown): number | null {
  if (typeof view !== 'object' || view === null) return null;
  const { kind, alpha } = view as { kind?: unknown; alpha?: unknown };
  return kind === 'logit' && typeof alpha === 'number' && alpha > 0 && alpha < 0.5 ? alpha : null;
}

/**
 * Why a flow trained with Flow++'s learned noise is refused: local bits-back takes uniform noise in
 * each bin as its posterior, and such a flow put its mass where q put the noise (one trained for one
 * epoch scored 1.29 bits/dim by its bound and 2.43 with uniform noise).
 */
const VARIATIONAL_FLOW =
  "this flow was trained with variational dequantization (mnist-flow train --dequantization variational), and flow-codec's local bits-back coding takes uniform noise in each pixel's bin as its posterior, not the run's q: such a flow would code far above its bound; code with a flow trained with uniform noise (mnist-flow train --architecture multiscale, or pretrained:mnist-multiscale)";

/** The models flow-codec codes with, for errors about others. */
const CODABLE_MODELS =
  'lossless coding needs an integer discrete flow (flow-codec train), a VAE (vae-eval train), or a multi-scale flow of logit-preprocessed pixels (mnist-flow train --architecture multiscale, or pretrained:mnist-multiscale)';

/** A continuous flow for local bits-back coding, or a UsageError saying why it cannot be one. */
async function fromContinuousFlow(flow: TransformedDistribution, dir: string, view: unknown): Promise<CodecModel> {
  const needs = CODABLE_MODELS;
  let compiled: CompiledFlow;
  try {
    compiled = compileFlow(flow);
  } catch (error) {
    flow.dispose();
    if (error instanceof RangeError) throw new UsageError(`--model ${dir}: this continuous density cannot be coded exactly (${error.message}); ${needs}`);
    throw error;
  }
  const logitAlpha = logitAlphaOf(view);
  if (logitAlpha === null) {
    flow.dispose();
    throw new UsageError(
      `--model ${dir}: its model.json records no logit preprocessing (metadata.view), which local bits-back coding needs to map pixels to the flow; ${needs}`,
    );
  }
  let couplings = 0;
  let levels = 0;
  for (let level: CompiledFlow | null = compiled; level; level = level.base.kind === 'factor-out' ? level.base.kept : null) {
    levels++;
    couplings += level.layers.filter((layer) => layer.kind === 'coupling').length;
  }
  return {
    kind: 'flow',
    flow,
    compiled,
    logitAlpha,
    identity: await identityOf(flow),
    summary: `continuous flow (${couplings} affine couplings in ${levels} level${levels > 1 ? 's' : ''}, logit α ${logitAlpha}) from ${dir}, coded by local bits-back`,
    dispose: () => flow.dispose(),
  };
}

async function fromDistribution(flow: TransformedDistribution, dir: string, view?: unknown): Promise<CodecModel> {
  const couplings = integerCouplings(flow);
  if (!couplings) return fromContinuousFlow(flow, dir, view);
  try {
    compileIntegerFlow(flow);
  } catch (error) {
    flow.dispose();
    if (error instanceof RangeError) throw new UsageError(`--model ${dir}: this integer flow cannot be coded exactly: ${error.message}`);
    throw error;
  }
  const base = innermostBase(flow);
  const levels = levelCount(flow);
  const baseText = base instanceof MixtureOfDiscretizedLogistics ? `a mixture of ${base.components} discretized logistics` : 'a discretized logistic';
  return {
    kind: 'idf',
    flow,
    identity: await identityOf(flow),
    summary: `integer discrete flow (${couplings.length} couplings${levels > 1 ? ` in ${levels} levels, factored out under conditional mixtures` : ''}, ${baseText} per coordinate of its base) from ${dir}`,
    dispose: () => flow.dispose(),
  };
}
