import { exactExpm1, exactSigmoid, exactSoftplus, exactTanh } from '@flows/codec';
import type { Activation, ConvNet, MLP } from '@flows/networks';
import { EXACT_CONV_WASM } from './exact-conv-wasm.js';

/**
 * The version of the exact path, recorded in every file this version writes (`exactPath` in its
 * description): the arithmetic of the networks here (float64, inputs in ascending order, the
 * activations below), of the couplings and flow priors built on them (idf-coding.ts,
 * vae-bits-back.ts) and of `@flows/codec`'s own functions (`EXACT_MATH_VERSION`). Anything that
 * can change one bit of a number that decides a coded symbol must raise it: a file then names the
 * version that wrote it, and a decoder of another version says so instead of blaming the file.
 *
 * - 1: the first (integer flows, VAEs, and local bits-back coding of continuous flows).
 * - 2: local bits-back coding folds each ActNorm into the 1 × 1 convolution after it, shifts by
 *   the convolution's lower factor in whole bins and sums its networks in float32
 *   ({@link LOCAL_BITS_BACK_SINCE}); integer flows' and VAEs' numbers are version 1's, so their
 *   version-1 files still decode.
 */
export const EXACT_PATH_VERSION = 2;

/** The first exact-path version whose local bits-back files this one decodes (version 1's coded its steps otherwise). */
export const LOCAL_BITS_BACK_SINCE = 2;

/** One activation in float64 from `@flows/codec`'s exact functions: the same bits on every engine and CPU. */
function activate(value: number, activation: Activation): number {
  switch (activation) {
    case 'relu':
      return Math.max(value, 0);
    case 'leakyRelu':
      return value > 0 ? value : 0.01 * value;
    case 'tanh':
      return exactTanh(value);
    case 'elu':
      return value > 0 ? value : exactExpm1(value);
    case 'sigmoid':
      return exactSigmoid(value);
    case 'softplus':
      return exactSoftplus(value);
    case 'swish':
      return value * exactSigmoid(value);
    case 'linear':
      return value;
    default:
      throw new RangeError(`unknown activation '${String(activation)}'`);
  }
}

/** An MLP's weights read out once, to evaluate it in plain float64 arithmetic. */
export interface ExactNetwork {
  /** The widths: inputs, hidden layers, outputs. */
  sizes: number[];
  /** Layer l's weights, row-major [sizes[l], sizes[l + 1]] (float32 values, read as doubles exactly). */
  weights: Float32Array[];
  biases: Float32Array[];
  activation: Activation;
}

export function exactNetwork(network: MLP): ExactNetwork {
  return {
    sizes: [network.inputSize, ...network.hidden, network.outputSize],
    weights: network.weights.map((w) => w.dataSync() as Float32Array),
    biases: network.biases.map((b) => b.dataSync() as Float32Array),
    activation: network.activation,
  };
}

/**
 * The same network on a subset of its inputs and outputs: the rows of the first layer's weights for
 * `inputs` (ascending: the others are always 0, as a coupling's masked coordinates are) and the
 * columns of the last layer for `outputs`. Every output it keeps is computed exactly as by the whole
 * network, in the same order of additions, at a fraction of the cost.
 */
export function restrictNetwork(network: ExactNetwork, inputs: ArrayLike<number> | null, outputs: ArrayLike<number> | null): ExactNetwork {
  const sizes = [...network.sizes];
  const weights = [...network.weights];
  const biases = [...network.biases];
  const last = weights.length - 1;
  if (inputs) {
    for (let k = 1; k < inputs.length; k++) if (!(inputs[k] > inputs[k - 1])) throw new RangeError('restrictNetwork: the inputs must ascend');
    const fanOut = sizes[1];
    const rows = new Float32Array(inputs.length * fanOut);
    for (let k = 0; k < inputs.length; k++) rows.set(weights[0].subarray(inputs[k] * fanOut, (inputs[k] + 1) * fanOut), k * fanOut);
    weights[0] = rows;
    sizes[0] = inputs.length;
  }
  if (outputs) {
    const fanIn = sizes[last];
    const fanOut = sizes[last + 1];
    const columns = new Float32Array(fanIn * outputs.length);
    for (let i = 0; i < fanIn; i++) for (let k = 0; k < outputs.length; k++) columns[i * outputs.length + k] = weights[last][i * fanOut + outputs[k]];
    weights[last] = columns;
    biases[last] = Float32Array.from(outputs, (j) => biases[last][j]);
    sizes[last + 1] = outputs.length;
  }
  return { sizes, weights, biases, activation: network.activation };
}

