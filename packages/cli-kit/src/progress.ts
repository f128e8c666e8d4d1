import cliProgress from 'cli-progress';

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
 * A one-line progress bar on stderr, drawn by cli-progress: redrawn in place on a terminal; on a
 * pipe or in CI, a line every 10 seconds and one at the end, so logs stay short. `fields` are shown
 * after the percentage as `name value` pairs (loss, samples/s, ETA).
 */
export class ProgressBar {
  private readonly bar: cliProgress.SingleBar;
  private readonly stream: NodeJS.WriteStream;
  private started = false;

  constructor(private readonly options: ProgressOptions) {
    this.stream = options.stream ?? process.stderr;
    const label = options.label ? `${options.label} ` : '';
    this.bar = new cliProgress.SingleBar({
      stream: this.stream,
      format: `${label}{bar} {percentage}%  {fields}`,
      barsize: options.width ?? 24,
      barCompleteChar: '█',
      barIncompleteChar: '░',
      hideCursor: false,
      noTTYOutput: true,
      notTTYSchedule: 10_000,
      linewrap: false,
      // Our own ETA is among the fields (it knows about resumed steps); cli-progress's is not shown.
      etaBuffer: 1,
    });
  }

  update(done: number, fields: Record<string, string> = {}): void {
    const payload = {
      fields: Object.entries(fields)
        .map(([k, v]) => `${k} ${v}`)
        .join('  '),
    };
    const value = Math.min(Math.max(0, done), Math.max(1, this.options.total));
    if (!this.started) {
      this.bar.start(Math.max(1, this.options.total), value, payload);
      this.started = true;
    } else this.bar.update(value, payload);
  }

  finish(message?: string): void {
    if (this.started) this.bar.stop();
    this.started = false;
    if (message) this.stream.write(`${message}\n`);
  }
}
