/**
 * The web chat under abuse, measured from outside: a countersign service started the way
 * operators start it (`src/cli.ts start` in a project directory), scripted models, and clients
 * on distinct loopback addresses (127.0.0.x, so each is its own client IP). It only speaks the
 * chat API, so the same script measures an older checkout too:
 *
 *   npx tsx bench/web-abuse.ts [flood|burst|transcripts|all] [--root DIR] [--env NAME=VALUE ...]
 *
 *   flood        2,000 one-message conversations from one address (100 requests in flight),
 *                instant models: statuses, and the actor and critic calls they caused
 *   burst        a legitimate user's reply time alone, then right after 300 one-message
 *                conversations from another address (models: actor 600 ms, critic 300 ms),
 *                and after 300 spread over 30 addresses (a new conversation, and a second
 *                message in the user's first one)
 *   transcripts  one conversation filled with 1,000 messages of 7,500 characters, then ten
 *                clients GET it (`?limit=200`) in a loop for 20 s while /healthz is probed every
 *                250 ms: bytes, requests, /healthz answers
 *
 * Every request carries an `X-Conversation-Token` of its conversation (a service without
 * conversation tokens ignores it). Only loopback addresses are used.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { type ModelScript, startModelServer } from '../src/demo/model-server.js';
import { inParallel } from '../test/helpers/in-parallel.js';
import { deletePrefix } from '../test/helpers/redis.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const APPROVE = JSON.stringify({ decision: 'approve', reason: 'fine', categories: [], confidence: 0.9, revised_text: null, feedback: null });
const ESCALATE = JSON.stringify({ decision: 'escalate', reason: 'held for the benchmark', categories: [], confidence: 0.9, revised_text: null, feedback: null });
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const args = process.argv.slice(2);
const scenario = args.find((arg) => !arg.startsWith('--') && !args[args.indexOf(arg) - 1]?.startsWith('--')) ?? 'all';
const rootIndex = args.indexOf('--root');
const ROOT = path.resolve(rootIndex >= 0 ? args[rootIndex + 1]! : path.join(here, '..'));
const extraEnv: Record<string, string> = {};
args.forEach((arg, index) => {
  if (arg === '--env') {
    const [name, ...value] = args[index + 1]!.split('=');
    extraEnv[name!] = value.join('=');
  }
});

// ---------------------------------------------------------------------------------------------
// HTTP from a chosen loopback address
// ---------------------------------------------------------------------------------------------

const agents = new Map<string, http.Agent>();
const agentOf = (address: string) => {
  if (!agents.has(address)) agents.set(address, new http.Agent({ keepAlive: true, maxSockets: 128, localAddress: address }));
  return agents.get(address)!;
};

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  bytes: number;
}

function call(base: string, method: string, target: string, options: { from?: string; body?: unknown; headers?: Record<string, string>; timeoutMs?: number } = {}): Promise<Answer> {
  const url = new URL(target, base);
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  return new Promise((resolve, reject) => {
    const request = http.request(
      url,
      {
        method,
        agent: agentOf(options.from ?? '127.0.0.1'),
        headers: { ...(payload ? { 'content-type': 'application/json' } : {}), ...options.headers },
        timeout: options.timeoutMs ?? 60_000,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const body = Buffer.concat(chunks);
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body: body.toString('utf8'), bytes: body.length });
        });
        response.on('error', reject);
      },
    );
    request.on('timeout', () => request.destroy(new Error('timed out')));
    request.on('error', reject);
    request.end(payload);
  });
}

const tokens = new Map<string, string>();
const tokenOf = (conversation: string) => {
  if (!tokens.has(conversation)) tokens.set(conversation, randomBytes(18).toString('base64url'));
  return tokens.get(conversation)!;
};
const post = (base: string, conversation: string, text: string, from?: string) =>
  call(base, 'POST', `/api/chat/${conversation}/messages`, { from, body: { text, user: 'bench' }, headers: { 'x-conversation-token': tokenOf(conversation) } });
const get = (base: string, conversation: string, query = '', from?: string) =>
  call(base, 'GET', `/api/chat/${conversation}/messages${query}`, { from, headers: { 'x-conversation-token': tokenOf(conversation) } });

const tally = (answers: Answer[]) => {
  const counts: Record<string, number> = {};
  for (const answer of answers) counts[answer.status] = (counts[answer.status] ?? 0) + 1;
  return counts;
};

// ---------------------------------------------------------------------------------------------
// The service under test
// ---------------------------------------------------------------------------------------------

interface Service {
  url: string;
  prefix: string;
  stop(): Promise<void>;
}

async function startService(env: Record<string, string>): Promise<Service> {
  const prefix = `cs-bench-web-${randomBytes(4).toString('hex')}`;
  const dir = mkdtempSync(path.join(tmpdir(), 'countersign-bench-'));
  const configFile = path.join(dir, 'countersign.yaml');
  writeFileSync(configFile, '# environment only\n');
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'start', '--config', configFile], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      HOST: '127.0.0.1',
      PORT: '0',
      REDIS_URL,
      REDIS_PREFIX: prefix,
      ADAPTERS: 'web',
      LOG_LEVEL: 'info',
      OPENAI_API_KEY: 'bench',
      CRITIC_API_KEY: 'bench',
      ACTOR_MODEL: 'bench-actor',
      CRITIC_MODEL: 'bench-critic',
      ...env,
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let url = '';
  const started = new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const line = output.split('\n').find((text) => text.includes('"countersign started"'));
      if (line && !url) {
        url = String((JSON.parse(line) as { url: string }).url);
        resolve();
      }
      if (output.length > 1_000_000) output = output.slice(-100_000);
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    child.once('exit', (code) => reject(new Error(`the service exited (${code}) before it started:\n${output.slice(-3000)}`)));
  });
  await Promise.race([started, sleep(90_000).then(() => Promise.reject(new Error('the service did not start in 90 s')))]);
  return {
    url,
    prefix,
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(30_000)]);
      child.kill('SIGKILL');
      const redis = new Redis(REDIS_URL);
      await deletePrefix(redis, prefix);
      await redis.quit();
    },
  };
}

async function startModels(actor: ModelScript, critic: ModelScript) {
  const actorServer = await startModelServer({ script: actor });
  const criticServer = await startModelServer({ script: critic });
  return {
    actor: actorServer,
    critic: criticServer,
    env: { OPENAI_BASE_URL: actorServer.url, CRITIC_BASE_URL: criticServer.url },
    close: async () => {
      await actorServer.close();
      await criticServer.close();
    },
  };
}

/** Wait until `value()` has not changed for `quietMs`; returns when it last changed. */
async function settle(value: () => number, quietMs: number, maxMs = 600_000): Promise<number> {
  let last = value();
  let changed = Date.now();
  const started = Date.now();
  while (Date.now() - changed < quietMs && Date.now() - started < maxMs) {
    await sleep(100);
    if (value() !== last) {
      last = value();
      changed = Date.now();
    }
  }
  return changed;
}

