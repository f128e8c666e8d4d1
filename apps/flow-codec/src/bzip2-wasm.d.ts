/** The parts of `bzip2-wasm` (bzip2 1.0.8 compiled to WebAssembly; it ships no types) that the baselines use. */
declare module 'bzip2-wasm' {
  export default class BZip2 {
    init(): Promise<void>;
    compress(input: Uint8Array, blockSize?: number, compressedLength?: number): Uint8Array;
    decompress(input: Uint8Array, decompressedLength: number): Uint8Array;
  }
}
