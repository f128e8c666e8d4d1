import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const appRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

describe("flow-codec's browser entry", () => {
  it('bundles for the browser with no Node module in it (a page imports @flows/flow-codec/browser)', async () => {
    const result = await build({
      stdin: { contents: "export * from '@flows/flow-codec/browser';", resolveDir: appRoot, loader: 'ts' },
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'browser',
      logLevel: 'silent',
      metafile: true,
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.some((path) => path.endsWith('src/idf-coding.ts'))).toBe(true);
    // Neither node: builtins nor the CLI's Node-only modules (images, sharp, file paths) come along.
    expect(inputs.filter((path) => /node:|sharp|src\/(images|models|compress|decompress|image-names)\.ts$/.test(path))).toEqual([]);
  });
});
