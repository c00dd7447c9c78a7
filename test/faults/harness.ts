/**
 * Shared pieces of the fault-injection suite: countersign processes started the way operators
 * start them, scriptable model servers that know which calls are in flight, an HTTP proxy that
 * injects platform faults, a log sink for in-process services, and the scenario report every
 * scenario prints (and writes as JSON for the table of docs/guarantees.md).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';
import pino, { type Logger } from 'pino';
import { afterAll } from 'vitest';
import { type ModelScript, type ModelServer, type ModelServerAnswer, type ModelServerRequest, startModelServer } from '../../src/demo/model-server.js';
import { type Countersign, createCountersign } from '../../src/main.js';
import { freePort } from '../helpers/free-port.js';
import { conversationHeaders, criticInput, type Pipeline, type PipelineOptions, readWholeTranscript, startPipeline, verdict, waitFor } from '../helpers/pipeline.js';
import { connectRedis, deletePrefix, REDIS_URL, randomPrefix } from '../helpers/redis.js';

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const RESULTS_DIR = process.env.FAULTS_RESULTS_DIR ?? path.join(tmpdir(), 'countersign-faults');

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------
// Seeded randomness: every random choice of the suite comes from one seed, printed at the start
// of each scenario file and in every report, so a failure can be replayed with FAULT_SEED=<seed>.
// (Timing on a busy machine still varies between runs; the choices themselves repeat.)
// ---------------------------------------------------------------------------------------------

function parseSeed(value: string | undefined): number {
  if (value === undefined || value === '') return (Date.now() ^ (process.pid << 16)) >>> 0;
  const seed = Number(value);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new Error(`FAULT_SEED must be an integer from 0 to 4294967295, not ${JSON.stringify(value)}`);
  return seed;
}

/** The seed of this run: FAULT_SEED, or a fresh one. */
export const SEED = parseSeed(process.env.FAULT_SEED);

/** mulberry32: a small, fast, well-distributed 32-bit generator; enough to replay choices. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let generator = mulberry32(SEED);
/** Start the sequence again from SEED (each scenario file calls it once, so files replay alone too). */
export function reseed(label: string): number {
  generator = mulberry32(SEED);
  console.log(`[faults] ${label}: seed ${SEED} (replay with FAULT_SEED=${SEED})`);
  return SEED;
}

export const random = () => generator();
export const randomInt = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
export const chance = (p: number) => random() < p;

// ---------------------------------------------------------------------------------------------
// Clean-up: what a scenario starts, it stops, even when an assertion failed half-way
// ---------------------------------------------------------------------------------------------

/** What a scenario must stop or delete when it ends, in the order it started them. */
export type Cleanups = Array<() => Promise<unknown>>;

/**
 * The scenario file's clean-ups, run after all its tests, newest first (a service stops before
 * the Redis it uses); one that fails does not keep the others from running.
 */
export function cleanupAfterAll(): Cleanups {
  const cleanups: Cleanups = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  });
  return cleanups;
}

/** A connection to the test Redis and a fresh key prefix, whose keys are deleted when the scenario ends. */
export function scenarioRedis(cleanups: Cleanups, name: string): { redis: Redis; prefix: string } {
  const prefix = randomPrefix(name);
  const redis = connectRedis();
  cleanups.push(async () => {
    await deletePrefix(redis, prefix);
    await redis.quit();
  });
  return { redis, prefix };
}

/** The scenario's service processes (push each one started): any still running is killed when the scenario ends. */
export function processesKilledAtEnd(cleanups: Cleanups): ServiceProcess[] {
  const processes: ServiceProcess[] = [];
  cleanups.push(() => Promise.all(processes.map((running) => running.kill())));
  return processes;
}

// ---------------------------------------------------------------------------------------------
// Waiting on a busy machine: deadlines that follow progress
// ---------------------------------------------------------------------------------------------

