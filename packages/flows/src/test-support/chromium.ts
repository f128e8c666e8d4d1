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
