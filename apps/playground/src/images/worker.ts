/// <reference lib="webworker" />
// The image page's worker: the models live here, and sampling and coding run here, so the page stays responsive.
import * as tf from '@tensorflow/tfjs-core';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import '@tensorflow/tfjs-backend-cpu';
import { assertSameModel, decodeBitsBack, encodeBitsBack, modelIdentity, readContainer, sha256, writeContainer } from '@flows/codec';
import { ContinuousFlow, registerContinuousFlows } from '@flows/continuous';
import { type ImageView, imageBatches } from '@flows/datasets';
import { DiagonalNormal, type Distribution, type TransformedDistribution } from '@flows/distributions';
import {
  type CodedDescription,
  type CompiledFlow,
  compileFlow,
  compileIntegerFlow,
  decodeIdf,
  decodeInChains,
  EXACT_PATH_VERSION,
  encodeIdf,
  encodeInChains,
  type ImageSource,
  latentScaleFor,
  vaeBitsBackModel,
} from '@flows/flow-codec/browser';
import { deserializeModel, modelFromFiles, selectBackend, serializeModel } from '@flows/flows';
import { type VAE, vaeFromJSON } from '@flows/vae-priors';
import { DIGIT_PIXELS } from './digit-checks.js';
import type { Answers, CodingResult, ModelFiles, Request, WorkerMessage } from './messages.js';
import { loadTestDigits, type TestDigits } from './test-digits.js';

declare const self: DedicatedWorkerGlobalScope;

registerContinuousFlows();
// The models' float32 work (sampling, interpolation, the reported log-likelihoods) runs on the wasm
// backend's single-threaded SIMD build, as the playground's training worker does (see there why not
// the threaded one); the coding's symbols come from the exact path, the same on any backend.
setWasmPaths({ 'tfjs-backend-wasm.wasm': wasmPlain, 'tfjs-backend-wasm-simd.wasm': wasmSimd, 'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedSimd });
tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);

/** mnist-flow's fixed dequantization noise for interpolation (its `interpolate` command's seed). */
const INTERPOLATION_NOISE_SEED = 12345;

let density: { model: Distribution; view: ImageView } | null = null;
/** The density model as flow-codec codes with it (local bits-back), when it is a multi-scale flow of logit-preprocessed pixels. */
let densityCoder: { compiled: CompiledFlow; alpha: number; identity: string } | null = null;
let idf: { flow: TransformedDistribution; identity: string } | null = null;
let vae: { vae: VAE; identity: string } | null = null;
let digits: TestDigits | null = null;

/** flow-codec's default bits-back lattice (its --latent-bits): 2¹² buckets of equal standard-normal mass per latent. */
const LATENT_BITS = 12;

function post(message: WorkerMessage, transfer: Transferable[] = []): void {
  self.postMessage(message, transfer);
}

function progress(phase: string): (done: number, total: number) => void {
  return (done, total) => post({ type: 'progress', phase, done, total });
}

/** The description's metadata, read before the weights are rebuilt, so that another app's model is named as such. */
function metadataOf(files: ModelFiles): Record<string, unknown> {
  const text = files['model.json'];
  if (typeof text !== 'string') throw new Error('pick the model folder’s model.json with its weights-….bin file');
  let json: { metadata?: Record<string, unknown> };
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error('model.json is not JSON: pick the model.json that mnist-flow train or flow-codec train wrote');
  }
  return json.metadata ?? {};
}

/** mnist-flow's recorded preprocessing, as its `sample` reads it. */
function recordedView(view: unknown): ImageView {
  const record = (view ?? {}) as { kind?: unknown; alpha?: unknown };
  if (record.kind === 'dequantized') return { kind: 'dequantized' };
  if (record.kind === 'logit' && typeof record.alpha === 'number' && record.alpha > 0 && record.alpha < 0.5) return { kind: 'logit', alpha: record.alpha };
  throw new Error(`the model records no preprocessing mnist-flow knows (${JSON.stringify(view ?? null).slice(0, 80)}); train it with mnist-flow train`);
}

