import * as tf from '@tensorflow/tfjs-core';
import { canReadSynchronously, configureRuntime, Random } from '@flows/core';
import { MaskedAffineCoupling } from '@flows/bijectors';
import { describe, expect, it } from 'vitest';
import { selectBackend } from '@flows/backends';
import { realNVP } from '@flows/builders';
import { meanNegativeLogLikelihood, meanNegativeLogLikelihoodAsync } from '@flows/training';
import { Adam } from '@flows/optimizers';

/**
 * The toolkit on the `webgpu` backend, checked against the cpu backend. Runs where a WebGPU
 * adapter exists: a GPU, or a software one (Mesa's lavapipe from Mesa 25 on is accepted by the
 * `webgpu` package's Dawn) that runs the same WGSL on the CPU, slowly but faithfully. Elsewhere
 * the suite is skipped, and says so.
 */
const webgpu = await selectBackend({ backend: 'webgpu' }).then(
  (choice) => choice.adapter ?? 'an adapter',
  (error: Error) => {
    console.warn(`webgpu tests skipped: ${error.message}`);
    return null;
  },
);
await tf.setBackend('cpu');

async function on<T>(backend: 'cpu' | 'webgpu', work: () => T | Promise<T>): Promise<T> {
  await tf.setBackend(backend);
  try {
    return await work();
  } finally {
    await tf.setBackend('cpu');
  }
}

const maxDifference = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a, (value, i) => Math.abs(value - b[i])).reduce((m, d) => Math.max(m, d), 0);

