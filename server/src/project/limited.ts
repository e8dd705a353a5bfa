/** Bounded concurrency for the command line's pipeline and the editor's workspace index. */

/**
 * Runs `fn` over `items` in order, at most `limit` at a time; once `shouldStop` says so, no further item starts
 * (those running finish).
 */
export async function forEachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>, shouldStop?: () => boolean): Promise<void> {
  let next = 0;
  const runner = async (): Promise<void> => {
    while (next < items.length && !shouldStop?.()) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, runner));
}
