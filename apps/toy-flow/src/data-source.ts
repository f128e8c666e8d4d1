import type { Range2D } from '@flows/datasets';
import type { ToyDistribution } from '@flows/datasets';
import type { Distribution } from '@flows/distributions';
import type { Standardization, TrainingData } from '@flows/flows';

/**
 * Where `toy-flow train --data` gets its points, and what it knows about them: the training data,
 * the held-out test, the reference of the pictures. A built-in toy, a labelled toy for a
 * conditional flow, or a CSV file (`toy-source.ts`, `labelled-toy-source.ts`, `csv-source.ts`).
 */
export interface DataSource {
  name: string;
  /** Fresh samples every batch (the toys), rather than a fixed data set (CSV). */
  fresh: boolean;
  /** Event size D. */
  size: number;
  /** The standardisation the model ends in (CSV data; see `toyFlow`), or null. */
  standardization: Standardization | null;
  /** Points drawn behind the model samples in samples.png (CSV data), or null. */
  dataPoints: Float32Array | null;
  /** Number of labels (components) of a conditional source, 0 otherwise. */
  labels: number;
  /** The data's entropy, the lowest reachable test NLL, where known. */
  entropy: number | null;
  /** Model samples for the pictures (conditional models draw labels with the mixture weights). */
  sampleModel(model: Distribution, n: number, seed: number): Promise<Float32Array>;
  /** What the density picture shows: the model, or its marginal over labels. */
  pictureModel(model: Distribution): Distribution;
  train: TrainingData;
  testNll(model: Distribution): Promise<number>;
  /** The toy, for the KL against its exact density; null for CSV data. */
  target: ToyDistribution | null;
  /** The pictures' window (2-D data), or null. */
  range: Range2D | null;
  /** The pictures' reference: the true density or a histogram of the data on the grid, or null. */
  reference(): Promise<Float32Array | null>;
  dispose(): void;
}

/** Model samples as an array, read back asynchronously (WebGPU in Node cannot read synchronously). */
export async function unconditionalSamples(model: Distribution, n: number, seed: number): Promise<Float32Array> {
  const samples = model.sample(n, { random: seed });
  const values = (await samples.data()) as Float32Array;
  samples.dispose();
  return values;
}
