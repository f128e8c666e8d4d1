import { Chain } from '@flows/bijectors';
import { type Distribution, EmbeddedContext, TransformedDistribution } from '@flows/distributions';
import { ARCHITECTURE_FORMAT, ARCHITECTURE_FORMAT_VERSION, Described, TorchWeights } from './description.js';
import { ArchitectureError, UnsupportedArchitectureError } from './errors.js';
import { nflowsFlow } from './nflows.js';
import { normflowsFlow } from './normflows.js';
import { owning } from './pieces.js';
import { readSafetensors } from './safetensors.js';
import { zukoFlow } from './zuko.js';
import { registerTorchImport } from './register.js';

/** Where an imported flow came from, as its description records it. */
export interface TorchFlowOrigin {
  library: 'zuko' | 'nflows' | 'normflows';
  libraryVersion: string;
  torchVersion: string;
  flowClass: string;
}

/** An imported flow and where it came from. */
export interface ImportedFlow {
  /** The flow as a model of this project: `logProb`, `sample`, `saveModel` work as on any other. */
  model: Distribution;
  origin: TorchFlowOrigin;
}

/** The largest event and context widths read (a description asking for more is refused before anything is built). */
const MAX_FEATURES = 1_000_000;

/**
 * Turns a flow trained with zuko, nflows or normflows into a model of this project: `weights` is
 * the safetensors file export_flow.py writes (the flow's state_dict), `description` its parsed
 * JSON description. Every layer is mapped exactly; a class or setting without an exact
 * counterpart throws {@link UnsupportedArchitectureError} naming it, a malformed description or
 * one that disagrees with the weights an {@link ArchitectureError}. Registers this package's own
 * classes (some flows need them) so that the model saves and loads.
 */
export function importTorchFlow(weights: Uint8Array, description: unknown): ImportedFlow {
  registerTorchImport();
  const root = Described.of(description, 'description');
  const format = root.raw('format');
  if (format !== ARCHITECTURE_FORMAT) {
    throw new ArchitectureError(
      'description.format',
      `is ${JSON.stringify(format)}, not '${ARCHITECTURE_FORMAT}': give the .json file that export_flow.py writes`,
    );
  }
  const version = root.integer('formatVersion', 1);
  if (version > ARCHITECTURE_FORMAT_VERSION) {
    throw new ArchitectureError(
      'description.formatVersion',
      `is ${version}, newer than this importer reads (${ARCHITECTURE_FORMAT_VERSION}): update @flows/import-torch`,
    );
  }
  const library = root.string('library', ['zuko', 'nflows', 'normflows'] as const);
  const features = root.integer('features', 1, MAX_FEATURES);
  const origin: TorchFlowOrigin = {
    library,
    libraryVersion: root.has('libraryVersion') ? root.string('libraryVersion') : 'unknown',
    torchVersion: root.has('torchVersion') ? root.string('torchVersion') : 'unknown',
    flowClass: root.has('flowClass') ? root.string('flowClass') : library,
  };
  const file = new TorchWeights(readSafetensors(weights));
  const { pieces, base, embedding } =
    library === 'zuko'
      ? { ...zukoFlow(root, file, features, root.has('context') ? root.integer('context', 0, MAX_FEATURES) : 0), embedding: null }
      : library === 'nflows'
        ? nflowsFlow(root, file, features)
        : normflowsFlow(root, file, features);
  if (pieces.length === 0) {
    base.dispose();
    throw new ArchitectureError('description.transforms', 'is empty: a flow needs at least one transform');
  }
  const owned = [...pieces, base, ...(embedding ? [embedding] : [])];
  const model = owning(owned, () => {
    // The pieces come from data to base; the chain runs from base to data.
    const flow = new TransformedDistribution(base, new Chain([...pieces].reverse()));
    if (!embedding) return flow;
    if (flow.contextSize !== embedding.outputSize) {
      throw new ArchitectureError('description.embedding', `gives ${embedding.outputSize} values but the flow reads a context of ${flow.contextSize}`);
    }
    return new EmbeddedContext(flow, embedding);
  });
  const declared = root.has('context') ? root.integer('context', 0, MAX_FEATURES) : null;
  if (declared !== null && declared !== model.contextSize) {
    model.dispose();
    throw new ArchitectureError('description.context', `is ${declared}, but the networks read a context of ${model.contextSize}`);
  }
  return { model, origin };
}

export { UnsupportedArchitectureError };
