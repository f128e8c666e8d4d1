import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { formatDuration, formatRate, ProgressBar } from './progress.js';

/** A pipe-like stream (not a terminal) that keeps what is written. */
function capture(): { stream: NodeJS.WriteStream; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk, _encoding, done) {
      text += String(chunk);
      done();
    },
  }) as unknown as NodeJS.WriteStream;
  return { stream, text: () => text };
}

describe('progress', () => {
  it('formats durations and rates', () => {
    expect(formatDuration(59.4)).toBe('59s');
    expect(formatDuration(61)).toBe('1m01s');
    expect(formatDuration(3 * 3600 + 5 * 60)).toBe('3h05m');
    expect(formatDuration(Number.NaN)).toBe('--');
    expect(formatRate(12345.6)).toBe('12,346');
  });

  it('on a pipe writes the label, bar, percentage and fields at the end, then the message', () => {
    const { stream, text } = capture();
    const bar = new ProgressBar({ total: 200, label: 'train', stream, width: 10 });
    for (let step = 1; step <= 200; step++) bar.update(step, { loss: (1 / step).toFixed(3) });
    bar.finish('epoch 1 done');
    const lines = text().trim().split('\n');
    expect(lines.length).toBeLessThan(5); // not a line per update
    expect(text()).toMatch(/train █{10} 100%\s+loss 0\.005/);
    expect(lines[lines.length - 1]).toBe('epoch 1 done');
  });
});
