import { execFileSync } from 'node:child_process';

/** The Chromium the browser tests drive: `CHROME_PATH`, else the first of Debian's names on the PATH. */
export function findChromium(): string | null {
  if (process.env.CHROME_PATH) return process.env.CHROME_PATH;
  for (const name of ['chromium', 'chromium-browser', 'google-chrome']) {
    try {
      return execFileSync('which', [name], { encoding: 'utf8' }).trim();
    } catch {
      // not this one
    }
  }
  return null;
}

/**
 * Opens `url` in headless Chromium, waits until the page defines `window[ready]`, evaluates
 * `expression` there and returns its value with the page's uncaught errors; the browser is closed
 * whatever happens. Throws, naming what to install, when there is no Chromium.
 */
export async function evaluateInChromium<T>(url: string, ready: string, expression: string): Promise<{ value: T; errors: string[] }> {
  const executablePath = findChromium();
  if (!executablePath) throw new Error("no Chromium found: install Debian's 'chromium' or set CHROME_PATH; FLOWS_SKIP_BROWSER=1 skips this test");
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath, args: ['--no-sandbox', '--headless=new'] });
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(url);
    await page.waitForFunction((name) => name in window, ready);
    return { value: (await page.evaluate(expression)) as T, errors };
  } finally {
    await browser.close();
  }
}

/** A page script bundled by esbuild for the browser (ESM, ES2022), as a user's bundler would: its imports resolved from `resolveDir`. */
export async function bundleForBrowser(script: string, resolveDir: string, alias?: Record<string, string>): Promise<string> {
  const { build } = await import('esbuild');
  const bundle = await build({
    stdin: { contents: script, resolveDir, sourcefile: 'page.js' },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
    ...(alias ? { alias } : {}),
  });
  return bundle.outputFiles[0].text;
}