// ---------------------------------------------------------------------------------------------
// Scenarios
// ---------------------------------------------------------------------------------------------

async function flood() {
  const models = await startModels(
    () => ({ content: 'Here you go.' }),
    () => ({ content: APPROVE }),
  );
  const service = await startService(models.env);
  try {
    const started = Date.now();
    const answers = await inParallel(2000, 100, (index) => post(service.url, `flood-${index}`, `flood message ${index}`));
    const sentMs = Date.now() - started;
    const lastCall = await settle(() => models.actor.calls.length + models.critic.calls.length, 5000);
    const refused = answers.filter((answer) => answer.status === 429);
    return {
      scenario: 'flood: 2,000 one-message conversations from one address',
      statuses: tally(answers),
      retryAfter: refused.length ? [...new Set(refused.map((answer) => answer.headers['retry-after']))].slice(0, 5) : null,
      sendSeconds: sentMs / 1000,
      actorCalls: models.actor.calls.length,
      criticCalls: models.critic.calls.length,
      secondsToLastModelCall: (lastCall - started) / 1000,
    };
  } finally {
    await service.stop();
    await models.close();
  }
}

/**
 * Seconds from a legitimate user's POST to the bot's reply in its transcript (its `replies`-th
 * bot message), or the status that refused the POST.
 */
async function replyTime(base: string, conversation: string, from: string, replies = 1): Promise<number | string> {
  const started = Date.now();
  const answer = await post(base, conversation, `legitimate question ${replies} in ${conversation}`, from);
  if (answer.status !== 202) return `refused: ${answer.status} ${answer.body} (Retry-After ${answer.headers['retry-after'] ?? 'none'})`;
  for (;;) {
    const transcript = await get(base, conversation, '', from);
    if (transcript.status === 200 && (JSON.parse(transcript.body) as { messages: Array<{ role: string }> }).messages.filter((entry) => entry.role === 'bot').length >= replies) {
      return (Date.now() - started) / 1000;
    }
    if (Date.now() - started > 300_000) throw new Error('no reply to the legitimate user in 300 s');
    await sleep(50);
  }
}

