import { Random } from '@flows/core';
import type { MnistSplit } from './mnist.js';

/**
 * How 8-bit images become binary ones:
 * - `threshold`: 255 where v/255 > 0.5, else 0 (the exercise's fixed binarization; easier data);
 * - `stochastic`: 255 with probability v/255, else 0, every pixel drawn once from a seeded generator
 *   (Salakhutdinov and Murray 2008): the binarized MNIST behind published VAE and BB-ANS figures
 *   (Townsend, Bird and Barber 2019 report 0.19 bits/dim on it).
 */
export const BINARIZATIONS = ['threshold', 'stochastic'] as const;
export type Binarization = (typeof BINARIZATIONS)[number];

/**
 * The seeds of the apps' stochastically binarized MNIST: one draw of the training images, another
 * of the test images, the same in vae-eval (which trains and evaluates on them) and flow-codec
 * (which codes the test images: its `--binarization-seed` defaults to the test seed).
 */
export const MNIST_BINARIZATION_SEEDS = { train: 1, test: 0 } as const;

/**
 * Stochastically binarized pixels: 255 with probability v/255, else 0, one uniform of
 * `Random(seed)` per pixel in order (u < v/255), so a seed always gives the same images on every
 * machine. 0 stays 0 and 255 stays 255.
 */
export function stochasticallyBinarized(pixels: Uint8Array, seed: number): Uint8Array {
  const random = new Random(seed);
  const out = new Uint8Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) out[i] = random.uniform() * 255 < pixels[i] ? 255 : 0;
  return out;
}

/** A split with its images binarized as `binarization` says (`threshold`: returned as it is, the views threshold it). */
export function binarizedSplit(split: MnistSplit, binarization: Binarization, seed: number): MnistSplit {
  if (binarization === 'threshold') return split;
  return { ...split, images: stochasticallyBinarized(split.images, seed), source: `${split.source}, stochastically binarized (seed ${seed})` };
}