const scratch = { indices: new Int32Array(0), values: new Float64Array(0) };

/**
 * One dense layer on `rows` inputs: `out = b + Σ_i x_i W_i` with the sum in ascending i, skipping
 * the inputs that are 0 (most of an image's pixels, half of a ReLU layer's outputs: a zero term
 * changes no sum but the sign of a zero, which nothing downstream sees). Four inputs go through
 * each pass over the outputs, still added one after another, so the order of additions is fixed.
 */
function denseLayer(input: Float64Array, rows: number, weight: Float32Array, bias: Float32Array, fanIn: number, fanOut: number): Float64Array {
  const output = new Float64Array(rows * fanOut);
  if (scratch.indices.length < fanIn) scratch.indices = new Int32Array(fanIn);
  if (scratch.values.length < fanIn) scratch.values = new Float64Array(fanIn);
  const { indices, values } = scratch;
  for (let row = 0; row < rows; row++) {
    const at = row * fanOut;
    let used = 0;
    for (let i = 0, from = row * fanIn; i < fanIn; i++) {
      const value = input[from + i];
      if (value !== 0) {
        indices[used] = i * fanOut;
        values[used++] = value;
      }
    }
    for (let j = 0; j < fanOut; j++) output[at + j] = bias[j];
    let k = 0;
    for (; k + 4 <= used; k += 4) {
      const v0 = values[k];
      const v1 = values[k + 1];
      const v2 = values[k + 2];
      const v3 = values[k + 3];
      const w0 = indices[k];
      const w1 = indices[k + 1];
      const w2 = indices[k + 2];
      const w3 = indices[k + 3];
      for (let j = 0; j < fanOut; j++) output[at + j] = output[at + j] + v0 * weight[w0 + j] + v1 * weight[w1 + j] + v2 * weight[w2 + j] + v3 * weight[w3 + j];
    }
    for (; k < used; k++) {
      const value = values[k];
      const w = indices[k];
      for (let j = 0; j < fanOut; j++) output[at + j] += value * weight[w + j];
    }
  }
  return output;
}

/**
 * The MLP `h_{l+1} = act(h_l W_l + b_l)` (no activation after the last layer) on `rows` inputs
 * divided by `inputScale`, in float64 with a fixed order of operations. An entropy coder needs its
 * encoder and decoder to build the same probability tables from the same numbers: the backends'
 * float32 kernels differ in their order of additions (OpenBLAS, the native AVX-512 kernels, XNNPACK,
 * WebGL), but IEEE-754 double additions, products and divisions in a fixed order give the same bits
 * on every engine and CPU, in Node and in the browser, and the smooth activations use
 * `@flows/codec`'s exact functions, not the engine's `Math.exp`/`Math.tanh`.
 */
export function evaluateExactly(network: ExactNetwork, input: ArrayLike<number>, rows: number, inputScale = 1): Float64Array {
  const { sizes, weights, biases, activation } = network;
  if (input.length !== rows * sizes[0]) throw new RangeError(`the network takes ${sizes[0]} inputs per row; got ${input.length / rows}`);
  let current: Float64Array = inputScale === 1 ? Float64Array.from(input) : Float64Array.from(input, (v) => v / inputScale);
  for (let layer = 0; layer < weights.length; layer++) {
    current = denseLayer(current, rows, weights[layer], biases[layer], sizes[layer], sizes[layer + 1]);
    if (layer === weights.length - 1) continue;
    if (activation === 'relu') for (let k = 0; k < current.length; k++) current[k] = Math.max(current[k], 0);
    else for (let k = 0; k < current.length; k++) current[k] = activate(current[k], activation);
  }
  return current;
}

/** A ConvNet's filters read out once, to evaluate it in plain float64 (or float32) arithmetic. */
export interface ExactConvNetwork {
  /** The channels: inputs, hidden layers, outputs. */
  channels: number[];
  /** The odd kernel size k of every layer ('same' padding of (k − 1)/2). */
  kernelSize: number;
  /** Layer l's filter, [k, k, channels[l], channels[l + 1]] row-major: the float32 weights as doubles (exactly; read once, not converted per product). */
  filters: Float64Array[];
  biases: Float32Array[];
  activation: Activation;
  /**
   * Sums in float32, each product and sum rounded to float32 (the input too), instead of float64:
   * as exact, the same bits on every engine and CPU, and in WebAssembly twice the outputs per
   * instruction. Local bits-back coding's networks run so; the integer flows' and VAEs' in float64,
   * as their files were written.
   */
  float32?: boolean;
}

