/**
 * Run `task` over the indexes 0..count-1 with at most `width` in flight, the results in index
 * order. Floods and fills use it to load a service hard without opening thousands of requests
 * at once (which would measure the client, not the service).
 */
export async function inParallel<T>(count: number, width: number, task: (index: number) => Promise<T>): Promise<T[]> {
  const results = new Array<T>(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, count) }, async () => {
      while (next < count) {
        const index = next++;
        results[index] = await task(index);
      }
    }),
  );
  return results;
}
