/**
 * Finds a Redis for `npm run demo`, so that a newcomer needs no setup when any Redis can be had:
 * `REDIS_URL` if set; else a Redis already answering on 127.0.0.1:6379; else a throw-away
 * `redis-server` started from the PATH on a free port in a fresh temporary directory (no
 * persistence), stopped again by `stop()` or when the process exits.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CountersignError } from '../core/errors.js';

export interface FindRedisOptions {
  /** The environment: `REDIS_URL` and `PATH` are read from it. @defaultValue process.env */
  env?: Record<string, string | undefined>;
  /** The Redis probed when `REDIS_URL` is unset. @defaultValue 'redis://127.0.0.1:6379' */
  localUrl?: string;
  /** How long a PING may take before the Redis counts as absent. @defaultValue 1000 */
  probeTimeoutMs?: number;
  /** How long a started redis-server may take to answer PING. @defaultValue 15000 */
  startTimeoutMs?: number;
}

export interface FoundRedis {
  url: string;
  /** Where the URL came from. */
  source: 'env' | 'local' | 'started';
  /** Stops a redis-server this call started and removes its directory; a no-op otherwise. */
  stop(): Promise<void>;
}

const HOW_TO_GET_REDIS =
  'countersign needs Redis, and none was found: REDIS_URL is not set, nothing answers on 127.0.0.1:6379, and redis-server is not on the PATH.\n' +
  'Start one with `docker compose up -d redis` (from the project directory), or install your distribution\'s redis-server package ' +
  '(Debian/Ubuntu: `sudo apt-get install redis-server`, Fedora: `sudo dnf install redis`, macOS: `brew install redis`), ' +
  'or set REDIS_URL=redis://host:6379.';

/** True when a Redis at host:port answers PING with PONG within the time limit. */
export function pingRedis(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    let answer = '';
    const finish = (result: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    // A plain socket rather than ioredis: a client would retry and log while we only want to know.
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      answer += chunk.toString('latin1');
      if (answer.includes('\r\n')) finish(answer.startsWith('+PONG'));
    });
    socket.on('error', () => finish(false));
    socket.on('close', () => finish(false));
  });
}

/** The path of an executable on PATH, or null. */
function which(name: string, pathVariable: string | undefined): string | null {
  for (const directory of (pathVariable ?? '').split(path.delimiter)) {
    if (!directory) continue;
    const candidate = path.join(directory, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

/** A port that was free a moment ago (the OS picks it). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

const exited = (child: ChildProcess) => child.exitCode !== null || child.signalCode !== null;

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<void> {
  if (exited(child)) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

async function startRedisServer(executable: string, options: Required<Pick<FindRedisOptions, 'startTimeoutMs'>>): Promise<FoundRedis> {
  const directory = mkdtempSync(path.join(tmpdir(), 'countersign-redis-'));
  const logFile = path.join(directory, 'redis.log');
  const readLog = () => {
    try {
      return readFileSync(logFile, 'utf8').trim().split('\n').slice(-5).join('\n');
    } catch {
      return '(no log)';
    }
  };
  let lastProblem = '';
  // The free port can be taken between our probe and redis-server's bind: try a few.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const child = spawn(
      executable,
      ['--port', String(port), '--bind', '127.0.0.1', '--dir', directory, '--save', '', '--appendonly', 'no', '--logfile', logFile, '--daemonize', 'no'],
      { stdio: 'ignore' },
    );
    let spawnError: Error | undefined;
    child.once('error', (error) => {
      spawnError = error;
    });
    const deadline = Date.now() + options.startTimeoutMs;
    let ready = false;
    while (!ready && !spawnError && !exited(child) && Date.now() < deadline) {
      ready = await pingRedis('127.0.0.1', port, 500);
      if (!ready) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    if (ready) {
      // The demo may end by process.exit() on a signal: the server and its directory go too.
      const onExit = () => {
        child.kill('SIGKILL');
        rmSync(directory, { recursive: true, force: true });
      };
      process.once('exit', onExit);
      let stopping: Promise<void> | undefined;
      return {
        url: `redis://127.0.0.1:${port}`,
        source: 'started',
        stop: () => {
          stopping ??= (async () => {
            process.removeListener('exit', onExit);
            child.kill('SIGTERM');
            await waitForExit(child, 5000);
            rmSync(directory, { recursive: true, force: true });
          })();
          return stopping;
        },
      };
    }
    lastProblem = spawnError ? spawnError.message : exited(child) ? `redis-server exited (${child.exitCode ?? child.signalCode}): ${readLog()}` : 'no answer to PING in time';
    child.kill('SIGKILL');
    await waitForExit(child, 5000);
  }
  rmSync(directory, { recursive: true, force: true });
  throw new CountersignError('redis.unavailable', `could not start ${executable}: ${lastProblem}\n${HOW_TO_GET_REDIS}`);
}

/**
 * Find or start a Redis for the demo. Throws CountersignError `redis.unavailable` with
 * instructions when there is none to be had.
 */
export async function findRedis(options: FindRedisOptions = {}): Promise<FoundRedis> {
  const env = options.env ?? process.env;
  const none = async () => {};
  if (env.REDIS_URL) return { url: env.REDIS_URL, source: 'env', stop: none };
  const localUrl = new URL(options.localUrl ?? 'redis://127.0.0.1:6379');
  if (await pingRedis(localUrl.hostname, Number(localUrl.port || 6379), options.probeTimeoutMs ?? 1000)) {
    return { url: localUrl.toString().replace(/\/$/, ''), source: 'local', stop: none };
  }
  const executable = which('redis-server', env.PATH);
  if (!executable) throw new CountersignError('redis.unavailable', HOW_TO_GET_REDIS);
  return startRedisServer(executable, { startTimeoutMs: options.startTimeoutMs ?? 15_000 });
}
