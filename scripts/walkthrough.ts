/**
 * `npm run test:walkthrough`: a new user's first minutes, scripted. It makes a clone of the
 * repository (`git clone` of HEAD: committed work only, as a user gets it) in a temporary
 * directory, and runs there every command README.md shows in a ```sh or ```bash block, in order,
 * as printed: first the two set-up commands README opens with, then the tour. Each command must
 * exit 0 and, where README says what it answers, answer that. Exit code 0 when every command did.
 *
 * The rules, so that "as printed" stays honest:
 * - A command is a line of such a block (with the lines a trailing `\` continues). Blank lines and
 *   lines that are only a comment are not commands. A block whose fence says `no-run` (```sh
 *   no-run) is skipped and listed: for commands that cannot run on a test machine, such as ones
 *   that need real Slack tokens, docker, or models and data the user brings (README's τ-bench
 *   command).
 * - Each command runs in bash in the clone, with the variables earlier commands exported (a
 *   terminal keeps them), starting from a fresh terminal's environment: PATH, HOME, TMPDIR,
 *   LANG, TERM, REDIS_URL when set; no OPENAI_API_KEY, no CI. Two settings are added, both ones
 *   README names for this: PORT=0 (any free port: this machine may be shared, and README's
 *   commands use the port the demo prints) and a REDIS_PREFIX of this run's own (two runs on one
 *   Redis never meet).
 * - `npm ci` must not warn EBADENGINE (a package refusing this Node).
 * - A command that runs `npm run demo` is long-running: it starts in the background in a process
 *   group of its own, the walk-through waits for its banner ("Stop with Ctrl+C") and goes on; at
 *   the end it is stopped with SIGTERM to its group (what Ctrl+C does with SIGINT) and must exit
 *   and remove its Redis keys, as its banner says.
 * - Where README asks the reader to copy something, the walk-through copies it: `NAME=...` takes
 *   the value of `NAME=` in the line the demo printed, and `TURN_ID` the first ID of the last
 *   `countersign review list`.
 * - One command is run again: `review list`, while it does not list the tour's turn yet (for up to
 *   30 s), because README tells the reader to ("run it again if the list is still empty"): the
 *   turn is escalated a moment after the message is accepted.
 *
 * Options: `--keep` leaves the clone in place (its path is printed). `--beside-project` makes the
 * clone beside this checkout instead of in the temporary directory, so that what the test suite
 * reads from beside the project (CI provides such data; tests that need it skip without it)
 * is there for the clone too: CI runs README's test command this way, once. It needs git, Node, npm and
 * network access for `npm ci` (or a warm npm cache), and a Redis (found like the demo finds one).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { scanPrefix } from '../test/helpers/redis.js';
import { readmeCommands } from './readme-commands.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const keep = process.argv.includes('--keep');
const besideProject = process.argv.includes('--beside-project');
const say = (line: string) => process.stdout.write(`${line}\n`);
const started = Date.now();
const elapsed = (since = started) => `${((Date.now() - since) / 1000).toFixed(1)} s`;

/** What a command must answer beyond exit 0, where README says what it answers. */
interface Expectation {
  command: RegExp;
  /** What README says, for the report. */
  says: string;
  check(result: Result, state: State): string | null;
  /** Run the command again while the check fails, up to this long (README says to). */
  againForMs?: number;
}

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

interface State {
  env: Record<string, string>;
  banner: string;
  turnId: string | null;
  version: string;
  clone: string;
}

