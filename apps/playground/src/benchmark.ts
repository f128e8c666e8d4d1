import * as tf from '@tensorflow/tfjs-core';
import { Random } from '@flows/core';
import { Adam, realNVP } from '@flows/flows';

/** Median training throughput of the benchmark model on the active backend. */
export interface TrainingThroughput {
  batch: number;
  /** Median over the timed rounds, samples per second. */
  samplesPerSecond: number;
  rounds: number[];
}

/**
 * The model of `pnpm bench` and of the numpy and PyTorch peers: Real NVP with 8 checkerboard
 * coupling layers on 784 dimensions, 784-256-256-784 ReLU networks, tanh-bounded scale, Adam 1e-3.
 */
export function benchmarkModel() {
  return realNVP({ size: 784, layers: 8, hidden: [256, 256], activation: 'relu', mask: 'checkerboard', imageShape: [28, 28], scaleTanh: true, seed: 0 });
}

/** Data like dequantized MNIST: (floor(256 u) + u') / 256, seeded. */
export function benchmarkBatch(batch: number): tf.Tensor2D {
  const random = new Random(7);
  const values = new Float32Array(batch * 784);
  for (let i = 0; i < values.length; i++) values[i] = (Math.floor(random.uniform() * 256) + random.uniform()) / 256;
  return tf.tensor2d(values, [batch, 784]);
}

/**
 * Times training steps of the benchmark model as `pnpm bench` does: steps queue without reading
 * anything back, and the last loss is read (asynchronously, so every backend works) after each
 * round of `steps`; a warm-up round comes first and is not counted.
 */
export async function timeTraining(batch: number, steps: number, rounds: number): Promise<TrainingThroughput> {
  const model = benchmarkModel();
  const variables = model.trainableVariables;
  const optimizer = new Adam(variables, { learningRate: 1e-3 });
  const x = benchmarkBatch(batch);
  const trainStep = () =>
    tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => tf.neg(tf.mean(model.uncheckedLogProb(x))) as tf.Scalar, variables);
      optimizer.applyGradients(grads);
      return value;
    });
  const timed: number[] = [];
  for (let round = -1; round < rounds; round++) {
    const started = performance.now();
    let last: tf.Tensor | null = null;
    for (let k = 0; k < steps; k++) {
      last?.dispose();
      last = trainStep();
    }
    await last?.data();
    last?.dispose();
    const seconds = (performance.now() - started) / 1000;
    if (round >= 0) timed.push((steps * batch) / seconds);
  }
  tf.dispose(x);
  optimizer.dispose();
  model.dispose();
  const sorted = [...timed].sort((a, b) => a - b);
  return { batch, samplesPerSecond: sorted[Math.floor(sorted.length / 2)], rounds: timed };
}
