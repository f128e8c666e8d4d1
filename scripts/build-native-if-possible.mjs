#!/usr/bin/env node
// pnpm install's last step: builds @flows/native-kernels' addon (it links OpenBLAS) where a C compiler and
// OpenBLAS's headers are present, so the MNIST apps get the fast kernels without a flag; elsewhere
// one line says why, and everything runs on the stock wasm kernels. Never fails the install.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const CBLAS_HEADERS = [
  '/usr/include/cblas.h',
  '/usr/include/x86_64-linux-gnu/cblas.h',
  '/usr/include/aarch64-linux-gnu/cblas.h',
  '/usr/include/openblas/cblas.h',
  '/opt/homebrew/opt/openblas/include/cblas.h',
];

function note(text) {
  console.log(`native-kernels: ${text}`);
  process.exit(0);
}

if (process.env.FLOWS_SKIP_NATIVE === '1') note('not built (FLOWS_SKIP_NATIVE=1); the stock wasm kernels are used');
if (spawnSync('cc', ['--version'], { stdio: 'ignore' }).status !== 0)
  note('not built: no C compiler (apt-get install build-essential); the stock wasm kernels are used');
if (!CBLAS_HEADERS.some((path) => existsSync(path))) note('not built: no OpenBLAS headers (apt-get install libopenblas-dev); the stock wasm kernels are used');
const build = spawnSync('pnpm', ['--filter', '@flows/native-kernels', 'build:native'], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
if (build.status !== 0) {
  const lastLines = (build.stderr ?? '').trim().split('\n').slice(-3).join(' | ');
  note(`the build failed (${lastLines || `exit ${build.status}`}); the stock wasm kernels are used`);
}
note('native addon built; the apps use it by default (--no-native refuses it)');
