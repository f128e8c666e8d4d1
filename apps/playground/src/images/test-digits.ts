import { count, imagesGzipBase64, labels } from 'virtual:mnist-test-digits';

/** MNIST test digits: 28 × 28 bytes each, one after another, with their labels. */
export interface TestDigits {
  pixels: Uint8Array;
  labels: Uint8Array;
  count: number;
}

/** The test digits the build put into the page, inflated with the browser's own gzip. */
export async function loadTestDigits(): Promise<TestDigits> {
  const packed = Uint8Array.from(atob(imagesGzipBase64), (c) => c.charCodeAt(0));
  const stream = new Blob([packed]).stream().pipeThrough(new DecompressionStream('gzip'));
  const pixels = new Uint8Array(await new Response(stream).arrayBuffer());
  if (pixels.length !== count * 784) throw new Error(`the page's test digits hold ${pixels.length} bytes, not ${count} × 784`);
  return { pixels, labels: Uint8Array.from(labels), count };
}