async function burst() {
  const models = await startModels(
    () => ({ content: 'Here you go.', delayMs: 600 }),
    () => ({ content: APPROVE, delayMs: 300 }),
  );
  const service = await startService(models.env);
  try {
    const alone = await replyTime(service.url, 'legit-alone', '127.0.0.2');
    // One address, 300 conversations at once, then the legitimate user.
    const burstAnswers = await inParallel(300, 300, (index) => post(service.url, `burst-${index}`, `burst message ${index}`, '127.0.0.1'));
    const afterBurst = await replyTime(service.url, 'legit-after-burst', '127.0.0.2');
    await settle(() => models.actor.calls.length, 5000);
    // 300 conversations spread over 30 addresses (10 each), then the legitimate user.
    const spreadAnswers = await inParallel(300, 300, (index) => post(service.url, `spread-${index}`, `spread message ${index}`, `127.0.1.${10 + (index % 30)}`));
    // The user starts a new conversation and writes in the one it has, both at once.
    const [afterSpread, existingAfterSpread] = await Promise.all([replyTime(service.url, 'legit-after-spread', '127.0.0.2'), replyTime(service.url, 'legit-alone', '127.0.0.2', 2)]);
    await settle(() => models.actor.calls.length, 5000);
    return {
      scenario: 'burst: a legitimate user (127.0.0.2) while others flood',
      replySecondsAlone: alone,
      burstFromOneAddress: tally(burstAnswers),
      replySecondsAfterBurst: afterBurst,
      burstFrom30Addresses: tally(spreadAnswers),
      replySecondsAfterSpreadBurst: afterSpread,
      replySecondsInAnExistingConversationAfterSpreadBurst: existingAfterSpread,
      actorCalls: models.actor.calls.length,
    };
  } finally {
    await service.stop();
    await models.close();
  }
}

async function transcripts() {
  const models = await startModels(
    () => ({ content: 'Here you go.' }),
    () => ({ content: ESCALATE }),
  );
  // The fill posts 1,000 messages into one conversation: lift the web chat's limits for it.
  const service = await startService({
    ...models.env,
    WEB_MESSAGES_PER_MINUTE: '0',
    WEB_CONVERSATIONS_PER_MINUTE: '0',
    WEB_GLOBAL_MESSAGES_PER_MINUTE: '0',
    WEB_GLOBAL_CONVERSATIONS_PER_MINUTE: '0',
  });
  try {
    const text = (index: number) => `${index} `.padEnd(7500, 'x');
    const fill = await inParallel(1000, 20, (index) => post(service.url, 'big', text(index)));
    const whole = await get(service.url, 'big');
    const storedEntries = (JSON.parse(whole.body) as { messages: unknown[] }).messages.length;
    const stopAt = Date.now() + 20_000;
    const health: Record<string, number> = {};
    let healthLatencyMax = 0;
    const prober = (async () => {
      while (Date.now() < stopAt) {
        const started = Date.now();
        const answer = await call(service.url, 'GET', '/healthz', { from: '127.0.0.3', timeoutMs: 10_000 }).catch(() => ({ status: -1 }) as Answer);
        healthLatencyMax = Math.max(healthLatencyMax, Date.now() - started);
        const key = answer.status === -1 ? 'no answer' : String(answer.status);
        health[key] = (health[key] ?? 0) + 1;
        await sleep(250);
      }
    })();
    const readers = await Promise.all(
      Array.from({ length: 10 }, async (_, reader) => {
        let bytes = 0;
        let requests = 0;
        const statuses: Record<string, number> = {};
        while (Date.now() < stopAt) {
          const answer = await get(service.url, 'big', '?limit=200', `127.0.2.${reader + 1}`).catch(() => ({ status: -1, bytes: 0 }) as Answer);
          bytes += answer.bytes;
          requests++;
          statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
        }
        return { bytes, requests, statuses };
      }),
    );
    await prober;
    const statuses: Record<string, number> = {};
    for (const reader of readers) for (const [status, count] of Object.entries(reader.statuses)) statuses[status] = (statuses[status] ?? 0) + count;
    return {
      scenario: 'transcripts: ten clients pull a 1,000-message conversation for 20 s',
      fill: tally(fill),
      entriesInOneDefaultGet: storedEntries,
      bytesOfOneDefaultGet: whole.bytes,
      readerRequests: readers.reduce((sum, reader) => sum + reader.requests, 0),
      readerStatuses: statuses,
      megabytesPulled: Math.round(readers.reduce((sum, reader) => sum + reader.bytes, 0) / 1e6),
      healthz: health,
      healthzSlowestMs: healthLatencyMax,
    };
  } finally {
    await service.stop();
    await models.close();
  }
}

const scenarios: Record<string, () => Promise<unknown>> = { flood, burst, transcripts };
const chosen = scenario === 'all' ? Object.keys(scenarios) : [scenario];
for (const name of chosen) {
  if (!scenarios[name]) throw new Error(`unknown scenario ${name}; one of ${Object.keys(scenarios).join(', ')}, all`);
  console.log(JSON.stringify({ root: ROOT, ...((await scenarios[name]!()) as object) }, null, 2));
}
for (const agent of agents.values()) agent.destroy();