export function exactConvNetwork(network: ConvNet, options: { float32?: boolean } = {}): ExactConvNetwork {
  return {
    channels: [network.inputSize, ...network.hidden, network.outputSize],
    kernelSize: network.kernelSize,
    filters: network.filters.map((f) => Float64Array.from(f.dataSync())),
    biases: network.biases.map((b) => b.dataSync() as Float32Array),
    activation: network.activation,
    ...(options.float32 ? { float32: true } : {}),
  };
}

type ConvFunction = (...args: number[]) => void;
/** The WebAssembly convolution (exact-conv.wat): its memory and functions, or null where WebAssembly with SIMD cannot start (then the JavaScript below, the same bits). */
type WasmConvolution = { memory: WebAssembly.Memory; conv: ConvFunction; conv32: ConvFunction };
let wasmConvolution: WasmConvolution | null | undefined;
let wasmAllowed = true;

function loadWasmConvolution(): WasmConvolution | null {
  if (wasmConvolution !== undefined) return wasmConvolution;
  try {
    const bytes = Uint8Array.from(atob(EXACT_CONV_WASM), (ch) => ch.charCodeAt(0));
    const { exports } = new WebAssembly.Instance(new WebAssembly.Module(bytes), {});
    wasmConvolution = { memory: exports.memory as WebAssembly.Memory, conv: exports.conv as ConvFunction, conv32: exports.conv32 as ConvFunction };
  } catch {
    wasmConvolution = null;
  }
  return wasmConvolution;
}

/** For tests: whether the exact convolution may use WebAssembly (true), or only the JavaScript (false); returns whether WebAssembly runs it now. */
export function useWasmConvolution(allowed: boolean): boolean {
  wasmAllowed = allowed;
  return allowed && loadWasmConvolution() !== null;
}

/**
 * Where the WebAssembly convolution keeps a network's filters and biases (as its floats, each at a
 * multiple of 16 bytes): copied into its memory once per filter and precision, at the bottom,
 * below the space each evaluation uses for its activations and lists.
 */
let wasmConstants = { 8: new WeakMap<Float64Array | Float32Array, number>(), 4: new WeakMap<Float64Array | Float32Array, number>() };
let wasmConstantsEnd = 0;
/** Past this many bytes of constants (many networks over a long life), the copies start over. */
const WASM_CONSTANTS_LIMIT = 64 * 2 ** 20;

const align16 = (bytes: number) => Math.ceil(bytes / 16) * 16;

function ensureMemory(wasm: WasmConvolution, end: number): void {
  const { memory } = wasm;
  if (end > memory.buffer.byteLength) memory.grow(Math.ceil((end - memory.buffer.byteLength) / 65536));
}

/** A view of the module's memory as floats of `bytes` bytes each. */
function floats(wasm: WasmConvolution, bytes: 4 | 8, at: number, length: number): Float64Array | Float32Array {
  return bytes === 8 ? new Float64Array(wasm.memory.buffer, at, length) : new Float32Array(wasm.memory.buffer, at, length);
}

/** The byte address of `values` (a filter, or a bias) as floats of `bytes` bytes in the module's memory, copied there the first time. */
function wasmConstant(wasm: WasmConvolution, values: Float64Array | Float32Array, bytes: 4 | 8): number {
  const known = wasmConstants[bytes].get(values);
  if (known !== undefined) return known;
  const at = wasmConstantsEnd;
  wasmConstantsEnd = align16(at + bytes * values.length);
  ensureMemory(wasm, wasmConstantsEnd);
  floats(wasm, bytes, at, values.length).set(values);
  wasmConstants[bytes].set(values, at);
  return at;
}

/**
 * {@link evaluateConvExactly} in WebAssembly (exact-conv.wat, the same sums in the same order): the
 * input copied in, the activations kept in its memory from layer to layer (ReLU applied there, other
 * activations here, by the same functions as the JavaScript path), the output copied out.
 */
