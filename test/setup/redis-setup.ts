/**
 * The Redis the tests use, found the way `npm run demo` finds one (src/demo/find-redis.ts):
 * REDIS_URL if set, else a Redis answering on 127.0.0.1:6379, else a throw-away redis-server
 * from the PATH, stopped after the run, else a clear message and no tests. Every test uses a
 * key prefix of its own, so a shared Redis is never disturbed (no FLUSHALL).
 */
import { findRedis } from '../../src/demo/find-redis.js';
import { displayRedisUrl, HOW_TO_GET_REDIS, probeRedis } from '../../src/queue/redis-availability.js';

export default async function setup(): Promise<() => Promise<void>> {
  // A REDIS_URL that does not answer is a clear stop, not hundreds of failing tests.
  if (process.env.REDIS_URL) {
    const problem = await probeRedis(process.env.REDIS_URL);
    if (problem) throw new Error(`the tests need Redis, and REDIS_URL (${displayRedisUrl(process.env.REDIS_URL)}) cannot be reached: ${problem}. ${HOW_TO_GET_REDIS}`);
  }
  let found: Awaited<ReturnType<typeof findRedis>>;
  try {
    found = await findRedis({ env: process.env });
  } catch (error) {
    throw new Error(`the tests need Redis: ${error instanceof Error ? error.message : String(error)}`);
  }
  process.env.REDIS_URL = found.url;
  if (found.source === 'started') console.log(`[tests] started a throw-away redis-server at ${found.url} (nothing answered on 127.0.0.1:6379)`);
  return () => found.stop();
}
