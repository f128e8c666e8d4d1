import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { findChromium } from './chromium.js';

/**
 * Suites that need something outside Node (Chromium, the native addon) run wherever it is present.
 * Where it is absent, plain `pnpm test` skips them with one line saying why; the README's test
 * command (scripts/test-all.mjs) sets FLOWS_REQUIRE_ALL=1, so there they run and fail instead.
 */
const required = () => process.env.FLOWS_REQUIRE_ALL === '1';

function announce(suite: string, reason: string | null): string | null {
  if (reason) console.warn(`skipped: ${suite}: ${reason}`);
  return reason;
}

/** Why the browser suites cannot run here, or null when they can (or must). */
export function browserSkipReason(suite: string): string | null {
  if (process.env.FLOWS_SKIP_BROWSER === '1') return announce(suite, 'FLOWS_SKIP_BROWSER=1');
  if (findChromium() === null && !required()) return announce(suite, 'no Chromium found (apt-get install chromium, or set CHROME_PATH)');
  return null;
}

/**
 * Whether the optional native addon is built: the one of the package whose tests run (vitest's
 * working folder), which is the copy its suites load; this package does not depend on it.
 */
function nativeAddonBuilt(): boolean {
  try {
    const root = dirname(createRequire(join(process.cwd(), 'package.json')).resolve('@flows/native-kernels/package.json'));
    return existsSync(join(root, 'native', 'build', 'Release', 'flows_blas.node'));
  } catch {
    return false;
  }
}

/** Why the native-kernel checks cannot run here, or null when they can (or must). */
export function nativeSkipReason(suite: string): string | null {
  if (process.env.FLOWS_SKIP_NATIVE === '1') return announce(suite, 'FLOWS_SKIP_NATIVE=1');
  if (!nativeAddonBuilt() && !required())
    return announce(
      suite,
      'the @flows/native-kernels addon is not built (pnpm --filter @flows/native-kernels build:native; needs gcc, Node headers, libopenblas-dev)',
    );
  return null;
}
