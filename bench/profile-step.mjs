#!/usr/bin/env node
// Where a training step of the benchmark model goes: every kernel registered for the active backend
// is wrapped with a timer, and a few steps are run; prints per step the time in each kernel (with
// the matrix products' GFLOP/s), the kernels' sum and the rest of the step (JavaScript: autodiff's
// tape, tidy, the model's and the optimizer's own code). A kernel that calls another through the
// registry is counted in both; the wasm backend's kernels call each other directly, so that does
// not happen there.
//
//   node bench/profile-step.mjs [--model dense|multiscale] [--batch 256] [--steps 6] [--top 25] [--clock wall|cpu] [--adam optimizer|update] [--fused on|off] [--shapes]
//
// --model multiscale profiles mnist-flow's multi-scale flow at its defaults (`train --architecture
// multiscale`: 2 levels of 4 steps, ActNorm, 1 × 1 convolution, affine coupling with 32-32 channel
// ConvNets; the model and data of `flows-round.mjs --conv`), with each convolution's shape and rate.
//
// On a shared machine wall time measures the other jobs too: `OPENBLAS_NUM_THREADS=1 ... --clock cpu`
// times the work itself (the process's CPU time, everything on one thread), comparable across loads.
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { Random } from '@flows/core';
// @flows/kernels is not a dependency of the bench: loaded from its package folder (the same tfjs-core).
const { adamUpdate } = await import(new URL('../packages/kernels/dist/index.js', import.meta.url).href);
import { Adam, multiScaleFlow, realNVP, selectBackend, describeBackend } from '@flows/flows';

const { values: args } = parseArgs({
  options: {
    backend: { type: 'string', default: 'auto' },
    batch: { type: 'string', default: '256' },
    steps: { type: 'string', default: '6' },
    top: { type: 'string', default: '30' },
    clock: { type: 'string', default: 'wall' },
    // 'update': Adam as @flows/kernels' adamUpdate (one call), to measure it before the optimizer uses it.
    adam: { type: 'string', default: 'optimizer' },
    // 'off': without the fused step's kernels (the dense coupling and the whole Adam update): the
    // networks' own layers, the coupling kernel and Adam's per-moment and per-variable kernels, as before them.
    fused: { type: 'string', default: 'on' },
    model: { type: 'string', default: 'dense' },
    // Each other kernel keyed by its inputs' shapes too (where the time of Multiply, Sum, … goes).
    shapes: { type: 'boolean', default: false },
  },
});
const batch = Number(args.batch);
// 'cpu': the process's CPU time (user + system) instead of wall time. With one native thread
// (OPENBLAS_NUM_THREADS=1) that is the work itself, whatever else the machine runs.
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const now = args.clock === 'cpu' ? cpuMs : () => performance.now();
const steps = Number(args.steps);

const choice = await selectBackend({ backend: args.backend });
console.log(describeBackend(choice));
if (args.fused === 'off')
  for (const name of ['FlowsDenseCouplingInverse', 'FlowsDenseCouplingInverseGradient', 'FlowsAdamUpdate'])
    if (tf.getKernel(name, tf.getBackend())) tf.unregisterKernel(name, tf.getBackend());

