/** The first MNIST test digits, put into the page at build time (test-digits-plugin.ts). */
declare module 'virtual:mnist-test-digits' {
  export const count: number;
  export const labels: number[];
  /** The images' pixels, row-major, one after another, gzipped and base64-encoded. */
  export const imagesGzipBase64: string;
}