const EXPECTATIONS: Expectation[] = [
  {
    command: /^npm test\b/,
    says: 'the test suite passes',
    check: (result) => {
      // vitest colours its summary: drop the colour codes first.
      const summary = /Tests\s+(.*)/.exec(`${result.stdout}${result.stderr}`.replace(/\x1b\[[0-9;]*m/g, ''))?.[1] ?? '';
      if (/failed/.test(summary) || !/\d+ passed/.test(summary)) return `its summary says: ${summary || '(none)'}`;
      say(`  tests: ${summary.trim()}`);
      return null;
    },
  },
  {
    command: /^export DEMO_URL=/,
    says: 'points the terminal at the demo',
    check: (_result, state) => (/^http:\/\/localhost:\d+$/.test(state.env.DEMO_URL ?? '') && state.env.REVIEW_TOKEN ? null : `DEMO_URL=${state.env.DEMO_URL} REVIEW_TOKEN set: ${Boolean(state.env.REVIEW_TOKEN)}`),
  },
  {
    command: /countersign --version$/,
    says: 'the version',
    check: (result, state) => (result.stdout.trim() === state.version ? null : `printed "${result.stdout.trim()}", package.json says ${state.version}`),
  },
  {
    command: /^curl -s -X POST .*\/api\/chat\//,
    says: "202 with the message's id",
    check: (result) => (/"messageId":"[^"]+"/.test(result.stdout) ? null : `answered ${result.stdout.slice(0, 300)}`),
  },
  {
    command: /countersign review list\b/,
    says: 'the escalated turn',
    againForMs: 30_000,
    check: (result, state) => {
      const row = result.stdout.split('\n').find((line) => /\bweb:tour-\d+\b/.test(line) && /\bcritic\b/.test(line));
      if (!row) return `lists no escalated tour turn:\n${result.stdout}`;
      state.turnId = row.trim().split(/\s+/)[0]!;
      return null;
    },
  },
  {
    command: /countersign review show \S+$/,
    says: 'its conversation, the draft, the verdict, why it is here',
    check: (result) => (/Verdict: +escalate/.test(result.stdout) && /Draft:/.test(result.stdout) && /compensation/.test(result.stdout) ? null : `showed:\n${result.stdout}`),
  },
  {
    command: /countersign review approve \S+ --text /,
    says: 'your reply is posted instead of the draft',
    check: (result, state) => (result.stdout.includes(state.turnId ?? '\0') ? null : `answered:\n${result.stdout}${result.stderr}`),
  },
  {
    command: /status=approved/,
    says: 'the turn in the approved list',
    check: (result, state) => {
      try {
        const { turns } = JSON.parse(result.stdout) as { turns: Array<{ id: string; status: string }> };
        return turns.some((turn) => turn.id === state.turnId && turn.status === 'approved') ? null : `the approved list has no ${state.turnId}`;
      } catch {
        return `not JSON: ${result.stdout.slice(0, 300)}`;
      }
    },
  },
  {
    command: /countersign export --out reviews\.jsonl$/,
    says: 'every reviewed turn as a line of the fine-tuning set',
    check: (_result, state) => {
      const lines = readFileSync(path.join(state.clone, 'reviews.jsonl'), 'utf8').trim().split('\n');
      const example = JSON.parse(lines[0] ?? '{}') as { messages?: Array<{ role: string; content: string }> };
      const target = example.messages?.at(-1);
      return lines.length >= 1 && target?.role === 'assistant' && JSON.parse(target.content).decision === 'edit' ? null : `reviews.jsonl: ${lines.length} lines, last message ${JSON.stringify(target)}`;
    },
  },
];

/** A long-running command: how to know it is up. */
// `npm run demo` as a command of the line (first, or after && or ;), not in a comment.
const LONG_RUNNING = [{ command: /(^|&&|;)\s*npm run demo\b/, ready: /Stop with Ctrl\+C/, readyWithinMs: 240_000 }];

/** A fresh terminal's environment (see the rules above). */
function freshEnvironment(prefix: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of ['PATH', 'HOME', 'TMPDIR', 'LANG', 'TERM', 'REDIS_URL', 'CHROMIUM_PATH']) {
    const value = process.env[name];
    if (value) env[name] = value;
  }
  return { ...env, PORT: '0', REDIS_PREFIX: prefix };
}

/** Fill what README asks the reader to copy (see the rules above). */
function fillPlaceholders(command: string, state: State): string {
  let filled = command.replace(/\b([A-Z][A-Z0-9_]*)=\.\.\.(?=\s|$)/g, (_whole, name: string) => {
    const printed = new RegExp(`\\b${name}=(\\S+)`).exec(state.banner)?.[1];
    if (!printed) throw new Error(`README asks for ${name}=... from the demo, which printed no ${name}=`);
    return `${name}=${printed}`;
  });
  if (/\bTURN_ID\b/.test(filled)) {
    if (!state.turnId) throw new Error('README asks for TURN_ID before `countersign review list` showed one');
    filled = filled.replace(/\bTURN_ID\b/g, state.turnId);
  }
  return filled;
}