const timings = new Map();
let timing = false;
const backendName = tf.getBackend();
for (const config of tf.getKernelsForBackend(backendName)) {
  const original = config.kernelFunc;
  tf.unregisterKernel(config.kernelName, backendName);
  tf.registerKernel({
    ...config,
    kernelFunc: (a) => {
      if (!timing) return original(a);
      const t0 = now();
      const out = original(a);
      const ms = now() - t0;
      let key = config.kernelName;
      let flop = 0;
      if (key === 'BatchMatMul' || key === '_FusedMatMul') {
        const { a: A, b: B } = a.inputs;
        const ta = a.attrs.transposeA,
          tb = a.attrs.transposeB;
        const m = ta ? A.shape.at(-1) : A.shape.at(-2);
        const k = ta ? A.shape.at(-2) : A.shape.at(-1);
        const n = tb ? B.shape.at(-2) : B.shape.at(-1);
        flop = 2 * m * n * k;
        key = `${key} ${m}x${k}x${n}${ta ? ' tA' : ''}${tb ? ' tB' : ''}${a.attrs.activation && a.attrs.activation !== 'linear' ? ` ${a.attrs.activation}` : ''}${a.inputs.bias ? ' +b' : ''}`;
      } else if (key === 'Conv2D' || key === 'FusedConv2D' || key === 'FlowsConv2DFilterGradient' || key === 'Conv2DBackpropInput') {
        // [N, H, W, C] images, [k, k, C_in, C_out] filters: 2 N H W k² C_in C_out FLOP (stride 1, 'same').
        const image = key === 'Conv2DBackpropInput' ? a.inputs.dy : a.inputs.x;
        const [n, h, w] = image.shape;
        const [kh, kw, cin, cout] =
          key === 'FlowsConv2DFilterGradient' ? [a.attrs.kernelSize, a.attrs.kernelSize, a.inputs.x.shape[3], a.inputs.dz.shape[3]] : a.inputs.filter.shape;
        flop = 2 * n * h * w * kh * kw * cin * cout;
        key = `${key} ${kh}x${kw} ${cin}->${cout} ${h}x${w}${a.attrs.activation && a.attrs.activation !== 'linear' ? ` ${a.attrs.activation}` : ''}`;
      } else if (args.shapes) {
        key = `${key} ${Object.values(a.inputs)
          .filter(Boolean)
          .map((t) => `[${t.shape}]`)
          .join(' ')
          .slice(0, 100)}`;
      }
      const entry = timings.get(key) ?? { ms: 0, calls: 0, flop: 0 };
      entry.ms += ms;
      entry.calls += 1;
      entry.flop += flop;
      timings.set(key, entry);
      return out;
    },
  });
}

function dequantized(n) {
  const random = new Random(7);
  const values = new Float32Array(n * 784);
  for (let i = 0; i < values.length; i++) values[i] = (Math.floor(random.uniform() * 256) + random.uniform()) / 256;
  return values;
}

const multiScale = args.model === 'multiscale';
const model = multiScale
  ? multiScaleFlow({ shape: [28, 28, 1], levels: 2, stepsPerLevel: 4, hidden: [32, 32], seed: 0 })
  : realNVP({ size: 784, layers: 8, hidden: [256, 256], activation: 'relu', mask: 'checkerboard', imageShape: [28, 28], scaleTanh: true, seed: 0 });
/** Adam (lr 1e-3, the default βs and ε) as one adamUpdate call over flat moments. */
class WholeAdam {
  constructor(variables) {
    this.variables = variables;
    const total = variables.reduce((n, v) => n + v.size, 0);
    this.m = tf.variable(tf.zeros([total]), false);
    this.v = tf.variable(tf.zeros([total]), false);
    this.t = 0;
  }
  applyGradients(grads) {
    this.t += 1;
    tf.tidy(() => {
      const lr = 1e-3;
      const out = adamUpdate(
        this.variables,
        this.variables.map((v) => grads[v.name]),
        this.m,
        this.v,
        {
          beta1: 0.9,
          beta2: 0.999,
          clipNorm: 0,
          stepSize: lr / (1 - 0.9 ** this.t),
          inverseCorrection2: 1 / (1 - 0.999 ** this.t),
          epsilon: 1e-7,
          decay: 1,
        },
      );
      this.m.assign(out.firstMoment);
      this.v.assign(out.secondMoment);
      this.variables.forEach((v, i) => v.assign(out.parameters[i]));
    });
  }
  dispose() {
    tf.dispose([this.m, this.v]);
  }
}
const optimizer = args.adam === 'update' ? new WholeAdam(model.trainableVariables) : new Adam(model.trainableVariables, { learningRate: 1e-3 });
// The multi-scale flow trains on logit-preprocessed data (α = 10⁻⁶), as mnist-flow and flows-round.mjs do.
const alpha = 1e-6;
const logit = (v) => {
  const p = alpha + (1 - 2 * alpha) * v;
  return Math.log(p) - Math.log1p(-p);
};
const x = tf.tensor2d(multiScale ? dequantized(batch).map(logit) : dequantized(batch), [batch, 784]);
const variables = model.trainableVariables;
let gradientMs = 0;
let optimizerMs = 0;
const step = () =>
  tf.tidy(() => {
    const t0 = now();
    const { value, grads } = tf.variableGrads(() => tf.neg(tf.mean(model.uncheckedLogProb(x))), variables);
    const t1 = now();
    optimizer.applyGradients(grads);
    if (timing) {
      gradientMs += t1 - t0;
      optimizerMs += now() - t1;
    }
    return value;
  });

