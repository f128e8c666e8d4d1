import { existsSync } from 'node:fs';
import type { NativeIsa } from './addon.js';
import { nativeIsaPaths } from './install.js';

// Test support (not part of the package's build): whether the suites run, and on which paths.

/** Whether the addon is built. */
export const built = existsSync(new URL('../native/build/Release/flows_blas.node', import.meta.url));

// The addon is optional. Plain `pnpm test` skips the native suites with one line where it is not built;
// the README's test command (scripts/test-all.mjs, FLOWS_REQUIRE_ALL=1) builds it and fails there if it cannot.
const skipReason =
  process.env.FLOWS_SKIP_NATIVE === '1'
    ? 'FLOWS_SKIP_NATIVE=1'
    : !built && process.env.FLOWS_REQUIRE_ALL !== '1'
      ? 'the addon is not built (pnpm --filter @flows/native-kernels build:native; needs gcc, Node headers, libopenblas-dev)'
      : null;

/** Whether the native suites are skipped (with the reason printed once per test file). */
export const skip = skipReason !== null;
if (skipReason) console.warn(`skipped: native kernels: ${skipReason}`);

// Every native suite runs once per instruction-set path of the addon's loops (native/isa.h), forced
// with the `isa` option: each path must give the references' results. A path this CPU cannot run
// (or this architecture does not build) is skipped with one line saying so.
const KNOWN_PATHS: NativeIsa[] = ['baseline', 'avx2', 'avx512', 'neon'];
const available = skip ? null : nativeIsaPaths();

/** The paths this CPU runs; without the addon (and FLOWS_REQUIRE_ALL=1) one stands in, so that the suites run and fail. */
export const paths = available ? KNOWN_PATHS.filter((path) => available.runnable.includes(path)) : (['baseline'] as NativeIsa[]);
if (available)
  for (const path of KNOWN_PATHS.filter((p) => !paths.includes(p)))
    console.warn(
      `skipped: native path ${path}: ${available.built.includes(path) ? 'this CPU cannot run it' : `not built on this architecture (this build has ${available.built.join(', ')})`}`,
    );