export interface ProgressWait {
  /** Give up once `progress()` has not changed for this long. */
  stallMs: number;
  /** A last-resort bound on the whole wait, far beyond any healthy run. @defaultValue 15 minutes */
  maxMs?: number;
  intervalMs?: number;
}

/**
 * Wait until `check` holds. The deadline moves with `progress` (a count of replies, turns,
 * posts...): a slow machine that keeps making progress gets as long as it needs; a stuck one
 * fails after `stallMs` without any, naming what it waited for and where it stopped.
 */
export async function waitForProgress<T>(check: () => T | Promise<T>, progress: () => unknown | Promise<unknown>, what: string, options: ProgressWait): Promise<NonNullable<T>> {
  const started = Date.now();
  const maxMs = options.maxMs ?? 15 * 60_000;
  let last = JSON.stringify(await progress());
  let lastChange = Date.now();
  let lastProblem: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      lastProblem = error;
    }
    const now = JSON.stringify(await progress());
    if (now !== last) {
      last = now;
      lastChange = Date.now();
    }
    const problem = lastProblem instanceof Error ? `; last error: ${lastProblem.message}` : '';
    if (Date.now() - lastChange > options.stallMs) throw new Error(`no progress for ${options.stallMs} ms waiting for ${what} (progress stuck at ${last}${problem})`);
    if (Date.now() - started > maxMs) throw new Error(`still waiting for ${what} after ${maxMs} ms (progress ${last}${problem})`);
    await sleep(options.intervalMs ?? 200);
  }
}

/**
 * Something that must happen by a deadline or be counted as missed: an aimed kill waits for its
 * step (a model call, a post) but never for ever. Resolves true when `arm`'s trigger fired,
 * false when the deadline passed first (then `disarm` runs).
 */
