/**
 * Awaits every promise, like `Promise.all`, but when some reject it throws the rejection of the
 * first one in the list, not the one that happened to fail first.
 *
 * Why: files are read at once for speed, but an error message must not depend on timing. With
 * `Promise.all`, a missing weights file and a missing description both missing would be named in
 * whichever order the file system answered, and a test of the message fails now and then.
 */
export async function allInOrder<T>(promises: readonly Promise<T>[]): Promise<T[]> {
  const settled = await Promise.allSettled(promises);
  const failed = settled.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((result) => (result as PromiseFulfilledResult<T>).value);
}
