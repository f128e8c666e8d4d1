/** The parts of `lzma-native` (liblzma's .xz format, with its prebuilt binaries; it ships no types) that the baselines use. */
declare module 'lzma-native' {
  const lzma: {
    /** liblzma's extreme flag, or-ed into a preset (xz -9e is 9 | PRESET_EXTREME). */
    PRESET_EXTREME: number;
    compress(input: Uint8Array, options: { preset: number }, done: (result: Buffer, error?: Error) => void): void;
    decompress(input: Uint8Array, done: (result: Buffer, error?: Error) => void): void;
  };
  export default lzma;
}
