import { RansError } from '@flows/codec';
import { type CompiledFlow, decodeWithFlow, encodeWithFlow } from './flow-local-bits-back.js';

/**
 * Local bits-back coding is a chain: each image's pops read what the images before it pushed, so
 * one chain runs on one core. A file of many images is coded as several independent chains (image
 * ranges, each from its own seed, chain k from seed k), which threads code and decode side by
 * side; each costs its own initial words (about 2 KB for the shipped MNIST flow, 16 bits per pixel
 * of dequantization noise the first image pops before anything is pushed), so a chain gets at least
 * {@link MIN_IMAGES_PER_CHAIN} images unless told otherwise.
 */
export interface ChainRecord {
  /** Images in the chain (consecutive, after the previous chains'). */
  count: number;
  /** The seed words the chain's first image drew. */
  initialWords: number;
  /** The chain's bytes in the message (after the previous chains'). */
  bytes: number;
}

/** The most chains a file may hold, and the default. */
export const MAX_CHAINS = 64;
export const DEFAULT_CHAINS = 4;
/** The fewest images a chain is given, so that its initial words stay a small part of it. */
export const MIN_IMAGES_PER_CHAIN = 1000;

/** How many chains to code `count` images in, given at most `chains`: at least `minimum` images each (default {@link MIN_IMAGES_PER_CHAIN}), at least one chain. */
export function chainCount(count: number, chains: number, minimum = MIN_IMAGES_PER_CHAIN): number {
  return Math.max(1, Math.min(chains, MAX_CHAINS, Math.floor(count / minimum)));
}

/** The image counts of `chains` chains over `count` images, as even as they go (the first ones one larger). */
export function chainSizes(count: number, chains: number): number[] {
  return Array.from({ length: chains }, (_, k) => Math.floor(count / chains) + (k < count % chains ? 1 : 0));
}

/** One chain's work, as a worker thread gets it: plain data, no functions. */
export type ChainJob =
  | { mode: 'encode'; flow: CompiledFlow; alpha: number; seed: number; images: Uint8Array[] }
  | { mode: 'decode'; flow: CompiledFlow; alpha: number; seed: number; message: Uint8Array; count: number; initialWords: number };

export type ChainResult = { message: Uint8Array; initialWords: number } | { images: Uint8Array[] };

/** Runs chain jobs and reports each image done through `onImage`: in worker threads ({@link ./chain-workers.ts}) or here ({@link runHere}). */
export type ChainRunner = (jobs: ChainJob[], onImage: () => void) => Promise<ChainResult[]>;

/** Runs one job on this thread. */
export function runJob(job: ChainJob, onImage: () => void): ChainResult {
  if (job.mode === 'encode') return encodeWithFlow(job.flow, job.images, { alpha: job.alpha, initialSeed: job.seed, onProgress: onImage });
  return { images: decodeWithFlow(job.flow, job.message, job.count, job.initialWords, { alpha: job.alpha, initialSeed: job.seed, onProgress: onImage }) };
}

/** Runs the jobs one after the other on this thread (a page, or where worker threads are not available). */
export const runHere: ChainRunner = async (jobs, onImage) => jobs.map((job) => runJob(job, onImage));

/** Codes the images in {@link chainCount} chains of at most `chains`; returns the message (the chains one after the other) and their records. */
export async function encodeInChains(
  flow: CompiledFlow,
  images: readonly Uint8Array[],
  options: { alpha: number; chains?: number; minimumPerChain?: number; run?: ChainRunner; onProgress?: (done: number, total: number) => void },
): Promise<{ message: Uint8Array; chains: ChainRecord[] }> {
  const sizes = chainSizes(images.length, chainCount(images.length, options.chains ?? DEFAULT_CHAINS, options.minimumPerChain));
  let start = 0;
  const jobs: ChainJob[] = sizes.map((size, seed) => {
    const job: ChainJob = { mode: 'encode', flow, alpha: options.alpha, seed, images: images.slice(start, start + size) };
    start += size;
    return job;
  });
  let done = 0;
  const results = (await (options.run ?? runHere)(jobs, () => options.onProgress?.(++done, images.length))) as { message: Uint8Array; initialWords: number }[];
  const message = new Uint8Array(results.reduce((sum, r) => sum + r.message.length, 0));
  let at = 0;
  for (const r of results) {
    message.set(r.message, at);
    at += r.message.length;
  }
  return { message, chains: results.map((r, k) => ({ count: sizes[k], initialWords: r.initialWords, bytes: r.message.length })) };
}

/**
 * Decodes the images of a message of {@link encodeInChains} given its chain records (checked
 * against the message and the count before anything is decoded).
 */
export async function decodeInChains(
  flow: CompiledFlow,
  message: Uint8Array,
  count: number,
  chains: readonly ChainRecord[],
  options: { alpha: number; run?: ChainRunner; onProgress?: (done: number, total: number) => void },
): Promise<Uint8Array[]> {
  const images = chains.reduce((sum, c) => sum + c.count, 0);
  const bytes = chains.reduce((sum, c) => sum + c.bytes, 0);
  if (images !== count || bytes !== message.length)
    throw new RansError(`the chains hold ${images} images in ${bytes} bytes; the file has ${count} images in ${message.length} bytes`);
  let at = 0;
  const jobs: ChainJob[] = chains.map((chain, seed) => {
    const job: ChainJob = {
      mode: 'decode',
      flow,
      alpha: options.alpha,
      seed,
      message: message.subarray(at, at + chain.bytes),
      count: chain.count,
      initialWords: chain.initialWords,
    };
    at += chain.bytes;
    return job;
  });
  let done = 0;
  const results = (await (options.run ?? runHere)(jobs, () => options.onProgress?.(++done, count))) as { images: Uint8Array[] }[];
  return results.flatMap((r) => r.images);
}
