import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { appRoot } from './browser.js';

/**
 * The wasm backend's threaded build sends its factory's text to its thread workers, where the
 * factory's `typeof _scriptDir !== "undefined"` must stay a `typeof` test: Vite 8's default
 * minifier rewrites it as `e !== void 0`, a ReferenceError there (README, Bundlers). The built
 * page and its training worker (a bundle of its own) each carry the factory.
 */
const KEPT = /typeof (\w+)\s*!==?\s*[`"']undefined[`"']\s*&&\s*\1\s*\)\s*\w+\s*=\s*\1/;
const REWRITTEN = /\b(\w+)\s*!==?\s*void 0\s*&&\s*\1\s*&&\s*\(\s*\w+\s*=\s*\1\s*\)/;

describe('the production build (dist/, from vite build)', () => {
  it("keeps the wasm backend's typeof test in the page's and the training worker's copy of the threaded factory", () => {
    const assets = join(appRoot, 'dist', 'assets');
    const chunks = readdirSync(assets)
      .filter((file) => file.endsWith('.js'))
      .map((file) => ({ file, text: readFileSync(join(assets, file), 'utf8') }))
      .filter(({ text }) => text.includes('wasmWorkerContents'));
    expect(chunks.some(({ file }) => file.startsWith('training-worker-'))).toBe(true);
    for (const { file, text } of chunks) {
      expect(REWRITTEN.test(text), file).toBe(false);
      expect(KEPT.test(text), file).toBe(true);
    }
  });
});
