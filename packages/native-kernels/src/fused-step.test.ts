import * as tf from '@tensorflow/tfjs-core';
// Gradients for the gradient checks (in a project they come with @flows/bijectors).
import '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import {
  ADAM_UPDATE,
  adamUpdate,
  DENSE_COUPLING_INVERSE,
  DENSE_COUPLING_INVERSE_GRADIENT,
  type DenseNetwork,
  denseCouplingInverse,
  referenceAdamUpdate,
  referenceDenseCouplingInverse,
} from '@flows/kernels';
import { beforeAll, describe, expect, it } from 'vitest';
import { installNativeKernels, type NativeIsa } from './index.js';
import { built, paths, skip } from './native-test-paths.js';

// The fused training step's kernels: the dense coupling with its two MLPs (forward and gradient) and
// the whole Adam update, each against its @flows/kernels reference and autodiff of it, on every
// instruction-set path this CPU runs.

beforeAll(async () => {
  if (!built && !skip) throw new Error('the native addon is not built: run pnpm --filter @flows/native-kernels build:native');
  if (!skip) await tf.setBackend('wasm');
});

/** The largest difference relative to b's largest value (at least `floor`). */
function relativeError(a: tf.Tensor, b: tf.Tensor, floor = 1): number {
  expect(a.shape).toEqual(b.shape);
  const [x, y] = [a.dataSync(), b.dataSync()];
  let worst = 0;
  let largest = floor;
  for (let q = 0; q < x.length; q++) {
    worst = Math.max(worst, Math.abs(x[q] - y[q]));
    largest = Math.max(largest, Math.abs(y[q]));
  }
  return worst / largest;
}

/** An MLP of stock operations with its layers as variables (weights scaled to keep activations near 1). */
function network(widths: number[], seed: number): DenseNetwork & { variables: tf.Variable[] } {
  const weights = widths.slice(1).map((out, i) => tf.variable(tf.randomNormal([widths[i], out], 0, 1 / Math.sqrt(widths[i]), 'float32', seed + i)));
  const biases = widths.slice(1).map((out, i) => tf.variable(tf.randomNormal([out], 0, 0.2, 'float32', seed + 50 + i)));
  return {
    weights,
    biases,
    activation: 'relu',
    variables: [...weights, ...biases],
    apply(input: tf.Tensor2D): tf.Tensor2D {
      return weights.reduce((h: tf.Tensor, w, i) => {
        const z = tf.add(tf.matMul(h as tf.Tensor2D, w), biases[i]);
        return i < weights.length - 1 ? tf.relu(z) : z;
      }, input) as tf.Tensor2D;
    },
  };
}

/** A checkerboard over an image's pixels (all channels alike), or every other coordinate for flat events. */
function checkerboard(event: number[]): number[] {
  if (event.length === 1) return Array.from({ length: event[0] }, (_, d) => d % 2);
  const [h, w, channels] = event;
  return Array.from({ length: h * w * channels }, (_, d) => {
    const pixel = Math.floor(d / channels);
    return (Math.floor(pixel / w) + (pixel % w)) % 2;
  });
}

interface CouplingCase {
  name: string;
  batch: number;
  event: number[];
  contextSize: number;
  hidden: [number[], number[]];
  factor: boolean;
  tanh: boolean;
  /** A random mask instead of the checkerboard. */
  randomMask?: boolean;
}

const CASES: CouplingCase[] = [
  {
    name: 'the benchmark’s layer: 784 flat, 256-256, checkerboard, two threads',
    batch: 256,
    event: [784],
    contextSize: 0,
    hidden: [
      [256, 256],
      [256, 256],
    ],
    factor: false,
    tanh: true,
  },
  {
    name: 'a context, a learnable factor, networks of 3 and 2 layers',
    batch: 40,
    event: [50],
    contextSize: 3,
    hidden: [[64, 40], [48]],
    factor: true,
    tanh: true,
    randomMask: true,
  },
  { name: 'image-shaped events, no tanh, one-layer networks', batch: 33, event: [6, 6, 2], contextSize: 0, hidden: [[], []], factor: true, tanh: false },
  {
    name: 'one thread, narrow layers (OpenBLAS products), a context',
    batch: 5,
    event: [9],
    contextSize: 2,
    hidden: [[7], [3, 5]],
    factor: false,
    tanh: false,
    randomMask: true,
  },
];

