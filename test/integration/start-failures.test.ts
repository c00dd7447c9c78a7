/**
 * What an operator sees when the service cannot start or run: an unreachable Redis is said once,
 * clearly, with how to get one, then one short line per retry (backoff), never a stack trace;
 * SIGTERM and SIGINT stop the process promptly while it waits; a busy port names itself and the
 * way to pick another. Run as a user runs them: the `countersign` launcher as a child process.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';
import { freePort } from '../helpers/free-port.js';
import { waitFor } from '../helpers/pipeline.js';
import { connectRedis, deletePrefix, REDIS_URL } from '../helpers/redis.js';

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

function launch(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, ['bin/countersign.js', ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', OPENAI_API_KEY: 'sk-test', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return { child, output: () => output, exited };
}

const messages = (output: string) =>
  output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => (JSON.parse(line) as { msg: string }).msg);

describe('an unreachable Redis', () => {
  it('start: says once that Redis cannot be reached and how to get one, one line per retry, no stack traces; SIGTERM exits at once', async () => {
    const port = await freePort();
    const run = launch(['start'], { REDIS_URL: `redis://127.0.0.1:${port}` });
    await waitFor(() => messages(run.output()).filter((msg) => /retrying in \d+ s \(attempt [2-9]/.test(msg)).length >= 2, 'two retry lines', { timeoutMs: 60_000, intervalMs: 100 });
    const said = messages(run.output());
    const first = said.filter((msg) => msg.includes('cannot be reached'));
    expect(first).toHaveLength(1);
    expect(first[0]).toContain(`redis://127.0.0.1:${port}`);
    expect(first[0]).toContain('connection refused');
    expect(first[0]).toMatch(/docker compose up -d redis|apt-get install redis-server/);
    // Nothing but the service's own one-line JSON records: no stack traces, no raw errors.
    const lines = run.output().trim().split('\n');
    expect(lines.every((line) => line.startsWith('{'))).toBe(true);
    expect(run.output()).not.toMatch(/TCPConnectWrap|ECONNREFUSED\n/);
    // Backoff: the attempts are further and further apart, so the lines are few.
    expect(said.length).toBeLessThanOrEqual(8);
    // It exits on its own (a hang would run into the test's time-out), and cleanly.
    run.child.kill('SIGTERM');
    const exit = await run.exited;
    expect(exit.code).toBe(0);
  });

  it('demo: REDIS_URL unreachable is said in plain words, and Ctrl+C (SIGINT) stops it while it waits', async () => {
    const port = await freePort();
    const run = launch(['demo'], { REDIS_URL: `redis://127.0.0.1:${port}` });
    await waitFor(() => /attempt 2\)/.test(run.output()), 'the second attempt', { timeoutMs: 60_000, intervalMs: 100 });
    expect(run.output()).toMatch(new RegExp(`ERROR: Redis at redis://127.0.0.1:${port} cannot be reached \\(connection refused\\)`));
    expect(run.output()).not.toContain('{"level"');
    expect(run.output()).not.toMatch(/at TCPConnectWrap/);
    run.child.kill('SIGINT');
    const exit = await run.exited;
    expect(exit.code).toBe(0);
  });
});

describe('a busy port', () => {
  it('start: names the port and how to pick another', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', resolve));
    const { port } = server.address() as net.AddressInfo;
    try {
      const run = launch(['start'], { REDIS_URL, REDIS_PREFIX: `cs-busy-${port}`, PORT: String(port) });
      const exit = await run.exited;
      expect(exit.code).toBe(1);
      const said = messages(run.output()).join('\n');
      expect(said).toContain(`port ${port} is already in use`);
      expect(said).toContain(`PORT=${port + 1}`);
    } finally {
      server.close();
      // The service made its queue before it found the port taken: its keys go too.
      const redis = connectRedis();
      await deletePrefix(redis, `cs-busy-${port}`);
      await redis.quit();
    }
  });
});