/** Run one command in bash with the terminal's variables; read back what it exported. */
async function run(command: string, state: State): Promise<Result> {
  // Outside the clone (git status there stays clean), and never in a folder the walk-through does not own.
  const envFile = path.join(tmpdir(), `countersign-walkthrough-env-${process.pid}`);
  const script = `${command}\n__code=$?\nenv -0 > ${JSON.stringify(envFile)}\nexit $__code\n`;
  const child = spawn('bash', ['-c', script], { cwd: state.clone, env: state.env, stdio: ['ignore', 'pipe', 'pipe'] });
  const result = await collect(child);
  try {
    const exported = readFileSync(envFile, 'utf8').split('\0').filter(Boolean);
    const env: Record<string, string> = {};
    for (const entry of exported) {
      const at = entry.indexOf('=');
      const name = entry.slice(0, at);
      if (!['PWD', 'OLDPWD', 'SHLVL', '_', '__code'].includes(name)) env[name] = entry.slice(at + 1);
    }
    state.env = env;
  } catch {
    // The command did not get as far as the line after it (it exited itself): nothing exported.
  }
  return result;
}

function collect(child: ChildProcess): Promise<Result> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk) => (stdout += chunk));
  child.stderr?.on('data', (chunk) => (stderr += chunk));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

/** The demo (or another long-running command), in the background in its own process group. */
interface Background {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

async function startInBackground(command: string, state: State, ready: RegExp, withinMs: number): Promise<Background> {
  const child = spawn('bash', ['-c', command], { cwd: state.clone, env: state.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  const deadline = Date.now() + withinMs;
  let gone = false;
  void exited.then(() => (gone = true));
  while (!ready.test(output)) {
    if (gone) throw new Error(`\`${command}\` exited before it was up:\n${output.slice(-3000)}`);
    if (Date.now() > deadline) throw new Error(`\`${command}\` was not up within ${withinMs / 1000} s:\n${output.slice(-3000)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return { child, output: () => output, exited };
}

async function main(): Promise<void> {
  const workspace = besideProject ? mkdtempSync(path.join(root, '..', 'countersign-walkthrough-')) : mkdtempSync(path.join(tmpdir(), 'countersign-walkthrough-'));
  // Beside the project, the workspace is the clone itself (its parent is the project's parent).
  const clone = besideProject ? workspace : path.join(workspace, 'countersign');
  const prefix = `walkthrough-${randomBytes(4).toString('hex')}`;
  const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
  say(`walk-through of README at ${head}, in ${clone} (Redis key prefix ${prefix})`);
  execFileSync('git', ['clone', '--quiet', '--no-hardlinks', root, clone], { stdio: 'inherit' });
  const state: State = { env: freshEnvironment(prefix), banner: '', turnId: null, version: JSON.parse(readFileSync(path.join(clone, 'package.json'), 'utf8')).version, clone };
  const commands = readmeCommands(readFileSync(path.join(clone, 'README.md'), 'utf8'));
  const background: Array<{ command: string; process: Background }> = [];
  const failures: string[] = [];
  let ran = 0;
  try {
    for (const { text, line, skipped } of commands) {
      const shown = text.replace(/\s{2,}#.*$/, ''); // README aligns its comments
      if (skipped) {
        say(`- README.md:${line}: skipped (no-run): ${shown}`);
        continue;
      }
      const since = Date.now();
      const command = fillPlaceholders(text, state);
      const longRunning = LONG_RUNNING.find((entry) => entry.command.test(command));
      if (longRunning) {
        say(`- README.md:${line}: ${shown}   (in the background)`);
        const process = await startInBackground(command, state, longRunning.ready, longRunning.readyWithinMs);
        background.push({ command: shown, process });
        state.banner = process.output();
        // `npm ci` must not warn that a package refuses this Node (EBADENGINE).
        if (/EBADENGINE/.test(state.banner)) throw new Error(`\`${shown}\` warned EBADENGINE:\n${indent(state.banner.slice(0, 3000))}`);
        say(`  up after ${elapsed(since)}`);
        ran++;
        continue;
      }
      say(`- README.md:${line}: ${shown}`);
      const expectation = EXPECTATIONS.find((entry) => entry.command.test(command));
      let result = await run(command, state);
      let problem = result.code === 0 ? (expectation?.check(result, state) ?? null) : `exit code ${result.code}`;
      const againUntil = Date.now() + (expectation?.againForMs ?? 0);
      while (problem && result.code === 0 && Date.now() < againUntil) {
        await new Promise((resolve) => setTimeout(resolve, 1000));
        result = await run(command, state);
        problem = result.code === 0 ? (expectation?.check(result, state) ?? null) : `exit code ${result.code}`;
      }
      ran++;
      if (problem) {
        failures.push(`README.md:${line}: ${shown}\n  ${problem}\n${indent(`${result.stdout}${result.stderr}`.slice(-4000))}`);
        say(`  FAILED after ${elapsed(since)}: ${problem.split('\n')[0]}`);
        break; // what follows depends on this
      }
      say(`  ok after ${elapsed(since)}${expectation ? `: ${expectation.says}` : ': exit 0'}`);
    }
  } catch (error) {
    failures.push(error instanceof Error ? error.message : String(error));
  } finally {
    for (const { command, process } of background) {
      const since = Date.now();
      try {
        process.child.pid && globalThis.process.kill(-process.child.pid, 'SIGTERM');
      } catch {
        // already gone
      }
      const code = await Promise.race([process.exited, new Promise<'late'>((resolve) => setTimeout(() => resolve('late'), 60_000))]);
      if (code === 'late') {
        failures.push(`\`${command}\` did not exit within 60 s of SIGTERM`);
        try {
          globalThis.process.kill(-process.child.pid!, 'SIGKILL');
        } catch {
          // gone meanwhile
        }
      } else if (LONG_RUNNING[0]!.command.test(command) && !/removed the demo's \d+ Redis keys/.test(process.output())) {
        failures.push(`\`${command}\` stopped without removing its keys:\n${indent(process.output().slice(-2000))}`);
      } else {
        say(`- stopped \`${command}\` with SIGTERM: exited after ${elapsed(since)}${/removed the demo's \d+ Redis keys/.test(process.output()) ? ', its keys removed' : ''}`);
      }
    }
    const left = await keysLeft(state.env.REDIS_URL ?? 'redis://127.0.0.1:6379', prefix, state.banner);
    if (left > 0) failures.push(`${left} Redis keys left under ${prefix}:`);
    if (keep) say(`the clone stays in ${clone}`);
    else rmSync(workspace, { recursive: true, force: true });
    rmSync(path.join(tmpdir(), `countersign-walkthrough-env-${process.pid}`), { force: true });
  }
  say('');
  if (failures.length) {
    say(`walk-through FAILED (${ran} of ${commands.length} commands run, ${elapsed()}):\n\n${failures.join('\n\n')}`);
    process.exit(1);
  }
  say(`walk-through passed: ${ran} commands of README run as printed (${commands.filter((command) => command.skipped).length} skipped by rule), ${elapsed()}`);
}

/** Keys the run left in the Redis the demo used (printed in its banner), or REDIS_URL. */
async function keysLeft(fallbackUrl: string, prefix: string, banner: string): Promise<number> {
  const url = /\bREDIS_URL=(redis\S+)/.exec(banner)?.[1] ?? fallbackUrl;
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
  try {
    await redis.connect();
    let count = 0;
    for await (const keys of scanPrefix(redis, prefix)) count += keys.length;
    return count;
  } catch {
    return 0; // a Redis the demo started and stopped is gone with its keys
  } finally {
    redis.disconnect();
  }
}

const indent = (text: string) =>
  text
    .trimEnd()
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');

await main();