function couplingSetup(c: CouplingCase) {
  const size = c.event.reduce((a, b) => a * b, 1);
  const maskValues = c.randomMask
    ? Array.from(tf.tidy(() => tf.cast(tf.greater(tf.randomUniform([size], 0, 1, 'float32', 4), 0.5), 'float32')).dataSync())
    : checkerboard(c.event);
  const mask = tf.tensor(maskValues, c.event);
  const inverseMask = tf.tensor(
    maskValues.map((v) => 1 - v),
    c.event,
  );
  const scale = network([size + c.contextSize, ...c.hidden[0], size], 10);
  const translation = network([size + c.contextSize, ...c.hidden[1], size], 30);
  const y = tf.randomNormal([c.batch, ...c.event], 0, 1, 'float32', 1);
  const context = c.contextSize ? tf.randomNormal([c.batch, c.contextSize], 0, 1, 'float32', 2) : undefined;
  const factor = c.factor ? tf.variable(tf.randomUniform(c.event, 0.5, 1.5, 'float32', 3)) : null;
  // Weights for the loss, so that the gradients of x and of the log-det are not uniform.
  const weights = tf.randomNormal([c.batch, ...c.event], 0, 1, 'float32', 6);
  const rowWeights = tf.randomNormal([c.batch], 0, 1, 'float32', 7);
  const variables = [...scale.variables, ...translation.variables, ...(factor ? [factor] : [])];
  const run = (op: typeof denseCouplingInverse, yy: tf.Tensor, cc?: tf.Tensor) => op(yy, scale, translation, factor, mask, inverseMask, c.tanh, cc);
  const loss = (op: typeof denseCouplingInverse) => (yy: tf.Tensor, cc?: tf.Tensor) => {
    const [x, logDet] = run(op, yy, cc);
    return tf.add(tf.sum(tf.mul(tf.square(x), weights)), tf.sum(tf.mul(logDet, rowWeights))) as tf.Scalar;
  };
  const dispose = () => tf.dispose([mask, inverseMask, y, weights, rowWeights, ...(context ? [context] : []), ...variables]);
  return { y, context, variables, run, loss, dispose };
}

describe.skipIf(skip)('the fused dense coupling on the wasm heap', () => {
  it.each(paths.flatMap((isa) => CASES.map((c) => [c.name, isa, c] as [string, NativeIsa, CouplingCase])))(
    'gives the reference’s x and log-det, and the gradients of y, c, the context and every weight and bias that autodiff of the reference gives, and leaks nothing (%s, path %s)',
    (_, isa, c) => {
      const status = installNativeKernels({ threads: 2, isa });
      expect(status.isa).toBe(isa);
      expect(status.kernels).toEqual(expect.arrayContaining([DENSE_COUPLING_INVERSE, DENSE_COUPLING_INVERSE_GRADIENT]));
      const s = couplingSetup(c);
      const before = tf.memory().numTensors;
      const [x, logDet] = s.run(denseCouplingInverse, s.y, s.context);
      expect(tf.memory().numTensors).toBe(before + 2);
      const [xr, lr] = s.run(referenceDenseCouplingInverse, s.y, s.context);
      expect(relativeError(x, xr)).toBeLessThan(2e-5);
      expect(relativeError(logDet, lr)).toBeLessThan(2e-5);
      tf.dispose([x, logDet, xr, lr]);

      const inputs = s.context ? [s.y, s.context] : [s.y];
      const gradients = (op: typeof denseCouplingInverse) =>
        tf.tidy(() => {
          const { value, grads } = tf.variableGrads(() => s.loss(op)(s.y, s.context), s.variables);
          const inputGradients = tf.grads((...args: tf.Tensor[]) => s.loss(op)(args[0], args[1]))(inputs);
          return { value, grads, inputGradients };
        });
      const fused = gradients(denseCouplingInverse); // burn-in of the native scratch memory
      tf.dispose([fused.value, ...Object.values(fused.grads), ...fused.inputGradients]);
      const beforeGradients = tf.memory().numTensors;
      const native = gradients(denseCouplingInverse);
      const reference = gradients(referenceDenseCouplingInverse);
      expect(relativeError(native.value, reference.value)).toBeLessThan(2e-5);
      for (const v of s.variables) expect(relativeError(native.grads[v.name], reference.grads[v.name], 1e-3), v.name).toBeLessThan(1e-4);
      native.inputGradients.forEach((g, i) => expect(relativeError(g, reference.inputGradients[i], 1e-3), `input ${i}`).toBeLessThan(1e-4));
      tf.dispose([native, reference].flatMap((r) => [r.value, ...Object.values(r.grads), ...r.inputGradients]));
      expect(tf.memory().numTensors).toBe(beforeGradients);
      s.dispose();
    },
  );

  it('refuses a mask of other values than 0 and 1, naming the kernel', () => {
    installNativeKernels({ threads: 2 });
    const s = couplingSetup(CASES[3]);
    const half = tf.fill([9], 0.5);
    const scale = network([11, 7, 9], 10);
    const translation = network([11, 9], 30);
    expect(() => denseCouplingInverse(s.y, scale, translation, null, half, half, true, s.context)).toThrow(
      new RegExp(`${DENSE_COUPLING_INVERSE}: the inverse mask must hold only 0 and 1`),
    );
    tf.dispose([half, ...scale.variables, ...translation.variables]);
    s.dispose();
  });
});

