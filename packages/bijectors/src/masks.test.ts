import { Random } from '@flows/core';
import { describe, expect, it } from 'vitest';
import { alternatingMask, checkerboardMask, halfMask, inverseCheckerboardMask, invertMask, randomMask } from './masks.js';

describe('mask builders', () => {
  it('half and alternating', () => {
    expect(halfMask(5)).toEqual([1, 1, 0, 0, 0]);
    expect(halfMask(4, false)).toEqual([0, 0, 1, 1]);
    expect(alternatingMask(5)).toEqual([1, 0, 1, 0, 1]);
    expect(alternatingMask(4, 0)).toEqual([0, 1, 0, 1]);
  });

  it('random masks have exactly half ones, depend only on the seed, and differ across seeds', () => {
    const mask = randomMask(784, 11);
    expect(mask.length).toBe(784);
    expect(mask.reduce((a, b) => a + b, 0)).toBe(392);
    expect(randomMask(784, 11)).toEqual(mask);
    expect(randomMask(784, 12)).not.toEqual(mask);
    const random = new Random(3);
    expect(randomMask(10, random)).not.toEqual(randomMask(10, random));
  });

  it('checkerboard on H x W and its inverse', () => {
    expect(checkerboardMask(2, 3)).toEqual([1, 0, 1, 0, 1, 0]);
    expect(inverseCheckerboardMask(2, 3)).toEqual([0, 1, 0, 1, 0, 1]);
    const board = checkerboardMask(28, 28);
    expect(board.reduce((a, b) => a + b, 0)).toBe(392);
    // Horizontal and vertical neighbours always differ.
    for (let i = 0; i < 28; i++) for (let j = 0; j < 27; j++) expect(board[i * 28 + j]).not.toBe(board[i * 28 + j + 1]);
    for (let i = 0; i < 27; i++) expect(board[i * 28]).not.toBe(board[(i + 1) * 28]);
    expect(invertMask(board)).toEqual(checkerboardMask(28, 28, 1));
  });

  it('rejects bad sizes and non-binary masks', () => {
    expect(() => halfMask(0)).toThrow(/positive integer/);
    expect(() => checkerboardMask(2.5, 2)).toThrow(/height/);
    expect(() => invertMask([0, 3])).toThrow(/binary/);
  });
});
