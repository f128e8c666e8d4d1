/** What the image page asks its worker, and what each request answers. */

/** A model folder's files as the page read them: model.json as text, the weights as bytes. */
export type ModelFiles = Record<string, string | Uint8Array>;

export interface LoadedModel {
  /** One line about the model, for the page. */
  summary: string;
}

export interface CodingResult {
  /** The `.fcod` file, as `flow-codec compress` writes it. */
  file: Uint8Array;
  count: number;
  /** Encoding (the flow's inverse, rANS, the container) and decoding (from the file's bytes), in seconds. */
  encodeSeconds: number;
  decodeSeconds: number;
  /** Whether every decoded byte equals the input's (and the file's recorded SHA-256 digest). */
  byteExact: boolean;
  /** The file's bits per pixel, and the model's ideal −log₂ p per pixel (the backend's float32 logProb). */
  fileBitsPerDim: number;
  idealBitsPerDim: number;
}

export type Request =
  | { type: 'init' }
  | { type: 'digits' }
  | { type: 'load-density'; files: ModelFiles }
  | { type: 'load-idf'; files: ModelFiles }
  | { type: 'load-vae'; files: ModelFiles }
  | { type: 'sample'; n: number; temperature: number; seed: number }
  | { type: 'interpolate'; a: Uint8Array; b: Uint8Array; steps: number }
  | { type: 'code'; pixels: Uint8Array; count: number; names: string[] | null }
  | { type: 'code-vae'; pixels: Uint8Array; count: number; names: string[] | null }
  | { type: 'code-flow'; pixels: Uint8Array; count: number };

export interface Answers {
  init: { backend: string };
  digits: { pixels: Uint8Array; labels: Uint8Array; count: number };
  /** With whether the density model codes digits (local bits-back: a multi-scale flow of logit-preprocessed pixels). */
  'load-density': LoadedModel & { codes: boolean };
  'load-idf': LoadedModel;
  'load-vae': LoadedModel;
  /** Pixels in [0, 1], 784 per image. */
  sample: Float32Array;
  interpolate: Float32Array;
  code: CodingResult;
  /** Bits-back with the VAE, of the digits binarized as the VAEs were trained (1 where v ≥ 128). */
  'code-vae': CodingResult;
  /** Local bits-back with the density flow, of the 8-bit digits. */
  'code-flow': CodingResult;
}

export interface Progress {
  type: 'progress';
  phase: string;
  done: number;
  total: number;
}

export type WorkerMessage = Progress | { type: 'answer'; id: number; ok: true; value: unknown } | { type: 'answer'; id: number; ok: false; error: string };