function evaluateInWasm(wasm: WasmConvolution, network: ExactConvNetwork, input: Float64Array, rows: number, height: number, width: number): Float64Array {
  const { channels, filters, biases, activation, kernelSize } = network;
  const bytes = network.float32 ? 4 : 8;
  const layerCount = filters.length;
  const uncached = [...filters, ...biases].reduce((sum, values) => sum + (wasmConstants[bytes].has(values) ? 0 : align16(bytes * values.length)), 0);
  if (wasmConstantsEnd + uncached > WASM_CONSTANTS_LIMIT) {
    wasmConstants = { 8: new WeakMap(), 4: new WeakMap() };
    wasmConstantsEnd = 0;
  }
  const filterAt = filters.map((filter) => wasmConstant(wasm, filter, bytes));
  const biasAt = biases.map((bias) => wasmConstant(wasm, bias, bytes));
  const pixels = rows * height * width;
  const widest = Math.max(...channels);
  const bufferA = wasmConstantsEnd;
  const bufferB = align16(bufferA + bytes * pixels * widest);
  const cnt = align16(bufferB + bytes * pixels * widest);
  const idx = align16(cnt + 4 * pixels);
  const val = align16(idx + 4 * pixels * widest);
  ensureMemory(wasm, val + bytes * pixels * widest);
  floats(wasm, bytes, bufferA, input.length).set(input);
  const conv = network.float32 ? wasm.conv32 : wasm.conv;
  let from = bufferA;
  let to = bufferB;
  for (let layer = 0; layer < layerCount; layer++) {
    const hidden = layer < layerCount - 1;
    const fanOut = channels[layer + 1];
    conv(
      from,
      rows,
      height,
      width,
      filterAt[layer],
      biasAt[layer],
      channels[layer],
      fanOut,
      kernelSize,
      to,
      hidden && activation === 'relu' ? 1 : 0,
      cnt,
      idx,
      val,
    );
    if (hidden && activation !== 'relu') {
      // A Float32Array rounds what it is given to float32.
      const values = floats(wasm, bytes, to, pixels * fanOut);
      for (let k = 0; k < values.length; k++) values[k] = activate(values[k], activation);
    }
    [from, to] = [to, from];
  }
  return Float64Array.from(floats(wasm, bytes, from, pixels * channels[layerCount]));
}

/**
 * {@link convolutionLayer} in float32: each output starts at its bias and adds fround(value · F),
 * rounding each sum to float32, in the same order (what `conv32` computes: the product of two
 * float32 values is exact in a double, and a double sum of two float32 values rounded to float32 is
 * the float32 sum). The path where WebAssembly with SIMD cannot start.
 */
function convolutionLayer32(
  input: Float64Array,
  rows: number,
  height: number,
  width: number,
  filter: Float64Array,
  bias: Float32Array,
  fanIn: number,
  fanOut: number,
  k: number,
): Float64Array {
  const pad = (k - 1) / 2;
  const pixels = height * width;
  const output = new Float64Array(rows * pixels * fanOut);
  const round = Math.fround;
  for (let row = 0; row < rows; row++)
    for (let oy = 0; oy < height; oy++)
      for (let ox = 0; ox < width; ox++) {
        const to = (row * pixels + oy * width + ox) * fanOut;
        for (let o = 0; o < fanOut; o++) {
          let a = bias[o];
          for (let i = Math.max(0, pad - oy); i < Math.min(k, height + pad - oy); i++)
            for (let j = Math.max(0, pad - ox); j < Math.min(k, width + pad - ox); j++) {
              const from = (row * pixels + (oy + i - pad) * width + (ox + j - pad)) * fanIn;
              const tap = (i * k + j) * fanIn;
              for (let c = 0; c < fanIn; c++) {
                const value = input[from + c];
                if (value !== 0) a = round(a + round(value * filter[(tap + c) * fanOut + o]));
              }
            }
          output[to + o] = a;
        }
      }
  return output;
}

/**
 * One 'same'-padded convolution of `rows` images `[height, width, fanIn]`:
 * `out[y, x, o] = b_o + Σ_{i, j, c} in[y + i − p, x + j − p, c] · F[i, j, c, o]`. Each output starts
 * at its bias and adds its inputs' terms taps (i, j) first, then channels c, all ascending: a fixed
 * order of additions, the same on every engine and CPU (a zero input is skipped: most of an image's
 * pixels and half of a ReLU layer's outputs, which change no sum). The outputs are summed eight at a
 * time in local variables (each its own sum, in that order), which keeps them out of memory. This is
 * the path where WebAssembly with SIMD cannot start; elsewhere (Node, today's browsers)
 * exact-conv.wat adds in the same order, so the same bits.
 */