for (let i = 0; i < 3; i++) {
  const loss = step();
  await loss.data();
  loss.dispose();
}
const before = tf.memory().numTensors;
timing = true;
const t0 = now();
const losses = [];
for (let i = 0; i < steps; i++) {
  const loss = step();
  losses.push((await loss.data())[0]);
  loss.dispose();
}
const total = (now() - t0) / steps;
timing = false;
const after = tf.memory().numTensors;

// The log-density pass alone (no gradient), timed the same way.
const logProbStart = now();
for (let i = 0; i < steps; i++) {
  const value = tf.tidy(() => model.uncheckedLogProb(x));
  await value.data();
  value.dispose();
}
const logProbMs = (now() - logProbStart) / steps;
const rows = [...timings.entries()].map(([key, e]) => ({
  key,
  ms: e.ms / steps,
  calls: e.calls / steps,
  gflops: e.flop ? e.flop / (e.ms / 1000) / 1e9 : 0,
  flop: e.flop / steps,
}));
rows.sort((a, b) => b.ms - a.ms);
const kernelMs = rows.reduce((s, r) => s + r.ms, 0);
const productRows = rows.filter((r) => r.flop > 0);
const productMs = productRows.reduce((s, r) => s + r.ms, 0);
const productFlop = productRows.reduce((s, r) => s + r.flop, 0);
const calls = rows.reduce((s, r) => s + r.calls, 0);
console.log(
  `batch ${batch}, ${steps} steps, ${args.clock} clock, load ${(await import('node:os')).loadavg()[0].toFixed(1)}; step ${total.toFixed(1)} ms (${(batch / (total / 1000)).toFixed(0)} samples/s); gradients ${(gradientMs / steps).toFixed(1)} ms, optimizer ${(optimizerMs / steps).toFixed(1)} ms`,
);
console.log(
  `kernels ${kernelMs.toFixed(1)} ms in ${calls.toFixed(0)} calls; ${
    productMs > 0
      ? `products and convolutions ${productMs.toFixed(1)} ms (${(productFlop / 1e9).toFixed(2)} GFLOP at ${(productFlop / productMs / 1e6).toFixed(0)} GFLOP/s)`
      : 'no product kernels (inside the fused ones)'
  }; other kernels ${(kernelMs - productMs).toFixed(1)} ms; outside kernels ${(total - kernelMs).toFixed(1)} ms`,
);
console.log(`log-density pass ${logProbMs.toFixed(1)} ms (${(batch / (logProbMs / 1000)).toFixed(0)} samples/s)`);
console.log(`tensors before/after: ${before}/${after}; losses ${losses.map((l) => l.toFixed(3)).join(' ')}`);
for (const r of rows.slice(0, Number(args.top)))
  console.log(
    `${r.ms.toFixed(2).padStart(8)} ms ${r.calls.toFixed(0).padStart(5)} calls  ${r.gflops ? `${r.gflops.toFixed(0).padStart(4)} GFLOP/s` : '              '}  ${r.key}`,
  );
tf.dispose(x);
optimizer.dispose();
model.dispose();
