import * as tf from '@tensorflow/tfjs-core';
import { configureRuntime } from '@flows/core';
import { afterEach, describe, expect, it } from 'vitest';
import { type DenseNetwork, denseCouplingInverse, referenceDenseCouplingInverse } from './dense-coupling-inverse.js';
import { flowsKernelConfig } from './flows-kernel-config.js';
import { DENSE_COUPLING_INVERSE, DENSE_COUPLING_INVERSE_GRADIENT } from './kernel-contract.js';

/** What the stand-in kernels use of the cpu backend. */
interface CpuBackendLike {
  readSync(id: object): Float32Array;
  makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): tf.TensorInfo;
}

/** A network of stock operations with its layers as variables; `apply` counts its calls. */
function network(widths: number[], seed: number): DenseNetwork & { calls: number; variables: tf.Variable[] } {
  const weights = widths.slice(1).map((out, i) => tf.variable(tf.randomNormal([widths[i], out], 0, 0.6, 'float32', seed + i)));
  const biases = widths.slice(1).map((out, i) => tf.variable(tf.randomNormal([out], 0, 0.3, 'float32', seed + 50 + i)));
  const net = {
    weights,
    biases,
    activation: 'relu',
    calls: 0,
    variables: [...weights, ...biases],
    apply(input: tf.Tensor2D): tf.Tensor2D {
      net.calls++;
      return weights.reduce((h: tf.Tensor, w, i) => {
        const z = tf.add(tf.matMul(h as tf.Tensor2D, w), biases[i]);
        return i < weights.length - 1 ? tf.relu(z) : z;
      }, input) as tf.Tensor2D;
    },
  };
  return net;
}

// Plain JavaScript over row-major arrays, for the stand-in kernels.
const product = (a: Float32Array, m: number, k: number, b: Float32Array, n: number, transA = false, transB = false): Float32Array => {
  const out = new Float32Array(m * n);
  for (let i = 0; i < m; i++)
    for (let p = 0; p < k; p++) {
      const x = transA ? a[p * m + i] : a[i * k + p];
      for (let j = 0; j < n; j++) out[i * n + j] += x * (transB ? b[j * k + p] : b[p * n + j]);
    }
  return out;
};
/** rows × cols of the stored matrix w (width `ld`), at the listed rows and columns. */
const pick = (w: Float32Array, ld: number, rows: number[], cols: number[]) => Float32Array.from(rows.flatMap((r) => cols.map((c) => w[r * ld + c])));
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/**
 * The contract of the fused coupling, computed in plain JavaScript on the cpu backend: a stand-in
 * for a backend's kernels, so that the operation's use of them (the saved outputs, the gradient's
 * inputs and outputs by name) is tested where no native kernel exists.
 */
