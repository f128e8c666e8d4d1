import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { type PreviewServer, preview } from 'vite';
import { findChromium, browserSkipReason as sharedBrowserSkipReason } from '@flows/test-support';

export const appRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
/** Screenshots the tests save, for a person to look at after CI (ignored by git). */
export const artifacts = join(appRoot, 'test-artifacts');

/**
 * Why the browser tests cannot run here, or null: the one rule of every browser suite (skip with a
 * line where Chromium is missing, except under the README's test command, FLOWS_REQUIRE_ALL=1).
 */
export function browserSkipReason(): string | null {
  return sharedBrowserSkipReason('the playground in Chromium');
}

/** Chromium's switches: SwiftShader for WebGL, and with `webgpu` its WebGPU adapter (off by default in headless Chromium on Linux). */
export function chromiumArguments(webgpu: boolean): string[] {
  const common = ['--no-sandbox', '--headless=new', '--use-angle=swiftshader', '--enable-unsafe-swiftshader'];
  return webgpu ? [...common, '--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-webgpu-adapter=swiftshader'] : common;
}

export async function launchChromium(webgpu = false): Promise<Browser> {
  const executablePath = findChromium();
  if (!executablePath)
    throw new Error("no Chromium found: install Debian's 'chromium' (apt-get install chromium) or set CHROME_PATH; FLOWS_SKIP_BROWSER=1 skips these tests");
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath, args: chromiumArguments(webgpu) });
}

/** The built page (dist/, from `vite build`) served as `pnpm playground` serves it: with the cross-origin isolation headers. */
export async function servePlayground(): Promise<{ server: PreviewServer; url: string }> {
  const server = await preview({ root: appRoot, configFile: join(appRoot, 'vite.config.ts'), logLevel: 'silent', preview: { port: 0, host: '127.0.0.1' } });
  const url = server.resolvedUrls?.local[0];
  if (!url) throw new Error('the preview server did not say where it listens');
  return { server, url };
}

export interface Status {
  step: number;
  totalSteps: number;
  loss: number;
  /** `layered` (the loss is the NLL) or `continuous` (flow matching's loss). */
  modelKind: 'layered' | 'continuous';
  kl: number | null;
  samplesPerSecond: number;
  done: boolean;
  running: boolean;
  backend: string;
  backendDescription: string;
  error: string | null;
  origin: string;
  dataset: string;
}

/** Opens the page at `query`; collects console errors and uncaught exceptions into `errors`. */
export async function openPlayground(browser: Browser, url: string, query: string, errors: string[]): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1900 } });
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => errors.push(`page: ${error.message}`));
  await page.goto(`${url}?${query}`);
  await page.waitForFunction(() => 'playground' in window, undefined, { timeout: 60_000 });
  await page.evaluate(() => (window as unknown as { playground: { ready: Promise<void> } }).playground.ready);
  return page;
}

export const status = (page: Page) => page.evaluate(() => (window as unknown as { playground: { status(): unknown } }).playground.status()) as Promise<Status>;

/** Waits until the run is done (or failed), polling its status. */
export async function untilDone(page: Page, timeoutMs: number): Promise<Status> {
  const started = Date.now();
  for (;;) {
    const now = await status(page);
    if (now.done || now.error || Date.now() - started > timeoutMs) return now;
    await page.waitForTimeout(500);
  }
}

export function ensureArtifacts(): string {
  mkdirSync(artifacts, { recursive: true });
  return artifacts;
}
