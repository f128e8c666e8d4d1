let installed = false;

/**
 * Makes a closed stdout pipe a normal end of the program: exit code 0, no message.
 *
 * A reader that stops early (`toy-flow sample … | head`) closes the pipe, and the next write to
 * stdout fails with EPIPE. C programs die of SIGPIPE there, silently; Node ignores SIGPIPE and
 * raises the failed write as an unhandled 'error' event instead: a stack trace and a failing
 * exit code for what the shell user sees as a finished command. What was written has been read
 * and nothing more is wanted, so the process ends at once (a command may be in the middle of a
 * long output, such as a million samples), with code 0. `process.exit` runs the 'exit' handlers,
 * so run locks are still released; files are written atomically, so nothing half-written stays.
 * Any other error of stdout is raised as before. Installed once per process; a no-op where there
 * is no Node process (a browser).
 */
export function endQuietlyWhenStdoutCloses(): void {
  if (installed || typeof process === 'undefined' || !process.stdout) return;
  installed = true;
  const stdout = process.stdout;
  stdout.on('error', (error: NodeJS.ErrnoException) => {
    // Writes after the pipe broke (the stream is destroyed by then) fail with ERR_STREAM_DESTROYED.
    if (error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED') {
      process.exit(0);
      return;
    }
    // Only this listener is attached: without it Node would throw, so keep that for other errors.
    if (stdout.listenerCount('error') === 1) throw error;
  });
}
