import { spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';
import { connectRedis, deletePrefix, randomPrefix, REDIS_URL } from '../helpers/redis.js';

/**
 * `npm run demo` stopped the way a terminal stops it: Ctrl+C sends SIGINT to every process of the
 * foreground group (npm, its shell, the demo), and SIGTERM from a supervisor does the same to the
 * group. The demo must still remove its keys and exit, which a runner that relays the signal a
 * second time (the tsx CLI did) prevents: the second signal means "now".
 */
describe('npm run demo stopped with Ctrl+C or SIGTERM', () => {
  const prefixes: string[] = [];

  afterAll(async () => {
    const redis = connectRedis();
    for (const prefix of prefixes) await deletePrefix(redis, prefix);
    await redis.quit();
  });

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`${signal} to the process group: the demo removes its keys and every process exits`, async () => {
      const prefix = randomPrefix('demo-signal');
      prefixes.push(prefix);
      const child = spawn('npm', ['run', 'demo', '--silent'], {
        cwd: ROOT,
        detached: true, // its own process group, like a terminal's foreground job
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', REDIS_URL, REDIS_PREFIX: prefix, PORT: '0', LOG_LEVEL: 'silent' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (chunk) => (output += chunk));
      child.stderr.on('data', (chunk) => (output += chunk));
      const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
      const started = await new Promise<boolean>((resolve) => {
        const check = () => output.includes('Stop with Ctrl+C') && resolve(true);
        child.stdout.on('data', check);
        child.once('close', () => resolve(false));
      });
      expect(started, output).toBe(true);
      const url = /chat page: +(\S+)/.exec(output)?.[1];
      // A conversation, so the demo has keys of its own to remove.
      const post = await fetch(`${url}api/chat/ctrl-c/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'How many checked bags can I bring in economy?' }) });
      expect(post.status).toBeLessThan(500);
      const redis = connectRedis();
      try {
        expect((await redis.keys(`${prefix}:*`)).length).toBeGreaterThan(0);
        process.kill(-child.pid!, signal);
        await exited;
        expect(output).toMatch(new RegExp(`removed the demo's \\d+ Redis keys \\(prefix ${prefix}:\\)`));
        expect(await redis.keys(`${prefix}:*`)).toEqual([]);
        // No process of the group is left behind (an orphan is reaped by init shortly after npm exits).
        expect(await groupGone(child.pid!)).toBe(true);
      } finally {
        await redis.quit();
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    });
  }
});

/** Whether the process group is gone, polling for up to 5 s. */
async function groupGone(groupId: number): Promise<boolean> {
  for (let attempt = 0; attempt < 50; attempt++) {
    try {
      process.kill(-groupId, 0);
    } catch {
      return true;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}
