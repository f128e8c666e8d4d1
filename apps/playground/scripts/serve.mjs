#!/usr/bin/env node
// `pnpm playground`: serves the built page (dist/) with Vite's static server and the headers of
// cross-origin isolation (SharedArrayBuffer, for the wasm backend's threaded build). `--port N` (default 5180) and
// `--host` (listen beyond localhost) are the options.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { preview } from 'vite';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  args: process.argv.slice(2).filter((a, i) => !(a === '--' && i === 0)),
  options: { port: { type: 'string', default: '5180' }, host: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } },
});
if (values.help) {
  console.log(`pnpm playground [-- --port N] [-- --host]
Serves apps/playground/dist (built by pnpm build) at http://localhost:N/ with the cross-origin
isolation headers that the wasm backend's threads need. Ctrl-C stops it.`);
  process.exit(0);
}
if (!existsSync(join(root, 'dist', 'index.html'))) {
  console.error('apps/playground/dist is missing: run pnpm build first (pnpm playground from the repository root does both)');
  process.exit(1);
}
const server = await preview({
  root,
  configFile: join(root, 'vite.config.ts'),
  preview: { port: Number(values.port), strictPort: true, host: values.host, open: false },
});
const address = server.resolvedUrls?.local[0] ?? `http://localhost:${values.port}/`;
console.log(`flows playground: ${address}  (cross-origin isolated; Ctrl-C stops)`);
console.log(`scripted run: ${address}?data=two-gaussians&flow=realnvp&layers=8&steps=3000&seed=0&backend=wasm&autostart=1`);