async function loadDensity(files: ModelFiles): Promise<Answers['load-density']> {
  const metadata = metadataOf(files);
  if (metadata.app === 'flow-codec')
    throw new Error('this is an integer flow of flow-codec train: load it under “Integer flow” (it codes images; it has no samples at a temperature)');
  if (metadata.app !== 'mnist-flow')
    throw new Error(`this model was made by ${String(metadata.app ?? 'an unknown app')}, not mnist-flow train: its preprocessing is unknown here`);
  const view = recordedView(metadata.view);
  const model = modelFromFiles(files);
  if (model.eventSize !== DIGIT_PIXELS) {
    model.dispose();
    throw new Error(`this is a model of ${model.eventSize}-dimensional data; the page shows models of 28×28 digits`);
  }
  if (model.contextSize > 0) {
    model.dispose();
    throw new Error('this model is class-conditional: the page samples and interpolates unconditional models (train without --conditional)');
  }
  density?.model.dispose();
  density = { model, view };
  densityCoder = null;
  // flow-codec's local bits-back coding takes a multi-scale flow of logit-preprocessed pixels; the page says why another cannot code.
  let coding: string;
  if (view.kind !== 'logit') coding = 'it does not code digits here: local bits-back coding needs the logit preprocessing';
  else
    try {
      const compiled = compileFlow(model);
      const { json, weights } = await serializeModel(model);
      densityCoder = { compiled, alpha: view.alpha, identity: await modelIdentity(json.model, weights) };
      coding = 'it codes digits by local bits-back';
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
      coding = `it does not code digits here (${error.message})`;
    }
  const kind = model instanceof ContinuousFlow ? 'continuous flow' : model.eventShape.length === 3 ? 'multi-scale flow' : 'coupling flow';
  const scaling = view.kind === 'logit' ? `logit preprocessing (α = ${view.alpha})` : 'the plain dequantization';
  return {
    summary: `mnist-flow ${kind}, ${model.trainableVariables.reduce((sum, v) => sum + v.size, 0).toLocaleString('en')} weights, ${scaling}; ${coding}`,
    codes: densityCoder !== null,
  };
}

async function loadIdf(files: ModelFiles): Promise<Answers['load-idf']> {
  const metadata = metadataOf(files);
  if (metadata.app === 'mnist-flow')
    throw new Error('this is a density model of mnist-flow train: load it under “Density model”; coding needs an integer flow (flow-codec train)');
  const flow = modelFromFiles(files) as TransformedDistribution;
  try {
    if (flow.eventSize !== DIGIT_PIXELS) throw new Error(`this flow codes ${flow.eventSize} pixels per image; the page codes 28×28 digits`);
    compileIntegerFlow(flow);
  } catch (error) {
    flow.dispose();
    if (error instanceof RangeError) throw new Error(`this model cannot be coded exactly: ${error.message} (train one with flow-codec train)`);
    throw error;
  }
  const { json, weights } = await serializeModel(flow);
  const identity = await modelIdentity(json.model, weights);
  idf?.flow.dispose();
  idf = { flow, identity };
  return { summary: `integer discrete flow of flow-codec train, identity ${identity.slice(0, 12)}…` };
}

/**
 * A VAE from vae-eval's checkpoint folder (checkpoint.json and its weights-….bin; its optimizer file
 * is not needed), rebuilt as flow-codec compress rebuilds it, with the same identity.
 */
async function loadVae(files: ModelFiles): Promise<Answers['load-vae']> {
  const text = files['checkpoint.json'];
  if (typeof text !== 'string') throw new Error('pick the checkpoint.json of a vae-eval run (…/<prior>/run-N/checkpoint) with its weights-….bin file');
  let json: { model?: { model?: { className?: unknown }; weights?: { file?: unknown } } };
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error('checkpoint.json is not JSON: pick the checkpoint.json that vae-eval train wrote');
  }
  if (json.model?.model?.className !== 'VAE') throw new Error('this checkpoint holds no VAE: pick the checkpoint of a vae-eval run');
  const weightsName = json.model.weights?.file;
  const weights = typeof weightsName === 'string' ? files[weightsName] : undefined;
  if (!(weights instanceof Uint8Array)) throw new Error(`pick the weights file that checkpoint.json names (${String(weightsName)}) beside it`);
  const model = deserializeModel<VAE>(json.model, weights, 'checkpoint.json', vaeFromJSON);
  if (model.encoder.inputSize !== DIGIT_PIXELS) {
    model.dispose();
    throw new Error(`this VAE codes ${model.encoder.inputSize} pixels per image; the page codes 28×28 digits`);
  }
  const serialized = await serializeModel(model);
  const identity = await modelIdentity(serialized.json.model, serialized.weights);
  vae?.vae.dispose();
  vae = { vae: model, identity };
  const prior = String(model.getConfig().prior);
  return { summary: `VAE of vae-eval (${prior} prior, ${model.latentSize} latents), identity ${identity.slice(0, 12)}…` };
}

