/**
 * Runs `each` over `items` with at most `limit` calls in flight, in order of the items. A
 * call that throws rejects the whole; callers that must go on catch inside `each`.
 */
export async function forEachLimit<T>(
  items: readonly T[],
  limit: number,
  each: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      await each(items[index] as T, index);
    }
  };
  const workers = Math.max(1, Math.min(limit, items.length));
  await Promise.all(Array.from({ length: workers }, worker));
}
