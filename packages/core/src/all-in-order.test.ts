import { describe, expect, it } from 'vitest';
import { allInOrder } from './all-in-order.js';

const settleAfter = <T>(ms: number, value: T, fail = false) =>
  new Promise<T>((resolve, reject) => setTimeout(() => (fail ? reject(new Error(String(value))) : resolve(value)), ms));

describe('allInOrder', () => {
  it('returns the values in the order given', async () => {
    expect(await allInOrder([settleAfter(20, 'a'), settleAfter(1, 'b'), Promise.resolve('c')])).toEqual(['a', 'b', 'c']);
  });

  it('throws the first failure by position, not by time', async () => {
    // The second rejects long before the first; Promise.all would report the second.
    await expect(Promise.all([settleAfter(30, 'first', true), settleAfter(1, 'second', true)])).rejects.toThrow('second');
    await expect(allInOrder([settleAfter(30, 'first', true), settleAfter(1, 'second', true)])).rejects.toThrow('first');
    await expect(allInOrder([settleAfter(1, 'fine'), settleAfter(5, 'only', true)])).rejects.toThrow('only');
  });
});
