import { describe, expect, it, vi } from 'vitest';
import { captureConsole } from './console-capture.js';

describe('captureConsole', () => {
  const output = captureConsole({ processStdout: true });

  it('collects console.log and console.error lines, and raw writes to process.stdout, without printing them', () => {
    console.log('a', 1);
    console.error('b');
    process.stdout.write('c\n');
    expect(output.stdout).toBe('a 1\nc\n');
    expect(output.stderr).toBe('b\n');
    output.clear();
    console.log('d');
    expect(output.stdout).toBe('d\n');
    expect(output.stderr).toBe('');
  });

  it('starts each test empty', () => {
    expect(output.stdout).toBe('');
    expect(output.stderr).toBe('');
  });
});

describe('captureConsole without processStdout', () => {
  captureConsole();

  it('leaves process.stdout alone', () => {
    expect(vi.isMockFunction(console.log)).toBe(true);
    expect(vi.isMockFunction(process.stdout.write)).toBe(false);
  });
});

it('restores the console after each test of the suites that capture it', () => {
  expect(vi.isMockFunction(console.log)).toBe(false);
  expect(vi.isMockFunction(console.error)).toBe(false);
});