export function armed(arm: (fire: () => void) => void, disarm: () => void, deadlineMs: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    let done = false;
    const timer = setTimeout(() => {
      if (done) return;
      done = true;
      disarm();
      resolve(false);
    }, deadlineMs);
    arm(() => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(true);
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Reports
// ---------------------------------------------------------------------------------------------

export interface ScenarioReport {
  scenario: string;
  load: string;
  faults: string;
  messagesIn: number;
  repliesOut: number;
  duplicates: number;
  lost: number;
  unreviewedPosts: number;
  /** Anything else the scenario measured (recovery times, retries, statuses). */
  details: Record<string, unknown>;
}

/** Print what the scenario did and found, and keep it as JSON for the Guarantees table. */
export function report(result: ScenarioReport): void {
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(path.join(RESULTS_DIR, `${result.scenario}.json`), `${JSON.stringify({ ...result, seed: SEED }, null, 2)}\n`);
  const lines = [
    `== ${result.scenario} (seed ${SEED})`,
    `   load:      ${result.load}`,
    `   faults:    ${result.faults}`,
    `   outcome:   messages in ${result.messagesIn}, replies out ${result.repliesOut}, duplicates ${result.duplicates}, lost ${result.lost}, unreviewed posts ${result.unreviewedPosts}`,
    ...Object.entries(result.details).map(([key, value]) => `   ${key}: ${typeof value === 'string' ? value : JSON.stringify(value)}`),
  ];
  console.log(lines.join('\n'));
}

// ---------------------------------------------------------------------------------------------
// Logs of in-process services
// ---------------------------------------------------------------------------------------------

export interface LoggedService {
  pipeline: Pipeline;
  /** The service, in this process, logging into `sink`. */
  service: Countersign;
  sink: LogSink;
}

/**
 * A pipeline (models, Redis prefix, configuration) whose service runs in this process with its
 * log lines kept, so the scenario can count what the service logged. Stopped when the scenario ends.
 */
export async function startLoggedService(cleanups: Cleanups, options: Omit<PipelineOptions, 'noService'>, level = 'info'): Promise<LoggedService> {
  const pipeline = await startPipeline({ ...options, noService: true });
  const sink = createLogSink(level);
  const service = createCountersign({ config: pipeline.config, logger: sink.logger });
  cleanups.push(async () => {
    await service.stop();
    await pipeline.stop();
  });
  await service.start();
  return { pipeline, service, sink };
}

export interface LogSink {
  logger: Logger;
  lines: Array<Record<string, unknown>>;
  count(predicate: (line: Record<string, unknown>) => boolean): number;
}

/** A pino logger whose JSON lines are kept in memory (the service's own output, unchanged). */
export function createLogSink(level = 'info'): LogSink {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino(
    { level, base: { service: 'countersign' } },
    {
      write(line: string) {
        try {
          lines.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          lines.push({ msg: line });
        }
      },
    },
  );
  return { logger, lines, count: (predicate) => lines.filter(predicate).length };
}

// ---------------------------------------------------------------------------------------------
// Processes
// ---------------------------------------------------------------------------------------------

export interface ServiceProcess {
  name: string;
  child: ChildProcess;
  pid: number;
  /** The HTTP base URL it logged on start. */
  url: string;
  logs(): Array<Record<string, unknown>>;
  output(): string;
  exited: Promise<number | string>;
  isRunning(): boolean;
  /** SIGKILL now (synchronously), resolve on exit. */
  kill(): Promise<number | string>;
  /** SIGTERM, resolve on exit. */
  stop(): Promise<number | string>;
}

export interface ProcessOptions {
  name: string;
  role: 'all' | 'ingest' | 'worker';
  env: Record<string, string>;
  /** Settings with no environment variable (streams, shutdown timeout): written as the config file. */
  config?: Record<string, unknown>;
}

/**
 * The scenarios load the web chat from one address with many conversations on purpose, so the
 * web chat's limits are lifted unless a scenario's env sets them (hostile-web does).
 */
export const LIFTED_WEB_LIMITS = {
  WEB_MESSAGES_PER_MINUTE: '0',
  WEB_CONVERSATIONS_PER_MINUTE: '0',
  WEB_GLOBAL_MESSAGES_PER_MINUTE: '0',
  WEB_GLOBAL_CONVERSATIONS_PER_MINUTE: '0',
};

/** The settings a process needs to reach the scenario's models (under the suite's API key and model names). */
export function modelEnv(models: { actor: { url: string }; critic: { url: string } }): Record<string, string> {
  return {
    OPENAI_BASE_URL: models.actor.url,
    OPENAI_API_KEY: 'fault-key',
    ACTOR_MODEL: 'fault-actor',
    CRITIC_BASE_URL: models.critic.url,
    CRITIC_API_KEY: 'fault-key',
    CRITIC_MODEL: 'fault-critic',
  };
}

/** The settings every process of a scenario shares: its Redis (the test Redis unless given) and prefix, and its models. */
export function processEnv(options: { prefix: string; redisUrl?: string; actor: { url: string }; critic: { url: string } }): Record<string, string> {
  return { REDIS_URL: options.redisUrl ?? REDIS_URL, REDIS_PREFIX: options.prefix, ...modelEnv(options) };
}

/**
 * The queue's lock duration and stalled-job check for the scenarios that kill or stop workers:
 * a job a dead worker held is taken up again within lock + 2 checks, which bounds recovery.
 */
export function queueTimersEnv(lockMs: number, stalledMs: number): Record<string, string> {
  return { QUEUE_LOCK_DURATION_MS: String(lockMs), QUEUE_STALLED_INTERVAL_MS: String(stalledMs) };
}

/** `node --import tsx src/cli.ts start --role <role> --config <file>`; resolves once it logged "countersign started". */
export async function startProcess(options: ProcessOptions): Promise<ServiceProcess> {
  const dir = mkdtempSync(path.join(tmpdir(), 'countersign-fault-'));
  const configFile = path.join(dir, 'countersign.yaml');
  // JSON is YAML; the environment still wins over the file.
  writeFileSync(configFile, options.config ? JSON.stringify(options.config) : '# environment only\n');
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'start', '--role', options.role, '--config', configFile], {
    cwd: PROJECT_ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'info', HOST: '127.0.0.1', PORT: '0', ...LIFTED_WEB_LIMITS, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const parsed: Array<Record<string, unknown>> = [];
  let partial = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    stdout += text;
    partial += text;
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.startsWith('{')) continue;
      try {
        parsed.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // a line cut by a SIGKILL
      }
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  let ended: number | string | undefined;
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => {
      ended = code ?? signal ?? 'unknown';
      resolve(ended);
    }),
  );
  const output = () => `${stdout}${stderr}`;
  let url = '';
  try {
    await waitFor(
      () => {
        if (ended !== undefined) throw new Error(`${options.name} exited (${ended}) before it started:\n${output().slice(-3000)}`);
        const started = parsed.find((line) => line.msg === 'countersign started');
        if (started) url = String(started.url);
        return started;
      },
      `${options.name} to start`,
      { timeoutMs: 60_000, intervalMs: 50 },
    );
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    name: options.name,
    child,
    pid: child.pid!,
    url,
    logs: () => parsed,
    output,
    exited,
    isRunning: () => ended === undefined,
    kill() {
      if (ended === undefined) child.kill('SIGKILL');
      return exited;
    },
    stop() {
      if (ended === undefined) child.kill('SIGTERM');
      return exited;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Models
// ---------------------------------------------------------------------------------------------

export interface TrackedCall {
  id: number;
  request: ModelServerRequest;
  answer: ModelServerAnswer;
  /** When the request arrived and when its answer is due (Infinity for a hang). */
  at: number;
  due: number;
}

export interface TrackedModel {
  url: string;
  server: ModelServer;
  calls: TrackedCall[];
  /** Calls received whose answer is not due yet: the caller is waiting on them. */
  inFlight(now?: number): TrackedCall[];
  /** Called for every call, after the script answered (kill triggers hang here). */
  onCall: ((call: TrackedCall) => void) | null;
  close(): Promise<void>;
}

let callIds = 0;

/** A model server whose calls are recorded with their due times, so a test knows what is in flight. */
export async function startTrackedModel(script: ModelScript): Promise<TrackedModel> {
  const calls: TrackedCall[] = [];
  const tracked: TrackedModel = {
    url: '',
    server: undefined as unknown as ModelServer,
    calls,
    inFlight: (now = Date.now()) => calls.filter((call) => call.due > now),
    onCall: null,
    close: () => tracked.server.close(),
  };
  tracked.server = await startModelServer({
    script: async (request) => {
      const at = Date.now();
      const answer = await script(request);
      const call: TrackedCall = { id: ++callIds, request, answer, at, due: answer.hang ? Number.POSITIVE_INFINITY : at + (answer.delayMs ?? 0) };
      calls.push(call);
      tracked.onCall?.(call);
      return answer;
    },
  });
  tracked.url = tracked.server.url;
  return tracked;
}

/** An actor model and a critic model, each tracked, closed when the scenario ends. */
export async function startTrackedModels(cleanups: Cleanups, scripts: { actor: ModelScript; critic: ModelScript }): Promise<{ actor: TrackedModel; critic: TrackedModel }> {
  const actor = await startTrackedModel(scripts.actor);
  const critic = await startTrackedModel(scripts.critic);
  cleanups.push(() => actor.close(), () => critic.close());
  return { actor, critic };
}

/**
 * The models of the scenarios that tally replies: the actor answers with the sequence numbers of
 * the messages its turn saw (`answered 3,4`), the critic approves every draft and adds it to
 * `approved` (so a posted text that is not in it went out unreviewed). Each answer waits
 * `actorDelayMs()` or `criticDelayMs()`, seeded choices.
 */
export function tallyScripts(approved: Set<string>, actorDelayMs: () => number, criticDelayMs = actorDelayMs): { actor: ModelScript; critic: ModelScript } {
  return {
    actor: (request) => ({ content: `answered ${actorTurnTexts(request).map(sequenceOf).join(',')}`, delayMs: actorDelayMs() }),
    critic: (request) => {
      approved.add(criticInput(request).draft);
      return { content: verdict('approve'), delayMs: criticDelayMs() };
    },
  };
}

/** The user messages the turn answers (after the last assistant message of the actor request). */
export function actorTurnTexts(request: Pick<ModelServerRequest, 'messages'>): string[] {
  const messages = request.messages;
  let start = messages.length;
  while (start > 0 && messages[start - 1]!.role === 'user') start--;
  return messages.slice(start).map((message) => message.content);
}

// ---------------------------------------------------------------------------------------------
// Platform fault proxy
// ---------------------------------------------------------------------------------------------

export interface ProxiedRequest {
  method: string;
  path: string;
  body: string;
}

export type ProxyFault =
  /** Answer this instead of forwarding (429, 5xx): the platform never saw the request. */
  | { kind: 'answer'; status: number; headers?: Record<string, string>; body: string }
  /** Forward, let the platform act on it, then drop the connection: the outcome is lost. */
  | { kind: 'drop-response' }
  /** Forward; before relaying the response, run this (kill the caller, say). */
  | { kind: 'before-response'; run(): Promise<void> | void };

export interface FaultProxy {
  url: string;
  log: Array<{ method: string; path: string; fault: string; status: number; at: number }>;
  setDecide(decide: ((request: ProxiedRequest) => ProxyFault | null) | null): void;
  close(): Promise<void>;
}

/** An HTTP proxy in front of a fake platform's API that injects the faults `decide` picks. */
export async function startFaultProxy(target: string, decide: ((request: ProxiedRequest) => ProxyFault | null) | null = null): Promise<FaultProxy> {
  let decider = decide;
  const log: FaultProxy['log'] = [];
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', async () => {
      const body = Buffer.concat(chunks);
      const proxied: ProxiedRequest = { method: request.method ?? 'GET', path: request.url ?? '/', body: body.toString('utf8') };
      const fault = decider?.(proxied) ?? null;
      const entry = { method: proxied.method, path: proxied.path.split('?')[0]!, fault: fault?.kind === 'answer' ? String(fault.status) : (fault?.kind ?? 'none'), status: 0, at: Date.now() };
      log.push(entry);
      if (fault?.kind === 'answer') {
        entry.status = fault.status;
        response.writeHead(fault.status, { 'content-type': 'application/json', ...fault.headers });
        response.end(fault.body);
        return;
      }
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(request.headers)) {
        if (value === undefined || ['host', 'content-length', 'connection', 'transfer-encoding'].includes(name)) continue;
        headers[name] = Array.isArray(value) ? value.join(', ') : value;
      }
      let upstream: Response;
      try {
        upstream = await fetch(`${target}${proxied.path}`, {
          method: proxied.method,
          headers,
          ...(proxied.method === 'GET' || proxied.method === 'HEAD' ? {} : { body }),
        });
      } catch {
        request.socket.destroy();
        return;
      }
      const answer = Buffer.from(await upstream.arrayBuffer());
      entry.status = upstream.status;
      if (fault?.kind === 'drop-response') {
        request.socket.destroy();
        return;
      }
      if (fault?.kind === 'before-response') await fault.run();
      if (response.destroyed) return;
      const out: Record<string, string> = {};
      upstream.headers.forEach((value, name) => {
        if (!['content-encoding', 'content-length', 'transfer-encoding', 'connection', 'keep-alive'].includes(name)) out[name] = value;
      });
      response.writeHead(upstream.status, out);
      response.end(answer);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    log,
    setDecide(next) {
      decider = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

// ---------------------------------------------------------------------------------------------
// Web chat client
// ---------------------------------------------------------------------------------------------

/**
 * The scenarios that tally replies read, in each posted reply, the messages the actor saw
 * (`answered 3,4`). A turn's messages past turn.prompt's limits are cut from the model requests
 * by design and would count as lost, and a spent model-call budget would hold a conversation
 * back. These scenarios test delivery under faults, not the cost limits (the hostile-gate
 * scenario tests those), so they show the models every message and lift the budgets.
 */
export const TALLY_ENV: Record<string, string> = {
  TURN_PROMPT_MAX_MESSAGES: '1000',
  TURN_PROMPT_MAX_CHARS: '1000000',
  MODEL_CALLS_PER_CONVERSATION: '0',
  MODEL_CALLS_GLOBAL: '0',
};

export interface WebEntry {
  id: string;
  role: 'user' | 'bot';
  text: string;
  at: number;
}

export async function postChat(baseUrl: string, conversation: string, text: string, clientMessageId?: string): Promise<{ status: number; body: Record<string, unknown> }> {
  // A client retries a request whose connection failed (the ingest process under load);
  // clientMessageId makes the retry safe.
  for (let attempt = 1; ; attempt++) {
    try {
      const response = await fetch(`${baseUrl}/api/chat/${conversation}/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...conversationHeaders(conversation) },
        body: JSON.stringify({ text, user: 'tester', ...(clientMessageId ? { clientMessageId } : {}) }),
      });
      return { status: response.status, body: (await response.json().catch(() => ({}))) as Record<string, unknown> };
    } catch (error) {
      if (attempt >= 5 || !clientMessageId) throw error;
      await sleep(200 * attempt);
    }
  }
}

/** A conversation's whole transcript, every page, with its token (as its client reads it). */
export async function webTranscript(baseUrl: string, conversation: string): Promise<WebEntry[]> {
  return readWholeTranscript<WebEntry>(baseUrl, conversation);
}

/** What a tally scenario found in the replies of all its conversations, on any platform. */
export interface ReplyTally {
  replies: number;
  duplicates: number;
  lost: number;
  disorder: number;
  /** Posted texts that neither the critic approved or wrote, nor the operator or a reviewer. */
  unreviewed: number;
  problems: string[];
}

export interface WebTally extends ReplyTally {
  transcripts: Map<number, WebEntry[]>;
}

/**
 * Read every conversation's web transcript and check it: each user message answered exactly
 * once, in order, and every bot text one that was approved (`approved` holds the texts the
 * scripted critic approved or wrote, plus holding and reviewer texts).
 */
export async function tallyWebReplies(baseUrl: string, conversationPrefix: string, conversations: number, messagesOf: (index: number) => number, approved: Set<string>): Promise<WebTally> {
  const tally: WebTally = { replies: 0, duplicates: 0, lost: 0, disorder: 0, unreviewed: 0, problems: [], transcripts: new Map() };
  for (let index = 0; index < conversations; index++) {
    const transcript = await webTranscript(baseUrl, `${conversationPrefix}-${index}`);
    tally.transcripts.set(index, transcript);
    const bot = transcript.filter((entry) => entry.role === 'bot').map((entry) => entry.text);
    tally.replies += bot.length;
    tally.unreviewed += bot.filter((text) => !approved.has(text)).length;
    const checked = checkAnswered(`${conversationPrefix}-${index}`, bot, messagesOf(index));
    tally.duplicates += checked.duplicates;
    tally.lost += checked.lost;
    tally.disorder += checked.disorder;
    tally.problems.push(...checked.problems);
  }
  return tally;
}

/**
 * How long a message waited for its reply, for every answered user message of a transcript
 * (a reply answers the sequence numbers it names, `answered 3,4`).
 */
export function replyLatencies(transcript: WebEntry[]): number[] {
  const askedAt = new Map<number, number>();
  const latencies: number[] = [];
  for (const entry of transcript) {
    if (entry.role === 'user') askedAt.set(sequenceOf(entry.text), entry.at);
    else for (const sequence of answeredIn(entry.text)) if (askedAt.has(sequence)) latencies.push(entry.at - askedAt.get(sequence)!);
  }
  return latencies;
}

export const median = (values: number[]) => {
  if (!values.length) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

/**
 * Time allowed to redo an interrupted turn, measured in the same run: four times the median
 * reply time of the run's ordinary turns, at least 2 s. On a quiet machine this is the 2 s the
 * bounds state; on a loaded one every turn is slower, and so is a redone one. The lock and
 * stalled-check parts of a recovery bound are timers and stay as configured.
 */
export function redoAllowance(latencies: number[]): number {
  return Math.max(2000, 4 * median(latencies));
}

/** `c7-m3` (anywhere in a text) -> 3 */
export const sequenceOf = (text: string) => Number(/-m(\d+)\b/.exec(text)?.[1] ?? Number.NaN);

/** The sequence numbers a reply says it answers: `answered 3,4` -> [3, 4]. */
export function answeredIn(text: string): number[] {
  const match = /answered ([\d,]+)/.exec(text);
  return match ? match[1]!.split(',').map(Number) : [];
}

/** Check that replies answer 1..count exactly once each and in order; returns the problems. */
export function checkAnswered(conversation: string, replies: string[], count: number): { duplicates: number; lost: number; disorder: number; problems: string[] } {
  const answered = replies.flatMap(answeredIn);
  const seen = new Map<number, number>();
  for (const value of answered) seen.set(value, (seen.get(value) ?? 0) + 1);
  let duplicates = 0;
  let lost = 0;
  for (let sequence = 1; sequence <= count; sequence++) {
    const times = seen.get(sequence) ?? 0;
    if (times === 0) lost++;
    if (times > 1) duplicates += times - 1;
  }
  let disorder = 0;
  for (let index = 1; index < answered.length; index++) if (answered[index]! <= answered[index - 1]!) disorder++;
  const problems = duplicates || lost || disorder || answered.length !== count ? [`${conversation}: answered ${JSON.stringify(answered)} for 1..${count}`] : [];
  return { duplicates, lost, disorder, problems };
}

export function writeTempFile(name: string, text: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'countersign-fault-'));
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

// ---------------------------------------------------------------------------------------------
// A Redis of the test's own
// ---------------------------------------------------------------------------------------------

export interface OwnRedis {
  port: number;
  url: string;
  dir: string;
  /** SIGKILL (a crash: only what the AOF has survives); resolves on exit. */
  crash(): Promise<void>;
  /** Start again on the same port and directory (it loads the AOF). */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** `redis-server` on a free port with an append-only file fsynced on every write. */
export async function startOwnRedis(): Promise<OwnRedis> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), 'countersign-fault-redis-'));
  let child: ChildProcess | null = null;
  let exited: Promise<void> = Promise.resolve();
  const ready = async () => {
    await waitFor(
      async () => {
        const { Redis } = await import('ioredis');
        const probe = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
        probe.on('error', () => {}); // refused until it listens
        try {
          await probe.connect();
          // Loading the AOF answers LOADING until done.
          return (await probe.ping()) === 'PONG';
        } finally {
          probe.disconnect();
        }
      },
      `redis-server on ${port}`,
      { timeoutMs: 20_000, intervalMs: 50 },
    );
  };
  const own: OwnRedis = {
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    async start() {
      child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', '', '--daemonize', 'no'], {
        stdio: 'ignore',
      });
      const current = child;
      exited = new Promise<void>((resolve) => current.once('exit', () => resolve()));
      await ready();
    },
    async crash() {
      child?.kill('SIGKILL');
      await exited;
      child = null;
    },
    async stop() {
      child?.kill('SIGTERM');
      await exited;
      child = null;
    },
  };
  await own.start();
  return own;
}
