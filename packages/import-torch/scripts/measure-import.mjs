// How long importing a 10 MB flow takes: reading the files, checking them and building the model
// (and, apart, writing this project's model files). Not a unit test: timings vary with the machine.
//
//   node scripts/measure-import.mjs [--weights flow.safetensors --architecture flow.json] [--runs 5]
//
// Without files it makes a zuko-style MAF of 2.6 million weights (10 MB of float32 and its masks):
// 64 features, two transforms of masked 64 → 1024 → 1024 → 128 networks.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { modelFiles } from '@flows/model-files';
import { importTorchFiles, writeSafetensors } from '../dist/index.js';

const { values } = parseArgs({ options: { weights: { type: 'string' }, architecture: { type: 'string' }, runs: { type: 'string', default: '5' } } });
await tf.setBackend('cpu');
tf.backend().firstUse = false;

/** A zuko MAF as export_flow.py describes it, with random weights and MADE masks. */
function syntheticMaf(directory) {
  const features = 64;
  const hidden = [1024, 1024];
  const tensors = {};
  const transforms = [];
  let seed = 1;
  const random = () => {
    seed = (seed * 1664525 + 1013904223) % 2 ** 32;
    return seed / 2 ** 32 - 0.5;
  };
  for (let t = 0; t < 2; t++) {
    const order = Array.from({ length: features }, (_, i) => (t % 2 === 0 ? i : features - 1 - i));
    const inputDegrees = order.map((o) => o + 1);
    const layers = [...hidden, features * 2];
    let previous = inputDegrees;
    const steps = [];
    layers.forEach((outputs, l) => {
      const last = l === layers.length - 1;
      const degrees = last
        ? Array.from({ length: outputs }, (_, o) => inputDegrees[Math.floor(o / 2)])
        : Array.from({ length: outputs }, (_, k) => (k % (features - 1)) + 1);
      const inputs = previous.length;
      const weight = new Float32Array(outputs * inputs);
      const mask = new Uint8Array(outputs * inputs);
      for (let o = 0; o < outputs; o++) {
        for (let i = 0; i < inputs; i++) {
          weight[o * inputs + i] = random() * 0.05;
          mask[o * inputs + i] = (last ? degrees[o] > previous[i] : degrees[o] >= previous[i]) ? 1 : 0;
        }
      }
      const key = `transform.transforms.${t}.hyper.${2 * l}`;
      tensors[`${key}.weight`] = { dtype: 'F32', shape: [outputs, inputs], values: weight };
      tensors[`${key}.bias`] = { dtype: 'F32', shape: [outputs], values: new Float32Array(outputs).map(() => random() * 0.05) };
      tensors[`${key}.mask`] = { dtype: 'BOOL', shape: [outputs, inputs], values: mask };
      steps.push({ linear: { weight: `${key}.weight`, bias: `${key}.bias`, mask: `${key}.mask`, inputs, outputs } });
      if (!last) steps.push({ activation: 'relu' });
      previous = degrees;
    });
    transforms.push({
      type: 'zuko.MaskedAutoregressiveTransform',
      univariate: 'MonotonicAffineTransform',
      settings: { slope: 0.001 },
      shapes: [[], []],
      passes: features,
      order,
      network: { type: 'sequential', steps },
    });
  }
  const description = {
    format: 'flows-torch-architecture',
    formatVersion: 1,
    library: 'zuko',
    libraryVersion: 'synthetic',
    features,
    context: 0,
    transforms,
    base: { type: 'StandardNormal' },
  };
  const weights = join(directory, 'flow.safetensors');
  const architecture = join(directory, 'flow.json');
  writeFileSync(weights, writeSafetensors(tensors));
  writeFileSync(architecture, JSON.stringify(description));
  return { weights, architecture };
}

const scratch = mkdtempSync(join(tmpdir(), 'flows-import-measure-'));
try {
  const files = values.weights ? { weights: values.weights, architecture: values.architecture } : syntheticMaf(scratch);
  const bytes = statSync(files.weights).size;
  const imports = [];
  const saves = [];
  for (let run = 0; run < Number(values.runs); run++) {
    const started = performance.now();
    const { model } = await importTorchFiles(files.weights, files.architecture);
    imports.push(performance.now() - started);
    const saving = performance.now();
    await modelFiles(model);
    saves.push(performance.now() - saving);
    if (run === 0) console.log(`model: ${model.variables.reduce((n, v) => n + v.size, 0)} weights, ${(bytes / 1e6).toFixed(1)} MB of safetensors`);
    model.dispose();
  }
  const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];
  console.log(
    `import (read, check, build): median ${median(imports).toFixed(0)} ms over ${imports.length} runs (${imports.map((t) => t.toFixed(0)).join(', ')})`,
  );
  console.log(`model files (modelFiles): median ${median(saves).toFixed(0)} ms`);
  if (!values.weights) readFileSync(files.architecture);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