function registerStandIns(counts: { forward: number; gradient: number }): void {
  tf.registerKernel(
    flowsKernelConfig<typeof DENSE_COUPLING_INVERSE, CpuBackendLike>(DENSE_COUPLING_INVERSE, 'cpu', ({ inputs, backend, attrs }) => {
      counts.forward++;
      const read = (t: tf.TensorInfo) => backend.readSync(t.dataId);
      const out = (shape: number[], values: Float32Array) => backend.makeTensorInfo(shape, 'float32', values);
      const [batch] = inputs.y.shape;
      const [y, m, c, context] = [inputs.y, inputs.inverseMask, inputs.scaleFactor, inputs.context].map(read);
      const D = m.length;
      const C = inputs.context.shape[1];
      const kept = range(D).filter((d) => m[d] === 0);
      const T = range(D).filter((d) => m[d] === 1);
      const rowMap = [...kept, ...range(C).map((i) => D + i)];
      const u = Float32Array.from(range(batch).flatMap((b) => [...kept.map((d) => y[b * D + d]), ...range(C).map((i) => context[b * C + i])]));
      const hidden: tf.TensorInfo[] = [];
      const gathered: tf.TensorInfo[] = [];
      const raw = (['scale', 'translation'] as const).map((name) => {
        const L = name === 'scale' ? attrs.scaleLayers : attrs.translationLayers;
        let h = u;
        let width = rowMap.length;
        for (let l = 0; l < L; l++) {
          const W = inputs[`${name}Weight${l}`];
          const [rows, cols] = [l === 0 ? rowMap : range(W.shape[0]), l === L - 1 ? T : range(W.shape[1])];
          const w = pick(read(W), W.shape[1], rows, cols);
          if (l === 0 || l === L - 1) gathered.push(out([rows.length, cols.length], w));
          const bias = read(inputs[`${name}Bias${l}`]);
          h = product(h, batch, width, w, cols.length).map((v, q) => {
            const z = v + bias[cols[q % cols.length]];
            return l < L - 1 ? Math.max(z, 0) : z;
          });
          width = cols.length;
          if (l < L - 1) hidden.push(out([batch, width], h));
        }
        return h;
      });
      const x = Float32Array.from(y);
      const logDet = new Float32Array(batch);
      for (let b = 0; b < batch; b++)
        T.forEach((d, j) => {
          const s = c[d] * (attrs.tanh ? Math.tanh(raw[0][b * T.length + j]) : raw[0][b * T.length + j]);
          x[b * D + d] = (y[b * D + d] - raw[1][b * T.length + j]) * Math.exp(-s);
          logDet[b] -= s;
        });
      return [out([...inputs.y.shape], x), out([batch], logDet), out([batch, rowMap.length], u), out([batch, T.length], raw[0]), ...hidden, ...gathered];
    }),
  );
  tf.registerKernel(
    flowsKernelConfig<typeof DENSE_COUPLING_INVERSE_GRADIENT, CpuBackendLike>(DENSE_COUPLING_INVERSE_GRADIENT, 'cpu', ({ inputs, backend, attrs }) => {
      counts.gradient++;
      const read = (t: tf.TensorInfo) => backend.readSync(t.dataId);
      const out = (shape: number[], values: Float32Array) => backend.makeTensorInfo(shape, 'float32', values);
      const [batch] = inputs.y.shape;
      const [gx, gl, m, c, x, u, os] = [inputs.dx, inputs.dl, inputs.inverseMask, inputs.scaleFactor, inputs.x, inputs.conditionerInput, inputs.scaleRaw].map(
        read,
      );
      const D = m.length;
      const C = inputs.context.shape[1];
      const kept = range(D).filter((d) => m[d] === 0);
      const T = range(D).filter((d) => m[d] === 1);
      const rowMap = [...kept, ...range(C).map((i) => D + i)];
      const dy = Float32Array.from(gx);
      const dc = new Float32Array(D);
      const dz = [new Float32Array(batch * T.length), new Float32Array(batch * T.length)];
      for (let b = 0; b < batch; b++)
        T.forEach((d, j) => {
          const q = b * T.length + j;
          const a = attrs.tanh ? Math.tanh(os[q]) : os[q];
          const decay = Math.exp(-c[d] * a);
          const common = gx[b * D + d] * x[b * D + d] + gl[b];
          dy[b * D + d] = gx[b * D + d] * decay;
          dz[1][q] = -gx[b * D + d] * decay;
          dz[0][q] = -common * c[d] * (attrs.tanh ? 1 - a * a : 1);
          dc[d] -= common * a;
        });
      const dContext = new Float32Array(batch * C);
      const layerGradients = (['scale', 'translation'] as const).flatMap((name, n) => {
        const L = name === 'scale' ? attrs.scaleLayers : attrs.translationLayers;
        const grads: tf.TensorInfo[] = [];
        let g = dz[n];
        for (let l = L - 1; l >= 0; l--) {
          const W = inputs[`${name}Weight${l}`];
          const [rows, cols] = [l === 0 ? rowMap : range(W.shape[0]), l === L - 1 ? T : range(W.shape[1])];
          const below = l === 0 ? u : read(inputs[`${name}Hidden${l - 1}`]);
          const dw = product(below, rows.length, batch, g, cols.length, true);
          const dW = new Float32Array(W.shape[0] * W.shape[1]);
          const db = new Float32Array(W.shape[1]);
          rows.forEach((r, i) => cols.forEach((col, j) => (dW[r * W.shape[1] + col] = dw[i * cols.length + j])));
          for (let b = 0; b < batch; b++) cols.forEach((col, j) => (db[col] += g[b * cols.length + j]));
          grads.unshift(out([...W.shape], dW), out([W.shape[1]], db));
          const w = pick(read(W), W.shape[1], rows, cols);
          const back = product(g, batch, cols.length, w, rows.length, false, true);
          if (l > 0) g = back.map((v, q) => (below[q] > 0 ? v : 0));
          else
            for (let b = 0; b < batch; b++) {
              kept.forEach((d, i) => (dy[b * D + d] += back[b * rows.length + i]));
              for (let i = 0; i < C; i++) dContext[b * C + i] += back[b * rows.length + kept.length + i];
            }
        }
        return grads;
      });
      return [out([...inputs.y.shape], dy), out([...inputs.scaleFactor.shape], dc), out([batch, C], dContext), ...layerGradients];
    }),
  );
}

