import { execFile } from 'node:child_process';
import path from 'node:path';

/** The project root, where `src/cli.ts` runs from. */
export const ROOT = path.resolve(import.meta.dirname, '../..');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Run `countersign <args>` as a user would (a child process through tsx) and collect its output.
 * With `inherit: false` the child sees only PATH, HOME and `env`, so the developer's own
 * variables cannot leak in.
 */
export function runCli(args: string[], env: Record<string, string> = {}, options: { inherit?: boolean } = {}): Promise<CliResult> {
  const base = options.inherit === false ? { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' } : process.env;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/cli.ts', ...args],
      { cwd: ROOT, env: { ...base, ...env }, timeout: 90_000, maxBuffer: 10 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}
