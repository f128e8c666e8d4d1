import { afterEach, beforeEach, vi } from 'vitest';

/** What the code under test printed during the current test, fresh for each test. */
export interface CapturedOutput {
  /** Lines of `console.log` (arguments joined by spaces, each ending in a newline), and with `processStdout` the raw writes to `process.stdout`. */
  stdout: string;
  /** Lines of `console.error`. */
  stderr: string;
  /** Forgets what was printed so far, to read only what the next call prints. */
  clear(): void;
}

export interface CaptureOptions {
  /** Also capture writes straight to `process.stdout` (an app that streams a table or a progress line). */
  processStdout?: boolean;
}

/**
 * Captures the console of the apps' in-process CLI tests, which call an app's `main(argv)` and
 * check its exit code and what it printed: registers, in the calling test file, a `beforeEach`
 * that empties the capture and spies on `console.log`/`console.error` (silencing them), and an
 * `afterEach` that restores every mock. Call it once at the top of the file.
 */
export function captureConsole(options: CaptureOptions = {}): CapturedOutput {
  const output: CapturedOutput = {
    stdout: '',
    stderr: '',
    clear() {
      output.stdout = '';
      output.stderr = '';
    },
  };
  beforeEach(() => {
    output.clear();
    vi.spyOn(console, 'log').mockImplementation((...args) => {
      output.stdout += `${args.join(' ')}\n`;
    });
    vi.spyOn(console, 'error').mockImplementation((...args) => {
      output.stderr += `${args.join(' ')}\n`;
    });
    if (options.processStdout) {
      vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
        output.stdout += String(chunk);
        return true;
      });
    }
  });
  afterEach(() => vi.restoreAllMocks());
  return output;
}
