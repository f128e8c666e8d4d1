/**
 * The part of flow-codec that a web page runs (the playground's image page): coding with a loaded
 * integer flow, continuous flow or VAE, free of Node's modules (file reading, sharp, the CLI), so that a bundler
 * can take it as it is. A page that writes `.fcod` files with these gets files that `flow-codec
 * decompress` reads: the same exact path, container and description as `compress`.
 */
export { compileIntegerFlow, decodeIdf, encodeIdf } from './idf-coding.js';
export { compileFlow, decodeWithFlow, encodeWithFlow, type CompiledFlow, type FlowCodingOptions } from './flow-local-bits-back.js';
export { decodeInChains, encodeInChains, type ChainRecord } from './flow-chains.js';
export { EXACT_PATH_VERSION } from './exact-network.js';
export { latentScaleFor, vaeBitsBackModel } from './vae-bits-back.js';
export type { CodedDescription } from './coded-description.js';
export type { ImageSource } from './images.js';