/**
 * Bits-back coding with the VAE of the digits binarized as the VAEs were trained (1 where v ≥ 128),
 * into the file flow-codec compress writes for a VAE, then decoded from the file's bytes.
 */
async function codeVae(pixels: Uint8Array, count: number): Promise<CodingResult> {
  if (!vae) throw new Error('load a VAE (a vae-eval run’s checkpoint folder) first');
  const { vae: model, identity } = vae;
  const bits = pixels.map((value) => (value >= 128 ? 1 : 0));
  const items = Array.from({ length: count }, (_, k) => bits.subarray(k * DIGIT_PIXELS, (k + 1) * DIGIT_PIXELS));
  const started = performance.now();
  const latentScale = latentScaleFor(model);
  const coded = encodeBitsBack(vaeBitsBackModel(model, { latentScale }), items, {
    latentBits: LATENT_BITS,
    latentScale,
    onProgress: progress('bits-back encoding'),
  });
  const description: CodedDescription = {
    codec: 'bb-ans-vae',
    binarized: true,
    latentBits: LATENT_BITS,
    latentScale,
    initialWords: coded.initialWords,
    exactPath: EXACT_PATH_VERSION,
    modelHash: identity,
    count,
    shape: [28, 28],
    dataHash: await sha256(bits),
    source: { kind: 'idx' },
  };
  const file = await writeContainer(description, coded.message);
  const encodeSeconds = (performance.now() - started) / 1000;
  const decodeStarted = performance.now();
  const where = 'the bits-back file';
  const read = await readContainer(file, where);
  assertSameModel(read.description, identity, where);
  // The page's own file, just written from the description above: its lattice fields are the ones set there.
  const written = read.description as CodedDescription;
  const decodedItems = decodeBitsBack(vaeBitsBackModel(model, { latentScale: written.latentScale }), read.message, written.count, {
    latentBits: written.latentBits,
    latentScale: written.latentScale,
    initialWords: written.initialWords,
    onProgress: progress('bits-back decoding'),
  });
  const decoded = new Uint8Array(count * DIGIT_PIXELS);
  decodedItems.forEach((item, k) => decoded.set(item, k * DIGIT_PIXELS));
  const digestMatches = (await sha256(decoded)) === read.description.dataHash;
  const decodeSeconds = (performance.now() - decodeStarted) / 1000;
  const byteExact = digestMatches && decoded.every((value, k) => value === bits[k]);
  const ideal = coded.account.observation + coded.account.prior - coded.account.auxiliary - coded.account.posterior;
  return { file, count, encodeSeconds, decodeSeconds, byteExact, fileBitsPerDim: (8 * file.length) / bits.length, idealBitsPerDim: ideal / bits.length };
}

/** The density flow's dequantized −log₂ p of the digits (one uniform draw per pixel, fixed seed), the logit's log-det counted: what local bits-back should reach. */
function dequantizedNllBits(model: Distribution, alpha: number, pixels: Uint8Array, count: number): number {
  return tf.tidy(() => {
    const v = tf.tensor(Float32Array.from(pixels), [count, ...(model.eventShape as number[])]);
    const p = tf.add(alpha, tf.mul(1 - 2 * alpha, tf.div(tf.add(v, tf.randomUniform(v.shape, 0, 1, 'float32', 12345)), 256)));
    const y = tf.sub(tf.log(p), tf.log1p(tf.neg(p)));
    const logDet = tf.sum(tf.sub(Math.log((1 - 2 * alpha) / 256), tf.log(tf.mul(p, tf.sub(1, p)))));
    return -tf.add(tf.sum(model.logProb(y)), logDet).dataSync()[0] / Math.LN2;
  });
}

/**
 * Local bits-back coding of the 8-bit digits with the density flow, into the file `flow-codec
 * compress --model <the same model>` writes, then decoded from the file's bytes as `decompress` does.
 */
