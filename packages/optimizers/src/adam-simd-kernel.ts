/**
 * The Adam update as a small WebAssembly SIMD kernel (four float32 lanes), for the `host`
 * placement: one pass over flat parameter, gradient and moment buffers, instead of a JavaScript
 * loop (one lane at a time, several times slower: bench/results.md) or hundreds of small tensor
 * kernels. Assembled here from its
 * opcodes; if the engine lacks WebAssembly SIMD, `createAdamKernel` returns null and the caller
 * keeps its JavaScript loop.
 *
 * Per element, with g scaled by the clip factor:
 * `m ← β₁m + (1−β₁)g`, `v ← β₂v + (1−β₂)g²`, `p ← p·decay − step·m / (√(v·c₂⁻¹) + ε)`.
 */
export interface AdamKernel {
  /** Float32 views of the four regions, each `capacity` long: parameters, gradients, first and second moments. */
  parameters: Float32Array;
  gradients: Float32Array;
  firstMoment: Float32Array;
  secondMoment: Float32Array;
  update(
    count: number,
    coefficients: { beta1: number; beta2: number; stepSize: number; inverseCorrection2: number; epsilon: number; decay: number; scale: number },
  ): void;
}

function unsignedLeb(value: number): number[] {
  const out: number[] = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    out.push(byte);
  } while (value !== 0);
  return out;
}

function section(id: number, body: number[]): number[] {
  return [id, ...unsignedLeb(body.length), ...body];
}

function name(text: string): number[] {
  return [...unsignedLeb(text.length), ...Array.from(text, (c) => c.charCodeAt(0))];
}

// Opcodes used below.
const LOCAL_GET = 0x20;
const LOCAL_SET = 0x21;
const I32_CONST = 0x41;
const I32_ADD = 0x6a;
const I32_SHL = 0x74;
const I32_GE_U = 0x4f;
const BLOCK = 0x02;
const LOOP = 0x03;
const BR = 0x0c;
const BR_IF = 0x0d;
const END = 0x0b;
const VOID = 0x40;
const simd = (op: number) => [0xfd, ...unsignedLeb(op)];
const V128_LOAD = [...simd(0x00), 0x00, 0x00];
const V128_STORE = [...simd(0x0b), 0x00, 0x00];
const F32X4_SPLAT = simd(0x13);
const F32X4_SQRT = simd(0xe3);
const F32X4_ADD = simd(0xe4);
const F32X4_SUB = simd(0xe5);
const F32X4_MUL = simd(0xe6);
const F32X4_DIV = simd(0xe7);

// Parameters: p, g, m, v (byte addresses), n (elements, a multiple of 4), then nine f32 coefficients.
const [P, G, M, V, N] = [0, 1, 2, 3, 4];
const COEFFICIENTS = 9; // beta1, 1-beta1, beta2, 1-beta2, step, 1/c2, eps, decay, scale
const I = 14;
const END_BYTE = 15;
const SPLAT = 16; // 16..24: the coefficients splatted
const [B1, A1, B2, A2, STEP, INVC2, EPS, DECAY, SCALE] = Array.from({ length: COEFFICIENTS }, (_, k) => SPLAT + k);
const [VG, VM, VV] = [25, 26, 27];

const get = (index: number) => [LOCAL_GET, index];
const set = (index: number) => [LOCAL_SET, index];
const address = (base: number) => [...get(base), ...get(I), I32_ADD];

function adamBody(): number[] {
  const code: number[] = [];
  for (let k = 0; k < COEFFICIENTS; k++) code.push(...get(5 + k), ...F32X4_SPLAT, ...set(SPLAT + k));
  code.push(...get(N), I32_CONST, 2, I32_SHL, ...set(END_BYTE), I32_CONST, 0, ...set(I));
  code.push(BLOCK, VOID, LOOP, VOID);
  code.push(...get(I), ...get(END_BYTE), I32_GE_U, BR_IF, 1);
  // g = load(g) * scale
  code.push(...address(G), ...V128_LOAD, ...get(SCALE), ...F32X4_MUL, ...set(VG));
  // m = b1 * m + a1 * g; store
  code.push(...address(M), ...V128_LOAD, ...get(B1), ...F32X4_MUL, ...get(A1), ...get(VG), ...F32X4_MUL, ...F32X4_ADD, ...set(VM));
  code.push(...address(M), ...get(VM), ...V128_STORE);
  // v = b2 * v + a2 * g * g; store
  code.push(...address(V), ...V128_LOAD, ...get(B2), ...F32X4_MUL, ...get(A2), ...get(VG), ...F32X4_MUL, ...get(VG), ...F32X4_MUL, ...F32X4_ADD, ...set(VV));
  code.push(...address(V), ...get(VV), ...V128_STORE);
  // p = p * decay - step * m / (sqrt(v * invc2) + eps); store
  code.push(...address(P));
  code.push(...address(P), ...V128_LOAD, ...get(DECAY), ...F32X4_MUL);
  code.push(...get(STEP), ...get(VM), ...F32X4_MUL);
  code.push(...get(VV), ...get(INVC2), ...F32X4_MUL, ...F32X4_SQRT, ...get(EPS), ...F32X4_ADD);
  code.push(...F32X4_DIV, ...F32X4_SUB, ...V128_STORE);
  // i += 16
  code.push(...get(I), I32_CONST, 16, I32_ADD, ...set(I), BR, 0, END, END, END);
  const locals = [2, 2, 0x7f, 12, 0x7b]; // two i32, twelve v128
  const body = [...locals, ...code];
  return [...unsignedLeb(body.length), ...body];
}

function moduleBytes(): Uint8Array<ArrayBuffer> {
  const parameterTypes = [0x7f, 0x7f, 0x7f, 0x7f, 0x7f, ...new Array(COEFFICIENTS).fill(0x7d)];
  const bytes = [
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, [1, 0x60, ...unsignedLeb(parameterTypes.length), ...parameterTypes, 0]),
    ...section(3, [1, 0]),
    ...section(5, [1, 0x00, 1]),
    ...section(7, [2, ...name('adam'), 0x00, 0, ...name('memory'), 0x02, 0]),
    ...section(10, [1, ...adamBody()]),
  ];
  return new Uint8Array(bytes);
}

/** A kernel with room for `capacity` parameters (rounded up to a multiple of 4), or null without SIMD. */
export function createAdamKernel(capacity: number): AdamKernel | null {
  let instance: WebAssembly.Instance;
  try {
    instance = new WebAssembly.Instance(new WebAssembly.Module(moduleBytes()));
  } catch {
    return null;
  }
  const padded = Math.ceil(capacity / 4) * 4;
  const memory = instance.exports.memory as WebAssembly.Memory;
  const bytesNeeded = 4 * padded * 4;
  const pages = Math.ceil(bytesNeeded / 65536);
  if (pages > 1) memory.grow(pages - 1);
  const regions = [0, 1, 2, 3].map((k) => new Float32Array(memory.buffer, k * padded * 4, padded));
  const adam = instance.exports.adam as (...args: number[]) => void;
  return {
    parameters: regions[0],
    gradients: regions[1],
    firstMoment: regions[2],
    secondMoment: regions[3],
    update(count, c) {
      const n = Math.ceil(count / 4) * 4;
      adam(
        0,
        padded * 4,
        2 * padded * 4,
        3 * padded * 4,
        n,
        c.beta1,
        1 - c.beta1,
        c.beta2,
        1 - c.beta2,
        c.stepSize,
        c.inverseCorrection2,
        c.epsilon,
        c.decay,
        c.scale,
      );
    },
  };
}