afterEach(() => {
  configureRuntime({ fusedKernels: true });
  for (const name of [DENSE_COUPLING_INVERSE, DENSE_COUPLING_INVERSE_GRADIENT]) if (tf.getKernel(name, 'cpu')) tf.unregisterKernel(name, 'cpu');
});

function worstDifference(a: tf.Tensor, b: tf.Tensor): number {
  expect(a.shape).toEqual(b.shape);
  const [x, y] = [a.dataSync() as Float32Array, b.dataSync() as Float32Array];
  return x.reduce((worst, v, i) => Math.max(worst, Math.abs(v - y[i]) / (1 + Math.abs(y[i]))), 0);
}

/** A coupling's case: events of `event` (flat or image-shaped), a context of `contextSize`, each network's hidden widths. */
function setup(event: number[], contextSize: number, hidden: [number[], number[]], withFactor: boolean) {
  const size = event.reduce((a, b) => a * b, 1);
  const maskValues = range(size).map((d) => ((d * 7 + 3) % 5 < 2 ? 1 : 0));
  const mask = tf.tensor(maskValues, event);
  const inverseMask = tf.tensor(
    maskValues.map((v) => 1 - v),
    event,
  );
  const scale = network([size + contextSize, ...hidden[0], size], 10);
  const translation = network([size + contextSize, ...hidden[1], size], 30);
  const y = tf.randomNormal([4, ...event], 0, 1, 'float32', 1);
  const context = contextSize ? tf.randomNormal([4, contextSize], 0, 1, 'float32', 2) : undefined;
  const factor = withFactor ? tf.variable(tf.randomUniform(event, 0.5, 1.5, 'float32', 3)) : null;
  // Weights for the loss, so that the gradients of x and of the log-det are not uniform.
  const weights = tf.randomNormal([4, ...event], 0, 1, 'float32', 4);
  const loss = (op: typeof denseCouplingInverse, yy: tf.Tensor, cc?: tf.Tensor) => {
    const [x, logDet] = op(yy, scale, translation, factor, mask, inverseMask, true, cc);
    return tf.add(tf.sum(tf.mul(tf.square(x), weights)), tf.sum(tf.mul(logDet, tf.range(1, 5))));
  };
  const variables = [...scale.variables, ...translation.variables, ...(factor ? [factor] : [])];
  const dispose = () => tf.dispose([mask, inverseMask, y, weights, ...(context ? [context] : []), ...variables]);
  return { scale, translation, y, context, factor, mask, inverseMask, loss, variables, dispose };
}