describe.skipIf(webgpu === null)(`webgpu (${webgpu})`, () => {
  it('the fused WGSL Adam matches tf.train.adam and the tensor-kernel update step by step, with clipping and weight decay', async () => {
    const result = await on('webgpu', async () => {
      const shapes = [[5, 3], [3], [70, 33], [1]];
      const init = shapes.map((shape, i) => tf.randomNormal(shape, 0, 1, 'float32', i + 1));
      const x = tf.randomNormal([8, 5], 0, 1, 'float32', 9);
      const loss = (vars: tf.Variable[]) => () =>
        tf.add(
          tf.mean(tf.square(tf.sin(tf.add(tf.matMul(x, vars[0]), vars[1])))),
          tf.add(tf.mul(tf.mean(tf.square(vars[2])), 0.1), tf.sum(tf.square(tf.sub(vars[3], 2)))),
        ) as tf.Scalar;
      const run = (make: (vars: tf.Variable[]) => { step(grads: tf.NamedTensorMap, vars: tf.Variable[]): void; dispose(): void }) => {
        const vars = init.map((t) => tf.variable(t.clone()));
        const optimizer = make(vars);
        for (let step = 0; step < 20; step++) {
          const { grads, value } = tf.variableGrads(loss(vars), vars);
          optimizer.step(grads, vars);
          tf.dispose([value, ...Object.values(grads)]);
        }
        optimizer.dispose();
        return vars;
      };
      const adam = (options: ConstructorParameters<typeof Adam>[1]) => (vars: tf.Variable[]) => {
        const optimizer = new Adam(vars, options);
        return { step: (grads: tf.NamedTensorMap) => optimizer.applyGradients(grads), dispose: () => optimizer.dispose(), optimizer };
      };
      const check = new Adam([tf.variable(tf.zeros([2]))], { placement: 'device' });
      const fusedByDefault = check.fused;
      check.dispose();
      const fused = run(adam({ learningRate: 0.01, placement: 'device', deviceKernels: 'fused' }));
      const reference = run(() => {
        const stock = tf.train.adam(0.01, 0.9, 0.999, 1e-7);
        return { step: (grads) => stock.applyGradients(grads as Parameters<typeof stock.applyGradients>[0]), dispose: () => stock.dispose() };
      });
      const options = { learningRate: 0.02, clipNorm: 0.5, weightDecay: 0.1, placement: 'device' as const };
      const fusedClipped = run(adam({ ...options, deviceKernels: 'fused' }));
      const tensorsClipped = run(adam({ ...options, deviceKernels: 'tensors' }));
      const read = (vars: tf.Tensor[]) => Promise.all(vars.map(async (v) => Array.from(await v.data())));
      const out = {
        fusedByDefault,
        fused: await read(fused),
        reference: await read(reference),
        fusedClipped: await read(fusedClipped),
        tensorsClipped: await read(tensorsClipped),
        init: await read(init),
      };
      tf.dispose([...init, x, ...fused, ...reference, ...fusedClipped, ...tensorsClipped]);
      return out;
    });
    expect(result.fusedByDefault).toBe(true);
    result.fused.forEach((values, i) => {
      expect(maxDifference(values, result.reference[i])).toBeLessThan(2e-5);
      expect(maxDifference(values, result.init[i])).toBeGreaterThan(1e-3); // it moved
      expect(maxDifference(result.fusedClipped[i], result.tensorsClipped[i])).toBeLessThan(2e-5);
    });
  });

  it('the fused Adam keeps no tensors and restores from a checkpointed state', async () => {
    const { before, after, resumed, straight } = await on('webgpu', async () => {
      const v = tf.variable(tf.tensor1d([1, -2, 3]));
      const adam = new Adam([v], { learningRate: 0.1, clipNorm: 1, placement: 'device' });
      const grads = { [v.name]: tf.tensor1d([300, 400, 0]) };
      adam.applyGradients(grads);
      const before = tf.memory().numTensors;
      adam.applyGradients(grads);
      const after = tf.memory().numTensors;
      const copy = tf.variable(v.clone());
      const restored = new Adam([copy], { learningRate: 0.1, clipNorm: 1, placement: 'device' });
      expect(() => adam.getState()).toThrow(/cannot read tensors synchronously here; use await adam.readState\(\)/);
      restored.setState(await adam.readState());
      adam.applyGradients(grads);
      restored.applyGradients({ [copy.name]: grads[v.name] });
      const out = { before, after, straight: Array.from(await v.data()), resumed: Array.from(await copy.data()) };
      adam.dispose();
      restored.dispose();
      tf.dispose([v, copy, grads[v.name]]);
      return out;
    });
    expect(after).toBe(before);
    expect(resumed).toEqual(straight);
  });

  it.each([
    { tanh: true, factor: true, eventShape: [6] },
    { tanh: false, factor: false, eventShape: [4, 4, 2] },
  ])("the fused coupling kernel gives the stock kernels' x, log-det and gradients (%o)", async ({ tanh, factor, eventShape }) => {
    const result = await on('webgpu', async () => {
      const size = eventShape.reduce((a, b) => a * b, 1);
      const mask = Array.from({ length: size }, (_, i) => ((i * 7) % 3 === 0 ? 1 : 0));
      const coupling = new MaskedAffineCoupling({
        mask,
        eventShape: eventShape.length > 1 ? eventShape : undefined,
        hidden: [8],
        scaleTanh: tanh,
        learnableScaleFactor: factor,
        seed: 11,
      } as ConstructorParameters<typeof MaskedAffineCoupling>[0]);
      // Random weights throughout (the networks' last layers start at zero, which would hide most paths).
      coupling.trainableVariables.forEach((v, i) => v.assign(tf.randomNormal(v.shape, 0, 0.4, 'float32', 20 + i)));
      if (coupling.scaleFactor) coupling.scaleFactor.assign(tf.randomUniform(eventShape, 0.5, 2, 'float32', 4));
      const y = tf.mul(tf.randomNormal([5, ...eventShape], 0, 1, 'float32', 8), 2);
      const weights = tf.randomNormal([5], 0, 1, 'float32', 9);
      const variables = coupling.trainableVariables;
      const measure = async (fused: boolean) => {
        configureRuntime({ fusedKernels: fused });
        try {
          // A loss that uses both outputs, weighted so every gradient path matters.
          const [x, logDet] = coupling.inverseAndLogDet(y);
          const { value, grads } = tf.variableGrads(() => {
            const [xx, ll] = coupling.uncheckedInverseAndLogDet(y);
            return tf.add(tf.sum(tf.mul(tf.sin(xx), 1.5)), tf.sum(tf.mul(ll, weights))) as tf.Scalar;
          }, variables);
          const gradientY = tf.grad((yy: tf.Tensor) => tf.sum(tf.square(coupling.uncheckedInverseAndLogDet(yy)[0])))(y);
          const read = async (t: tf.Tensor) => Array.from(await t.data());
          const out = {
            x: await read(x),
            logDet: await read(logDet),
            grads: await Promise.all(variables.map((v) => read(grads[v.name]))),
            gradientY: await read(gradientY),
          };
          tf.dispose([x, logDet, value, gradientY, ...Object.values(grads)]);
          return out;
        } finally {
          configureRuntime({ fusedKernels: true });
        }
      };
      const stock = await measure(false);
      const fused = await measure(true);
      const before = tf.memory().numTensors;
      await measure(true);
      const leaked = tf.memory().numTensors - before;
      coupling.dispose();
      tf.dispose([y, weights]);
      return { stock, fused, leaked };
    });
    expect(result.leaked).toBe(0);
    // Relative to the largest magnitude: without tanh the scales, and so the gradients, grow large (about 1e10 here).
    const relative = (a: number[], b: number[]) => maxDifference(a, b) / b.reduce((m, v) => Math.max(m, Math.abs(v)), 1);
    expect(relative(result.fused.x, result.stock.x)).toBeLessThan(1e-6);
    expect(relative(result.fused.logDet, result.stock.logDet)).toBeLessThan(1e-6);
    expect(relative(result.fused.gradientY, result.stock.gradientY)).toBeLessThan(1e-6);
    result.fused.grads.forEach((g, i) => expect(relative(g, result.stock.grads[i])).toBeLessThan(1e-6));
    expect(result.stock.grads.flat().reduce((m, v) => Math.max(m, Math.abs(v)), 0)).toBeGreaterThan(1e-3);
  });

  it("a Real NVP gives the cpu backend's log-densities and gradients, and trains to the same losses", async () => {
    const random = new Random(5);
    const data = random.fillNormal(new Float32Array(64 * 6));
    // Reads are asynchronous: WebGPU in Node cannot read back synchronously.
    const experiment = async () => {
      const model = realNVP({ size: 6, layers: 3, hidden: [16, 16], seed: 3 });
      const x = tf.tensor2d(data, [64, 6]);
      const nll = await meanNegativeLogLikelihoodAsync(model, x, { batchSize: 16 });
      const syncRead = canReadSynchronously();
      if (!syncRead)
        expect(() => meanNegativeLogLikelihood(model, x)).toThrow(/cannot read tensors synchronously here; use await meanNegativeLogLikelihoodAsync/);
      const logProbTensor = model.logProb(x);
      const logProb = Array.from(await logProbTensor.data());
      logProbTensor.dispose();
      const variables = model.trainableVariables;
      const lossFn = () => tf.neg(tf.mean(model.uncheckedLogProb(x))) as tf.Scalar;
      const { grads, value } = tf.variableGrads(lossFn, variables);
      const gradient = (await Promise.all(variables.map(async (v) => Array.from(await grads[v.name].data())))).flat();
      tf.dispose([value, ...Object.values(grads)]);
      const adam = new Adam(variables, { learningRate: 5e-3 });
      const losses: number[] = [];
      let leaked = 0;
      for (let step = 0; step < 15; step++) {
        const before = tf.memory().numTensors;
        const loss = tf.tidy(() => {
          const { value, grads } = tf.variableGrads(lossFn, variables);
          adam.applyGradients(grads);
          return value;
        });
        losses.push((await loss.data())[0]);
        loss.dispose();
        if (step > 0) leaked += tf.memory().numTensors - before;
      }
      adam.dispose();
      model.dispose();
      x.dispose();
      return { logProb, gradient, losses, leaked, nll, syncRead };
    };
    const cpu = await on('cpu', experiment);
    const gpu = await on('webgpu', experiment);
    expect(gpu.leaked).toBe(0);
    expect(cpu.syncRead).toBe(true);
    expect(gpu.syncRead).toBe(typeof (globalThis as { OffscreenCanvas?: unknown }).OffscreenCanvas !== 'undefined');
    expect(Math.abs(gpu.nll - cpu.nll)).toBeLessThan(1e-3);
    expect(cpu.nll).toBeCloseTo(-cpu.logProb.reduce((a, b) => a + b, 0) / 64, 3);
    expect(maxDifference(gpu.logProb, cpu.logProb)).toBeLessThan(1e-3);
    expect(maxDifference(gpu.gradient, cpu.gradient)).toBeLessThan(1e-3);
    expect(gpu.losses[14]).toBeLessThan(gpu.losses[0]);
    gpu.losses.forEach((loss, i) => expect(Math.abs(loss - cpu.losses[i])).toBeLessThan(1e-3 * Math.max(1, Math.abs(cpu.losses[i]))));
  });
});