async function codeFlow(pixels: Uint8Array, count: number): Promise<CodingResult> {
  if (!density || !densityCoder)
    throw new Error('load a multi-scale density flow of logit-preprocessed digits (mnist-flow train --architecture multiscale) first');
  const { compiled, alpha, identity } = densityCoder;
  const images = Array.from({ length: count }, (_, k) => pixels.subarray(k * DIGIT_PIXELS, (k + 1) * DIGIT_PIXELS));
  const started = performance.now();
  const coded = await encodeInChains(compiled, images, { alpha, onProgress: progress('local bits-back encoding') });
  const description: CodedDescription = {
    codec: 'local-bits-back-flow',
    binarized: false,
    chains: coded.chains,
    logitAlpha: alpha,
    exactPath: EXACT_PATH_VERSION,
    modelHash: identity,
    count,
    shape: [28, 28],
    dataHash: await sha256(pixels),
    source: { kind: 'idx' },
  };
  const file = await writeContainer(description, coded.message);
  const encodeSeconds = (performance.now() - started) / 1000;
  const decodeStarted = performance.now();
  const where = 'the density flow’s file';
  const read = await readContainer(file, where);
  assertSameModel(read.description, identity, where);
  // The page's own file, just written from the description above: its chains are the ones set there.
  const written = read.description as CodedDescription;
  const decodedImages = await decodeInChains(compiled, read.message, written.count, written.chains ?? [], {
    alpha,
    onProgress: progress('local bits-back decoding'),
  });
  const decoded = new Uint8Array(count * DIGIT_PIXELS);
  decodedImages.forEach((image, k) => decoded.set(image, k * DIGIT_PIXELS));
  const digestMatches = (await sha256(decoded)) === read.description.dataHash;
  const decodeSeconds = (performance.now() - decodeStarted) / 1000;
  const byteExact = digestMatches && decoded.every((value, k) => value === pixels[k]);
  const ideal = dequantizedNllBits(density.model, alpha, pixels, count);
  return { file, count, encodeSeconds, decodeSeconds, byteExact, fileBitsPerDim: (8 * file.length) / pixels.length, idealBitsPerDim: ideal / pixels.length };
}

/** Model space back to grey levels in [0, 1], as mnist-flow's pictures do. */
function toPixels(x: tf.Tensor, view: ImageView): Float32Array {
  return tf.tidy(() =>
    tf.clipByValue(view.kind === 'logit' ? tf.div(tf.sub(tf.sigmoid(x), view.alpha), 1 - 2 * view.alpha) : x, 0, 1).dataSync(),
  ) as Float32Array;
}

function requireDensity(): { model: Distribution; view: ImageView } {
  if (!density) throw new Error('load a density model (mnist-flow train’s model folder) first');
  return density;
}

function sample(n: number, temperature: number, seed: number): Float32Array {
  const { model, view } = requireDensity();
  const x = model.sample(n, { random: seed, temperature });
  const pixels = toPixels(x, view);
  x.dispose();
  return pixels;
}

/**
 * The two digits' latents z₁, z₂ (with mnist-flow's fixed dequantization noise) and the decoded
 * path cos(φ) z₁ + sin(φ) z₂ for φ from 0 to π/2: one edge of mnist-flow interpolate's grid,
 * which keeps the latent's norm where a straight line would shrink it. A continuous flow's latent is
 * standardized by its base as mnist-flow does.
 */
function interpolate(a: Uint8Array, b: Uint8Array, steps: number): Float32Array {
  const { model, view } = requireDensity();
  const images = new Uint8Array(2 * DIGIT_PIXELS);
  images.set(a, 0);
  images.set(b, DIGIT_PIXELS);
  const raw = { images, labels: new Uint8Array(2), count: 2, rows: 28, cols: 28 };
  const shape = model.eventShape.length === 3 ? 'image' : 'flat';
  const batch = imageBatches(raw, { batchSize: 2, view, shuffle: false, noise: 'fixed', noiseSeed: INTERPOLATION_NOISE_SEED, shape }).next().value;
  if (!batch) throw new Error('no batch of the two digits');
  const decoded = tf.tidy(() => {
    let z: tf.Tensor;
    if (model instanceof ContinuousFlow) {
      const base = model.base;
      z = model.transform(batch.x, { from: 1, to: 0 });
      if (base instanceof DiagonalNormal) z = tf.div(tf.sub(z, base.mean), tf.exp(base.logScale));
    } else z = (model as TransformedDistribution).bijector.inverse(batch.x);
    const [z1, z2] = tf.split(z, 2, 0);
    const path = tf.concat(
      Array.from({ length: steps }, (_, i) => {
        const phi = (i / Math.max(1, steps - 1)) * (Math.PI / 2);
        return tf.add(tf.mul(z1, Math.cos(phi)), tf.mul(z2, Math.sin(phi)));
      }),
      0,
    );
    if (model instanceof ContinuousFlow) {
      const base = model.base;
      return model.transform(base instanceof DiagonalNormal ? tf.add(base.mean, tf.mul(path, tf.exp(base.logScale))) : path, { from: 0, to: 1 });
    }
    return (model as TransformedDistribution).bijector.forward(path);
  });
  batch.dispose();
  const pixels = toPixels(decoded, view);
  decoded.dispose();
  return pixels;
}