describe.skipIf(skip)('the whole Adam update on the wasm heap', () => {
  it.each(paths)(
    'gives the reference composition’s moments and parameters, with and without clipping, in one and several threads, in place where nothing else references the memory and into fresh tensors where something does (path %s)',
    (isa) => {
      const status = installNativeKernels({ threads: 2, isa });
      expect(status.isa).toBe(isa);
      expect(status.kernels).toContain(ADAM_UPDATE);
      // 300 000 values in 4 variables: split between the two threads across variables' edges; 1 000: one thread.
      for (const sizes of [
        [[100, 1000], [1000], [190, 1000], [9000]],
        [[10, 50], [500]],
      ] as number[][][])
        for (const clipNorm of [0, 3])
          for (const held of [true, false]) {
            const total = sizes.reduce((n, shape) => n + shape.reduce((a, b) => a * b, 1), 0);
            const parameters = sizes.map((shape, i) => tf.randomNormal(shape, 0, 1, 'float32', 10 + i));
            const gradients = sizes.map((shape, i) => tf.randomNormal(shape, 0, 1, 'float32', 20 + i));
            const m = tf.randomNormal([total], 0, 0.1, 'float32', 1) as tf.Tensor1D;
            const v = tf.randomUniform([total], 0, 0.01, 'float32', 2) as tf.Tensor1D;
            const step = { beta1: 0.9, beta2: 0.999, clipNorm, stepSize: 1e-3, inverseCorrection2: 1.5, epsilon: 1e-7, decay: 0.999 };
            const reference = referenceAdamUpdate(parameters, gradients, m, v, step);
            // A clone shares its input's memory (the wasm backend's sharing Identity): the update must then leave it alone.
            const clones = held ? [m, v, ...parameters].map((t) => tf.clone(t)) : [];
            const before = tf.memory().numTensors;
            const native = adamUpdate(parameters, gradients, m, v, step);
            expect(tf.memory().numTensors).toBe(before + 2 + parameters.length);
            const label = `${total} values, clip ${clipNorm}, ${held ? 'clones held' : 'in place'}`;
            expect(relativeError(native.firstMoment, reference.firstMoment, 0), `m, ${label}`).toBeLessThan(1e-6);
            expect(relativeError(native.secondMoment, reference.secondMoment, 0), `v, ${label}`).toBeLessThan(1e-6);
            native.parameters.forEach((p, i) => {
              expect(p.shape).toEqual(sizes[i]);
              expect(relativeError(p, reference.parameters[i], 0), `parameter ${i}, ${label}`).toBeLessThan(1e-6);
            });
            const outputs = [native.firstMoment, native.secondMoment, ...native.parameters];
            const inputs = [m, v, ...parameters];
            if (held) {
              // Fresh outputs; the inputs, and so their clones, keep their values.
              outputs.forEach((out, i) => expect(out.dataId, `output ${i}`).not.toBe(inputs[i].dataId));
              clones.forEach((clone, i) => expect(relativeError(clone, inputs[i], 0)).toBe(0));
              // The update moved the parameters: a kernel that returned its inputs would fail here.
              native.parameters.forEach((p, i) => expect(relativeError(p, clones[2 + i], 0)).toBeGreaterThan(1e-4));
            } else {
              outputs.forEach((out, i) => expect(out.dataId, `output ${i}`).toBe(inputs[i].dataId));
            }
            tf.dispose([...outputs, ...clones, ...[reference.firstMoment, reference.secondMoment, ...reference.parameters]]);
            tf.dispose([...parameters, ...gradients, m, v]);
          }
    },
  );

  it('refuses moments whose length is not the variables’ sizes', () => {
    installNativeKernels({ threads: 2 });
    const parameters = [tf.zeros([3, 2]), tf.zeros([4])];
    const m = tf.zeros([9]) as tf.Tensor1D;
    expect(() =>
      adamUpdate(parameters, parameters, m, m, { beta1: 0.9, beta2: 0.999, clipNorm: 0, stepSize: 1e-3, inverseCorrection2: 1, epsilon: 1e-7, decay: 1 }),
    ).toThrow(/hold 10 values but the moments 9/);
    tf.dispose([...parameters, m]);
  });
});