describe('denseCouplingInverse', () => {
  it.each([
    [[6], 0, [[5], [4]], true, 'flat events'],
    [[3, 2, 2], 2, [[5, 3], []], false, 'image-shaped events, a context, networks of 3 and 1 layers'],
  ] as const)(
    'is the networks and affineCouplingInverse where the backend has no fused kernel: the reference’s values and autodiff (%j, context %d, %j, factor %s: %s)',
    (event, contextSize, hidden, withFactor, _description) => {
      const c = setup([...event], contextSize, [[...hidden[0]], [...hidden[1]]], withFactor);
      const [x, logDet] = denseCouplingInverse(c.y, c.scale, c.translation, c.factor, c.mask, c.inverseMask, true, c.context);
      const [xr, lr] = referenceDenseCouplingInverse(c.y, c.scale, c.translation, c.factor, c.mask, c.inverseMask, true, c.context);
      expect(c.scale.calls).toBe(1);
      expect(worstDifference(x, xr)).toBeLessThan(1e-6);
      expect(worstDifference(logDet, lr)).toBeLessThan(1e-6);
      const op = tf.variableGrads(() => c.loss(denseCouplingInverse, c.y, c.context) as tf.Scalar, c.variables);
      const reference = tf.variableGrads(() => c.loss(referenceDenseCouplingInverse, c.y, c.context) as tf.Scalar, c.variables);
      for (const v of c.variables) expect(worstDifference(op.grads[v.name], reference.grads[v.name]), v.name).toBeLessThan(1e-5);
      tf.dispose([x, logDet, xr, lr, op.value, reference.value, ...Object.values(op.grads), ...Object.values(reference.grads)]);
      c.dispose();
    },
  );

  it.each([
    [[6], 0, [[5], [4]], true, true],
    [[6], 3, [[], [7, 5]], false, false],
    [[3, 2, 2], 2, [[5, 3], [4]], true, true],
  ] as const)(
    'runs a backend’s fused kernels with its gradient kernel, giving the reference’s values and the gradients of y, c, the context and every layer that autodiff of the reference gives, and leaks nothing (%j, context %d, %j, factor %s, tanh %s)',
    (event, contextSize, hidden, withFactor, tanh) => {
      const counts = { forward: 0, gradient: 0 };
      registerStandIns(counts);
      const c = setup([...event], contextSize, [[...hidden[0]], [...hidden[1]]], withFactor);
      const op = (yy: tf.Tensor, cc?: tf.Tensor) => denseCouplingInverse(yy, c.scale, c.translation, c.factor, c.mask, c.inverseMask, tanh, cc);
      const reference = (yy: tf.Tensor, cc?: tf.Tensor) => referenceDenseCouplingInverse(yy, c.scale, c.translation, c.factor, c.mask, c.inverseMask, tanh, cc);
      const before = tf.memory().numTensors;
      const [x, logDet] = op(c.y, c.context);
      expect(tf.memory().numTensors).toBe(before + 2);
      expect(counts.forward).toBe(1);
      expect(c.scale.calls).toBe(0);
      const [xr, lr] = reference(c.y, c.context);
      expect(worstDifference(x, xr)).toBeLessThan(1e-5);
      expect(worstDifference(logDet, lr)).toBeLessThan(1e-5);
      tf.dispose([x, logDet, xr, lr]);
      const lossOf = (f: typeof op) => (yy: tf.Tensor, cc?: tf.Tensor) => {
        const [a, b] = f(yy, cc);
        return tf.add(tf.sum(tf.square(a)), tf.sum(tf.mul(b, tf.range(1, 5)))) as tf.Scalar;
      };
      const inputs = c.context ? [c.y, c.context] : [c.y];
      const beforeGradients = tf.memory().numTensors;
      const viaKernels = tf.tidy(() => {
        const { grads, value } = tf.variableGrads(() => lossOf(op)(c.y, c.context), c.variables);
        const inputGradients = tf.grads((...args: tf.Tensor[]) => lossOf(op)(args[0], args[1]))(inputs);
        return { value, grads, inputGradients };
      });
      expect(counts.gradient).toBe(2);
      const viaReference = tf.tidy(() => {
        const { grads, value } = tf.variableGrads(() => lossOf(reference)(c.y, c.context), c.variables);
        const inputGradients = tf.grads((...args: tf.Tensor[]) => lossOf(reference)(args[0], args[1]))(inputs);
        return { value, grads, inputGradients };
      });
      expect(worstDifference(viaKernels.value, viaReference.value)).toBeLessThan(1e-5);
      for (const v of c.variables) expect(worstDifference(viaKernels.grads[v.name], viaReference.grads[v.name]), v.name).toBeLessThan(1e-4);
      viaKernels.inputGradients.forEach((g, i) => expect(worstDifference(g, viaReference.inputGradients[i]), `input ${i}`).toBeLessThan(1e-4));
      tf.dispose([viaKernels, viaReference].flatMap((r) => [r.value, ...Object.values(r.grads), ...r.inputGradients]));
      expect(tf.memory().numTensors).toBe(beforeGradients);
      // Fused kernels off: the networks and affineCouplingInverse, as without the kernels.
      configureRuntime({ fusedKernels: false });
      tf.dispose(op(c.y, c.context));
      expect(counts.forward).toBe(3);
      expect(c.scale.calls).toBe(1);
      c.dispose();
    },
  );

  it('leaves networks that are not ReLU MLPs to their own forward passes', () => {
    const counts = { forward: 0, gradient: 0 };
    registerStandIns(counts);
    const c = setup([6], 0, [[5], [4]], false);
    const tanhNetwork = { ...c.scale, activation: 'tanh', apply: c.scale.apply };
    tf.dispose(denseCouplingInverse(c.y, tanhNetwork, c.translation, null, c.mask, c.inverseMask, true));
    expect(counts.forward).toBe(0);
    expect(c.scale.calls).toBe(1);
    c.dispose();
  });
});
