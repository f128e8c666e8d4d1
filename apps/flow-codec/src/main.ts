import { runCommands } from '@flows/cli-kit';
import { compareCommand } from './compare.js';
import { compressCommand } from './compress.js';
import { decompressCommand } from './decompress.js';
import { trainCommand } from './train.js';

const HELP = `flow-codec: lossless image compression with trained models. Integer discrete flows code 8-bit
images exactly with rANS; VAEs code binarized images with bits-back coding (BB-ANS). Every file
carries the model's identity and a checksum of the images, and decodes in Node and the browser.

Usage: flow-codec <command> [options]

Commands:
  train       train an integer discrete flow on MNIST's 8-bit pixels (checkpointed)
  compress    code images (an IDX file, a folder of PNGs, mnist-test) into one file
  decompress  decode a file back into the images, byte for byte
  compare     bits/dim of this codec, the model's ideal, gzip, bzip2, xz, brotli, PNG and WebP

Run 'flow-codec <command> --help' for the options of each command.`;

export function main(argv: string[]): Promise<number> {
  return runCommands('flow-codec', HELP, { train: trainCommand, compress: compressCommand, decompress: decompressCommand, compare: compareCommand }, argv);
}
