import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { commandFor, describeOrigin, modelOrigin, UsageError } from '@flows/cli-kit';

/**
 * Checks, before its weights are loaded, that the checkpoint in `dir` holds a VAE (what vae-eval
 * trains), and returns the epoch it ended. Another app's model there (a flow of mnist-flow or
 * flow-codec, copied into a run folder or left by another program) is named, with the command that
 * fits it, instead of failing inside the VAE's rebuild. A checkpoint that cannot be read is left
 * to loadCheckpoint, which names the problem.
 */
export async function checkVaeCheckpoint(dir: string): Promise<{ epoch: number | null }> {
  let description: unknown;
  try {
    description = JSON.parse(await readFile(join(dir, 'checkpoint.json'), 'utf8'));
  } catch {
    return { epoch: null };
  }
  const origin = modelOrigin(description);
  if (origin.kind !== 'vae') {
    const command = commandFor(origin, dir);
    throw new UsageError(`${dir}: this is ${describeOrigin(origin)}, not a vae-eval VAE${command ? `; use ${command}` : ''}`);
  }
  const epoch = (description as { epoch?: unknown }).epoch;
  return { epoch: Number.isInteger(epoch) && (epoch as number) >= 0 ? (epoch as number) : null };
}

/**
 * A resumed run cannot train fewer epochs than its checkpoint has: it would report the longer
 * model's figures under the shorter run's label ("1 epochs" for a 2-epoch model). Refused, naming
 * the checkpoint's epochs; as many epochs as the checkpoint has is allowed (a run stopped after its
 * last checkpoint is then only evaluated).
 */
export function checkResumedEpochs(dir: string, checkpointEpochs: number | null, epochs: number): void {
  if (checkpointEpochs === null || checkpointEpochs <= epochs) return;
  throw new UsageError(
    `--epochs ${epochs}: the checkpoint in ${dir} already has ${checkpointEpochs} epochs, and a resumed run cannot train fewer, so its results would be of the ${checkpointEpochs}-epoch model labelled ${epochs}; pass --epochs ${checkpointEpochs} or more to continue it, or another --out for a new run`,
  );
}

/** Images of another size than the VAE's input (14×14 for a model of 28×28) are named with both sizes, before any training or evaluation. */
export function checkImageSize(images: { rows: number; cols: number; source?: string }, inputSize: number): void {
  const pixels = images.rows * images.cols;
  if (pixels === inputSize) return;
  const side = Math.round(Math.sqrt(inputSize));
  const shape = side * side === inputSize ? ` (${side}×${side} images)` : '';
  throw new UsageError(
    `${images.source ?? 'the images'}: the data has ${pixels} columns (${images.rows}×${images.cols} images); the VAE's input size is ${inputSize}${shape}`,
  );
}