/**
 * Codes the digits with the integer flow into the file `flow-codec compress` writes (same exact
 * path, container and description), then decodes that file's bytes as `flow-codec decompress`
 * does: its model identity checked, its images popped, its digest compared.
 */
async function code(pixels: Uint8Array, count: number, names: string[] | null): Promise<CodingResult> {
  if (!idf) throw new Error('load an integer flow (flow-codec train’s model folder) first');
  const { flow, identity } = idf;
  if (pixels.length !== count * DIGIT_PIXELS) throw new Error(`${pixels.length} bytes are not ${count} digits of 784 pixels`);
  const started = performance.now();
  const { message, idealBits } = encodeIdf(flow, pixels, count, progress('encoding'));
  // Dropped PNGs keep their order; their names are not written (decompress writes an IDX file), so no name of a stranger's file needs checking here.
  const source: ImageSource = { kind: 'idx' };
  const description: CodedDescription = {
    codec: 'rans-idf',
    binarized: false,
    exactPath: EXACT_PATH_VERSION,
    modelHash: identity,
    count,
    shape: [28, 28],
    dataHash: await sha256(pixels),
    source,
  };
  const file = await writeContainer(description, message);
  const encodeSeconds = (performance.now() - started) / 1000;
  const decodeStarted = performance.now();
  const where = names ? `the file of ${names.length} dropped images` : 'the file of the test digits';
  const read = await readContainer(file, where);
  assertSameModel(read.description, identity, where);
  const decoded = decodeIdf(flow, read.message, read.description.count, DIGIT_PIXELS, progress('decoding'));
  const digestMatches = (await sha256(decoded)) === read.description.dataHash;
  const decodeSeconds = (performance.now() - decodeStarted) / 1000;
  const byteExact = digestMatches && decoded.length === pixels.length && decoded.every((value, k) => value === pixels[k]);
  return {
    file,
    count,
    encodeSeconds,
    decodeSeconds,
    byteExact,
    fileBitsPerDim: (8 * file.length) / pixels.length,
    idealBitsPerDim: idealBits / pixels.length,
  };
}

async function answer(request: Request): Promise<[unknown, Transferable[]]> {
  switch (request.type) {
    case 'init': {
      try {
        await selectBackend({ backend: 'wasm' });
      } catch {
        // Where WebAssembly cannot start, the cpu backend does the same work, slower.
        await selectBackend({ backend: 'cpu' });
      }
      return [{ backend: tf.getBackend() }, []];
    }
    case 'digits': {
      digits ??= await loadTestDigits();
      return [{ pixels: digits.pixels.slice(), labels: digits.labels.slice(), count: digits.count }, []];
    }
    case 'load-density':
      return [await loadDensity(request.files), []];
    case 'load-idf':
      return [await loadIdf(request.files), []];
    case 'load-vae':
      return [await loadVae(request.files), []];
    case 'code-vae': {
      const result = await codeVae(request.pixels, request.count);
      return [result, [result.file.buffer]];
    }
    case 'code-flow': {
      const result = await codeFlow(request.pixels, request.count);
      return [result, [result.file.buffer]];
    }
    case 'sample': {
      const pixels = sample(request.n, request.temperature, request.seed);
      return [pixels, [pixels.buffer]];
    }
    case 'interpolate': {
      const pixels = interpolate(request.a, request.b, request.steps);
      return [pixels, [pixels.buffer]];
    }
    case 'code': {
      const result = await code(request.pixels, request.count, request.names);
      return [result, [result.file.buffer]];
    }
  }
}

/** One request at a time, in order: a model is not replaced while another request uses it. */
let queue: Promise<void> = Promise.resolve();
self.onmessage = (event: MessageEvent<{ id: number; request: Request }>) => {
  const { id, request } = event.data;
  queue = queue.then(async () => {
    try {
      const [value, transfer] = await answer(request);
      post({ type: 'answer', id, ok: true, value }, transfer);
    } catch (error) {
      post({ type: 'answer', id, ok: false, error: error instanceof Error ? error.message : String(error) });
    }
  });
};