describe.skipIf(skip)('a fused training step', () => {
  it.each(paths)(
    'trains three dense couplings with Adam to the losses of the references (stock kernels and autodiff), step by step, and leaks nothing (path %s)',
    (isa) => {
      installNativeKernels({ threads: 2, isa });
      const size = 64;
      const batch = 48;
      const masks = [0, 1, 0].map((parity) => Array.from({ length: size }, (_, d) => (d + parity) % 2));
      const data = tf.randomUniform([batch, size], 0, 1, 'float32', 5);
      const train = (fused: boolean) => {
        const coupling = fused ? denseCouplingInverse : referenceDenseCouplingInverse;
        const layers = masks.map((values, i) => ({
          scale: network([size, 32, 32, size], 100 + 10 * i),
          translation: network([size, 32, 32, size], 200 + 10 * i),
          mask: tf.tensor1d(values),
          inverseMask: tf.tensor1d(values.map((b) => 1 - b)),
        }));
        const variables = layers.flatMap((l) => [...l.scale.variables, ...l.translation.variables]);
        const total = variables.reduce((n, v) => n + v.size, 0);
        const m = tf.variable(tf.zeros([total]), false);
        const v = tf.variable(tf.zeros([total]), false);
        const losses: number[] = [];
        const before = tf.memory().numTensors;
        for (let t = 1; t <= 6; t++) {
          tf.tidy(() => {
            const { value, grads } = tf.variableGrads(() => {
              let x: tf.Tensor = data;
              let logDet: tf.Tensor = tf.zeros([batch]);
              for (const l of layers) {
                const [next, l2] = coupling(x, l.scale, l.translation, null, l.mask, l.inverseMask, true);
                x = next;
                logDet = tf.add(logDet, l2);
              }
              // The negative log-likelihood under a standard normal base.
              const base = tf.mul(-0.5, tf.sum(tf.add(tf.square(x), Math.log(2 * Math.PI)), 1));
              return tf.neg(tf.mean(tf.add(base, logDet))) as tf.Scalar;
            }, variables);
            losses.push(value.dataSync()[0]);
            const step = {
              beta1: 0.9,
              beta2: 0.999,
              clipNorm: 0,
              stepSize: 1e-2 / (1 - 0.9 ** t),
              inverseCorrection2: 1 / (1 - 0.999 ** t),
              epsilon: 1e-7,
              decay: 1,
            };
            const update = (fused ? adamUpdate : referenceAdamUpdate)(
              variables,
              variables.map((variable) => grads[variable.name]),
              m as tf.Tensor as tf.Tensor1D,
              v as tf.Tensor as tf.Tensor1D,
              step,
            );
            m.assign(update.firstMoment);
            v.assign(update.secondMoment);
            variables.forEach((variable, i) => variable.assign(update.parameters[i]));
          });
          expect(tf.memory().numTensors).toBe(before);
        }
        tf.dispose([m, v, ...variables, ...layers.flatMap((l) => [l.mask, l.inverseMask])]);
        return losses;
      };
      const fused = train(true);
      const unfused = train(false);
      expect(fused[5]).toBeLessThan(fused[0] - 1); // it learns
      fused.forEach((loss, i) => expect(Math.abs(loss - unfused[i]) / Math.abs(unfused[i]), `step ${i + 1}: ${loss} against ${unfused[i]}`).toBeLessThan(1e-5));
      tf.dispose(data);
    },
  );
});
