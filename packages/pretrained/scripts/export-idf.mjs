#!/usr/bin/env node
// Turns an integer discrete flow trained by `flow-codec train` (its run's model/ folder) into a
// shipped model: the weights stored at half precision (--precision float16, the default; half the
// bytes) except each integer coupling's output bias, which stays float32, then measured from what
// was written: the test bits/dim of the first --images MNIST test images (the card's check) and of
// all 10 000 (its figure), as integers 0…255.
//
// Why the output biases: a coupling's shift is ⌊256 · m(x/256)⌉, so its network's output bias moves
// every shift directly, times 256. At half precision (11 significant bits) a bias near 0.5 moves by
// up to 2⁻¹³, a shift by 0.03 of a bin, and shifts near a half flip to the next integer: on 2 000
// test images the trained flow went from 1.8212 to 1.8586 bits/dim with those biases at half, and
// stayed at 1.8212 with every other tensor at half (the networks' other layers, the priors, the bases).
//
//   node packages/pretrained/scripts/export-idf.mjs --run runs/idf-ship --out packages/pretrained/models/mnist-idf
//
// The file length of the check (`fileBytes`) comes from `flow-codec compress --model
// pretrained:mnist-idf --input mnist-test --limit <images>` once the card lists the model. Needs the
// workspace built.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '@flows/backends';
import { loadMnist } from '@flows/datasets';
import { IntegerAdditiveCoupling } from '@flows/bijectors';
import { loadModel, saveModel } from '@flows/flows';

const { values: o } = parseArgs({
  options: {
    run: { type: 'string' },
    out: { type: 'string' },
    images: { type: 'string', default: '50' },
    precision: { type: 'string', default: 'float16' },
  },
});
if (!o.run || !o.out) throw new Error('give --run <flow-codec train output folder> and --out <folder>');
await selectBackend();
const saved = JSON.parse(readFileSync(join(o.run, 'model', 'model.json'), 'utf8'));
const trained = await loadModel(join(o.run, 'model'));
/** The integer couplings inside the model (through chains and factor-out levels). */
function couplingsOf(object, found = new Set(), seen = new Set()) {
  if (!object || typeof object !== 'object' || seen.has(object)) return found;
  seen.add(object);
  if (object instanceof IntegerAdditiveCoupling) found.add(object);
  else for (const value of Object.values(object)) couplingsOf(value, found, seen);
  return found;
}
// Each coupling's last variable is its shift network's output bias (checked: one dimension).
const outputBiases = new Set(
  [...couplingsOf(trained)].map((coupling) => {
    const bias = coupling.variables.at(-1);
    if (bias.shape.length !== 1) throw new Error(`a coupling's last variable has the shape [${bias.shape}], not an output bias`);
    return bias;
  }),
);
const precision = o.precision === 'float16' ? (variable) => (outputBiases.has(variable) ? 'float32' : 'float16') : o.precision;
await saveModel(trained, o.out, saved.metadata, { precision });
trained.dispose();
const flow = await loadModel(o.out);
const test = await loadMnist('test');
/** −log2 P(x) per pixel of the first `count` test images (the flow's log-probability is of a mass). */
function bitsPerDim(count) {
  let total = 0;
  for (let start = 0; start < count; start += 500) {
    const size = Math.min(500, count - start);
    total += tf.tidy(() => {
      const x = tf.tensor(Float32Array.from(test.images.subarray(start * 784, (start + size) * 784)), [size, ...flow.eventShape]);
      return tf.sum(flow.logProb(x)).dataSync()[0];
    });
  }
  return -total / (count * 784 * Math.LN2);
}
const images = Number(o.images);
const bytes = readdirSync(o.out).reduce((sum, file) => sum + statSync(join(o.out, file)).size, 0);
console.log(
  JSON.stringify({
    backend: tf.getBackend(),
    precision: o.precision,
    sizeBytes: bytes,
    images,
    bitsPerDim: bitsPerDim(images),
    testBitsPerDim: bitsPerDim(test.count),
  }),
);
