#!/usr/bin/env node
// The README's test command ends here: build, the linters (Biome's formatter check and lint, the
// import-cycle check, the toolchain check, tsc per package), every package's tests, the pack-and-install test, then one
// closing line 'N passed, N failed' that sums the test runners' counts (the linters count as one).
import { spawn } from 'node:child_process';

function run(command, args) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0' } });
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
      process.stdout.write(chunk);
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
      process.stderr.write(chunk);
    });
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

let passed = 0;
let failed = 0;
const build = await run('pnpm', ['build']);
if (build.code !== 0) {
  console.log('0 passed, 1 failed');
  process.exit(1);
}
const lint = await run('pnpm', ['lint']);
if (lint.code === 0) passed += 1;
else failed += 1;
// Every suite runs here: plain `pnpm test` skips the Chromium and native-addon suites with a line
// where those are missing; with FLOWS_REQUIRE_ALL=1 they run and fail instead.
process.env.FLOWS_REQUIRE_ALL = '1';
// The optional native addon (the README's test command installs gcc's OpenBLAS headers first).
const native = await run('pnpm', ['--filter', '@flows/native-kernels', 'build:native']);
if (native.code !== 0)
  console.log('\nnote: @flows/native-kernels was not built (see the node-gyp output above: needs gcc, Node headers, libopenblas-dev); its tests will fail\n');
const tests = await run('pnpm', ['test']);
// Cached task logs keep their colours; strip them before reading the counts.
// biome-ignore lint/suspicious/noControlCharactersInRegex: strips the ANSI colour codes (ESC [ … m) of the test output
const plain = tests.output.replace(/\x1b\[[0-9;]*m/g, '');
for (const match of plain.matchAll(/Tests\s+(?:(\d+) failed \| )?(\d+) passed/g)) {
  failed += Number(match[1] ?? 0);
  passed += Number(match[2]);
}
for (const match of plain.matchAll(/Tests\s+(\d+) failed \((\d+)\)/g)) failed += Number(match[1]);
const pack = await run('pnpm', ['test:pack']);
if (pack.code === 0) passed += 1;
else failed += 1;
if (tests.code !== 0 && failed === 0) failed = 1;
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(tests.code !== 0 || pack.code !== 0 || lint.code !== 0 ? 1 : 0);
