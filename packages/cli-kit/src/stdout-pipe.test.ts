import { afterEach, describe, expect, it, vi } from 'vitest';
import { endQuietlyWhenStdoutCloses } from './stdout-pipe.js';

const failure = (code: string) => Object.assign(new Error(`write ${code}`), { code });

afterEach(() => vi.restoreAllMocks());

describe('a closed stdout pipe', () => {
  it('ends the process with code 0 on EPIPE, once installed however often it is called; other errors still raise', () => {
    const before = process.stdout.listenerCount('error');
    endQuietlyWhenStdoutCloses();
    endQuietlyWhenStdoutCloses();
    expect(process.stdout.listenerCount('error')).toBe(before + 1);
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
    process.stdout.emit('error', failure('EPIPE'));
    expect(exit).toHaveBeenCalledWith(0);
    exit.mockClear();
    process.stdout.emit('error', failure('ERR_STREAM_DESTROYED'));
    expect(exit).toHaveBeenCalledWith(0);
    exit.mockClear();
    expect(() => process.stdout.emit('error', failure('EIO'))).toThrow(/write EIO/);
    expect(exit).not.toHaveBeenCalled();
  });
});
