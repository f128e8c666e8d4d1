export interface ProgressOptions {
  total: number;
  label?: string;
  stream?: NodeJS.WriteStream;
  /** Width of the bar in characters (default 24). */
  width?: number;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export function formatRate(perSecond: number): string {
  return Number.isFinite(perSecond) ? Math.round(perSecond).toLocaleString('en-US') : '--';
}

/**
 * A one-line progress bar on stderr: redrawn in place on a terminal; on a pipe or in CI, a
 * line at most every 10 % of the work, so logs stay short.
 */
export class ProgressBar {
  private readonly stream: NodeJS.WriteStream;
  private lastPrintedTenth = -1;
  private lastLine = '';

  constructor(private readonly options: ProgressOptions) {
    this.stream = options.stream ?? process.stderr;
  }

  update(done: number, fields: Record<string, string> = {}): void {
    const total = Math.max(1, this.options.total);
    const fraction = Math.min(1, Math.max(0, done / total));
    const width = this.options.width ?? 24;
    const filled = Math.round(fraction * width);
    const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
    const extras = Object.entries(fields).map(([k, v]) => `${k} ${v}`).join('  ');
    const line = `${this.options.label ? `${this.options.label} ` : ''}${bar} ${(fraction * 100).toFixed(0).padStart(3)}%  ${extras}`;
    this.lastLine = line;
    if (this.stream.isTTY) {
      this.stream.write(`\r${line.slice(0, (this.stream.columns ?? 120) - 1)}\x1b[K`);
    } else {
      const tenth = Math.floor(fraction * 10);
      if (tenth > this.lastPrintedTenth) {
        this.lastPrintedTenth = tenth;
        this.stream.write(`${line}\n`);
      }
    }
  }

  finish(message?: string): void {
    if (this.stream.isTTY) this.stream.write(`\r${this.lastLine}\x1b[K\n`);
    if (message) this.stream.write(`${message}\n`);
  }
}