function convolutionLayer(
  input: Float64Array,
  rows: number,
  height: number,
  width: number,
  filter: Float64Array,
  bias: Float32Array,
  fanIn: number,
  fanOut: number,
  k: number,
): Float64Array {
  const pad = (k - 1) / 2;
  const pixels = height * width;
  const blocked = fanOut - (fanOut % 8);
  const output = new Float64Array(rows * pixels * fanOut);
  for (let row = 0; row < rows; row++) {
    const inAt = row * pixels * fanIn;
    for (let oy = 0; oy < height; oy++)
      for (let ox = 0; ox < width; ox++) {
        const to = (row * pixels + oy * width + ox) * fanOut;
        const iLow = Math.max(0, pad - oy);
        const iHigh = Math.min(k, height + pad - oy);
        const jLow = Math.max(0, pad - ox);
        const jHigh = Math.min(k, width + pad - ox);
        for (let o = 0; o < blocked; o += 8) {
          let a0 = bias[o];
          let a1 = bias[o + 1];
          let a2 = bias[o + 2];
          let a3 = bias[o + 3];
          let a4 = bias[o + 4];
          let a5 = bias[o + 5];
          let a6 = bias[o + 6];
          let a7 = bias[o + 7];
          for (let i = iLow; i < iHigh; i++)
            for (let j = jLow; j < jHigh; j++) {
              const from = inAt + ((oy + i - pad) * width + (ox + j - pad)) * fanIn;
              const tap = (i * k + j) * fanIn;
              for (let c = 0; c < fanIn; c++) {
                const value = input[from + c];
                if (value === 0) continue;
                const f = (tap + c) * fanOut + o;
                a0 += value * filter[f];
                a1 += value * filter[f + 1];
                a2 += value * filter[f + 2];
                a3 += value * filter[f + 3];
                a4 += value * filter[f + 4];
                a5 += value * filter[f + 5];
                a6 += value * filter[f + 6];
                a7 += value * filter[f + 7];
              }
            }
          output[to + o] = a0;
          output[to + o + 1] = a1;
          output[to + o + 2] = a2;
          output[to + o + 3] = a3;
          output[to + o + 4] = a4;
          output[to + o + 5] = a5;
          output[to + o + 6] = a6;
          output[to + o + 7] = a7;
        }
        for (let o = blocked; o < fanOut; o++) {
          let a = bias[o];
          for (let i = iLow; i < iHigh; i++)
            for (let j = jLow; j < jHigh; j++) {
              const from = inAt + ((oy + i - pad) * width + (ox + j - pad)) * fanIn;
              const tap = (i * k + j) * fanIn;
              for (let c = 0; c < fanIn; c++) {
                const value = input[from + c];
                if (value !== 0) a += value * filter[(tap + c) * fanOut + o];
              }
            }
          output[to + o] = a;
        }
      }
  }
  return output;
}

/**
 * The ConvNet on `rows` images `[height, width, channels[0]]` (row-major, flat) divided by
 * `inputScale`, in float64 with a fixed order of operations, activations after every layer but
 * the last from `@flows/codec`'s exact functions: {@link evaluateExactly} for convolutional networks.
 */
export function evaluateConvExactly(
  network: ExactConvNetwork,
  input: ArrayLike<number>,
  rows: number,
  height: number,
  width: number,
  inputScale = 1,
): Float64Array {
  const { channels, filters, biases, activation, kernelSize } = network;
  if (input.length !== rows * height * width * channels[0])
    throw new RangeError(`the network takes ${height} × ${width} × ${channels[0]} inputs per image; got ${input.length / rows}`);
  const float32 = network.float32 === true;
  let current: Float64Array = new Float64Array(input.length);
  for (let k = 0; k < current.length; k++) current[k] = float32 ? Math.fround(input[k] / inputScale) : input[k] / inputScale;
  const wasm = wasmAllowed ? loadWasmConvolution() : null;
  if (wasm) return evaluateInWasm(wasm, network, current, rows, height, width);
  const layerOf = float32 ? convolutionLayer32 : convolutionLayer;
  for (let layer = 0; layer < filters.length; layer++) {
    current = layerOf(current, rows, height, width, filters[layer], biases[layer], channels[layer], channels[layer + 1], kernelSize);
    if (layer === filters.length - 1) continue;
    if (activation === 'relu') for (let k = 0; k < current.length; k++) current[k] = Math.max(current[k], 0);
    else if (float32) for (let k = 0; k < current.length; k++) current[k] = Math.fround(activate(current[k], activation));
    else for (let k = 0; k < current.length; k++) current[k] = activate(current[k], activation);
  }
  return current;
}
