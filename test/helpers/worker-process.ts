/**
 * A countersign process started the way operators start one: `node --import tsx src/cli.ts
 * start --role worker`, configured through the environment only (an empty config file, so a
 * countersign.yaml in the working directory cannot leak in).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from './pipeline.js';

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

let emptyConfig: string | undefined;
function emptyConfigFile(): string {
  if (!emptyConfig) {
    emptyConfig = path.join(mkdtempSync(path.join(tmpdir(), 'countersign-worker-')), 'countersign.yaml');
    writeFileSync(emptyConfig, '# everything comes from the environment\n');
  }
  return emptyConfig;
}

export interface WorkerProcess {
  child: ChildProcess;
  pid: number;
  /** Everything the process wrote so far (pino JSON lines and stderr). */
  output(): string;
  /** Parsed pino lines of stdout. */
  logs(): Array<Record<string, unknown>>;
  /** Resolves with the exit code (or signal name) when the process ends. */
  exited: Promise<number | string>;
  /** SIGTERM, then wait for the exit. */
  stop(): Promise<number | string>;
  /** SIGKILL, then wait for the exit. */
  kill(): Promise<number | string>;
}

export interface WorkerProcessOptions {
  env: Record<string, string>;
  role?: 'worker' | 'all' | 'ingest';
  /** How long to wait for "countersign started". @defaultValue 45000 */
  readyTimeoutMs?: number;
}

/** Spawn a countersign process and wait until it logs that it started. */
export async function startWorkerProcess(options: WorkerProcessOptions): Promise<WorkerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'start', '--role', options.role ?? 'worker', '--config', emptyConfigFile()], {
    cwd: PROJECT_ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...options.env, LOG_LEVEL: 'info', HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  let ended: number | string | undefined;
  void exited.then((value) => {
    ended = value;
  });
  const logs = () =>
    stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .flatMap((line) => {
        try {
          return [JSON.parse(line) as Record<string, unknown>];
        } catch {
          return [];
        }
      });
  const output = () => `${stdout}${stderr}`;
  try {
    await waitFor(
      () => {
        if (ended !== undefined) throw new Error(`the worker exited (${ended}) before it started:\n${output().slice(-3000)}`);
        return logs().some((line) => line.msg === 'countersign started');
      },
      'the worker process to start',
      { timeoutMs: options.readyTimeoutMs ?? 45_000, intervalMs: 50 },
    );
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    child,
    pid: child.pid!,
    output,
    logs,
    exited,
    async stop() {
      if (ended === undefined) child.kill('SIGTERM');
      return exited;
    },
    async kill() {
      if (ended === undefined) child.kill('SIGKILL');
      return exited;
    },
  };
}
