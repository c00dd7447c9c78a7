/**
 * A local Slack that behaves like Slack where countersign depends on it:
 * - the Web API methods the adapter calls, with Slack's response shapes (HTTP 200 with
 *   `ok: false` and an error code for platform errors), bot/app token checks, form-encoded or
 *   JSON bodies (WebClient sends forms with nested objects as JSON strings);
 * - per-method rate limits answered `429` with `Retry-After`;
 * - a switch that records a post and then never answers it (or drops the connection), the
 *   "outcome unknown" case;
 * - signed Events API and interactive requests (v0 HMAC over `v0:timestamp:body`,
 *   `X-Slack-Request-Timestamp`, `X-Slack-Retry-Num` / `X-Slack-Retry-Reason`);
 * - a Socket Mode WebSocket (`apps.connections.open` -> `hello`, envelopes with `envelope_id`,
 *   acks, `disconnect`, server pings).
 */
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';

export interface FakeSlackOptions {
  botToken?: string;
  appToken?: string;
  signingSecret?: string;
  teamId?: string;
  botUserId?: string;
  botId?: string;
  appId?: string;
  /** User groups: id -> member user ids. */
  usergroups?: Record<string, string[]>;
  /** Per-method rate limits: at most `limit` calls per `windowMs`, else 429 with `retryAfterSeconds`. */
  rateLimits?: Record<string, { limit: number; windowMs?: number; retryAfterSeconds?: number }>;
  /** How often the Socket Mode server pings its clients. @defaultValue 5000 */
  socketPingIntervalMs?: number;
}

export interface FakeSlackMessage {
  type: 'message';
  channel: string;
  ts: string;
  thread_ts?: string;
  text: string;
  user?: string;
  bot_id?: string;
  app_id?: string;
  team?: string;
  client_msg_id?: string;
  blocks?: unknown[];
  metadata?: { event_type: string; event_payload: Record<string, unknown> };
  reactions?: Array<{ name: string; users: string[]; count: number }>;
  edited?: { user: string; ts: string };
}

export interface FakeSlackCall {
  method: string;
  args: Record<string, unknown>;
  status: number;
  /** Slack's `error`, when the call failed. */
  error?: string;
}

export interface FakeSlackEphemeral {
  channel: string;
  user: string;
  text: string;
}

export interface FakeSlackView {
  id: string;
  trigger_id: string;
  view: Record<string, unknown>;
}

export interface FakeHttpResult {
  status: number;
  body: string;
  json(): unknown;
}

/** Where an event or interaction goes: the service's events URL (HTTP), or the Socket Mode connection. */
export type FakeSlackTarget = { url: string } | 'socket';

export interface SendOptions {
  retryNum?: number;
  retryReason?: string;
  /** Shift the signed timestamp (negative: in the past). */
  timestampOffsetSeconds?: number;
  /** Sign with this secret instead of the real one (a forgery). */
  signingSecret?: string;
  /** Send this signature header verbatim. */
  signature?: string;
}

export interface FakeSlack {
  /** Web API base for SLACK_API_URL / WebClient `slackApiUrl`, ending in `/api/`. */
  apiUrl: string;
  teamId: string;
  botUserId: string;
  botId: string;
  botToken: string;
  appToken: string;
  signingSecret: string;
  calls: FakeSlackCall[];
  messages: FakeSlackMessage[];
  ephemerals: FakeSlackEphemeral[];
  views: FakeSlackView[];
  /** Socket Mode acks received: envelope id -> ack payload. */
  acks: Map<string, unknown>;
  /** The bot's posts (optionally in one channel / thread), in order. */
  botPosts(filter?: { channel?: string; threadTs?: string }): FakeSlackMessage[];
  /** Record the next `chat.postMessage`, then never answer it (`hang`) or drop the connection (`reset`). */
  failNextPost(mode: 'hang' | 'reset'): void;
  /** Answer the next `count` calls of `method` with 429 and this Retry-After. */
  rateLimitNext(method: string, count: number, retryAfterSeconds: number): void;
  /** A user writes a message: it is stored (so threads exist) and its Events API event returned. */
  userMessage(input: {
    channel: string;
    user: string;
    text: string;
    threadTs?: string;
    channelType?: 'channel' | 'group' | 'im' | 'mpim';
    /** Also produce the `app_mention` event of this message. */
    mention?: boolean;
  }): { message: Record<string, unknown>; mention?: Record<string, unknown> };
  /** An Events API envelope around an event. */
  envelope(event: Record<string, unknown>, eventId?: string): Record<string, unknown>;
  /** Send an Events API envelope, signed (HTTP) or as a Socket Mode envelope. */
  sendEvent(target: FakeSlackTarget, envelope: Record<string, unknown>, options?: SendOptions): Promise<FakeHttpResult>;
  /** A reviewer clicks a button of a message the bot posted. */
  clickButton(
    target: FakeSlackTarget,
    input: {
      user: string;
      userName?: string;
      actionId: string;
      message: { channel: string; ts: string };
      /** The blocks as the reviewer's client still shows them (a click on a stale message). */
      shownBlocks?: unknown[];
    },
    options?: SendOptions,
  ): Promise<FakeHttpResult>;
  /** Submit an opened modal with its plain-text input set to `text`. */
  submitView(target: FakeSlackTarget, input: { user: string; userName?: string; view: FakeSlackView; text: string }, options?: SendOptions): Promise<FakeHttpResult>;
  /** Send a raw, signed body to a URL (url_verification and the like). */
  sendSigned(url: string, body: string, contentType: string, options?: SendOptions): Promise<FakeHttpResult>;
  /** Resolves when a Socket Mode client is connected (after `hello`); `count` connections in total. */
  waitForSocket(count?: number): Promise<void>;
  /** Number of Socket Mode connections made so far. */
  socketConnections(): number;
  /** Tell the connected client to reconnect, as Slack does when it recycles a server. */
  disconnectSocket(reason?: string): void;
  close(): Promise<void>;
}

const encodeCursor = (offset: number) => Buffer.from(`offset:${offset}`).toString('base64');
const decodeCursor = (cursor: string) => Number(Buffer.from(cursor, 'base64').toString('utf8').replace('offset:', '')) || 0;

/** v0 signature of a request body, as Slack computes it. */
export function signSlackBody(secret: string, timestamp: number, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

function parseArgs(raw: string, contentType: string): Record<string, unknown> {
  if (!raw) return {};
  if (contentType.includes('application/json')) return JSON.parse(raw) as Record<string, unknown>;
  const args: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(raw)) {
    // WebClient sends objects and arrays as JSON strings inside the form.
    if ((value.startsWith('{') || value.startsWith('[')) && ['blocks', 'metadata', 'view', 'attachments'].includes(key)) {
      try {
        args[key] = JSON.parse(value);
        continue;
      } catch {
        // left as text: Slack would answer invalid_blocks etc.
      }
    }
    args[key] = value;
  }
  return args;
}

const truthy = (value: unknown) => value === true || value === 'true' || value === '1' || value === 1;

export async function startFakeSlack(options: FakeSlackOptions = {}): Promise<FakeSlack> {
  const teamId = options.teamId ?? 'T0FAKE';
  const botUserId = options.botUserId ?? 'U0BOT';
  const botId = options.botId ?? 'B0BOT';
  const appId = options.appId ?? 'A0APP';
  const botToken = options.botToken ?? `xoxb-${randomBytes(8).toString('hex')}`;
  const appToken = options.appToken ?? `xapp-1-${randomBytes(8).toString('hex')}`;
  const signingSecret = options.signingSecret ?? randomBytes(16).toString('hex');
  const usergroups = options.usergroups ?? {};

  const calls: FakeSlackCall[] = [];
  const messages: FakeSlackMessage[] = [];
  const ephemerals: FakeSlackEphemeral[] = [];
  const views: FakeSlackView[] = [];
  const triggers = new Set<string>();
  const acks = new Map<string, unknown>();
  const forced = new Map<string, { count: number; retryAfterSeconds: number }>();
  const windows = new Map<string, number[]>();
  let failPost: 'hang' | 'reset' | null = null;
  let clock = Math.floor(Date.now() / 1000);
  let sequence = 0;
  const nextTs = () => {
    sequence += 1;
    return `${clock}.${String(sequence).padStart(6, '0')}`;
  };
  const hanging = new Set<http.ServerResponse>();

  const find = (channel: string, ts: string) => messages.find((message) => message.channel === channel && message.ts === ts);
  const publicMessage = (message: FakeSlackMessage, withMetadata: boolean) => {
    const { channel: _channel, metadata, ...rest } = message;
    return withMetadata && metadata ? { ...rest, metadata } : rest;
  };

  /** One page of a message list, as Slack pages them: `limit` (default, at most `max`), an opaque cursor, metadata only when asked for. */
  const messagePage = (list: FakeSlackMessage[], args: Record<string, unknown>, limits: { limit: number; max: number }) => {
    const limit = Math.min(Number(args.limit ?? limits.limit) || limits.limit, limits.max);
    const offset = typeof args.cursor === 'string' && args.cursor ? decodeCursor(args.cursor) : 0;
    const more = offset + limit < list.length;
    return {
      ok: true,
      messages: list.slice(offset, offset + limit).map((message) => publicMessage(message, truthy(args.include_all_metadata))),
      has_more: more,
      response_metadata: { next_cursor: more ? encodeCursor(offset + limit) : '' },
    };
  };

  type Handler = (args: Record<string, unknown>, token: string) => Record<string, unknown>;
  const fail = (error: string, extra: Record<string, unknown> = {}) => ({ ok: false, error, ...extra });
  const needsBot = (token: string) => (token === botToken ? null : token === appToken ? 'not_allowed_token_type' : token ? 'invalid_auth' : 'not_authed');

  const methods: Record<string, Handler> = {
    'auth.test': () => ({ ok: true, url: 'https://fake.slack.com/', team: 'Fake Team', user: 'countersign', team_id: teamId, user_id: botUserId, bot_id: botId, is_enterprise_install: false }),
    'chat.postMessage': (args) => {
      const channel = String(args.channel ?? '');
      if (!channel) return fail('channel_not_found');
      const text = typeof args.text === 'string' ? args.text : '';
      const blocks = Array.isArray(args.blocks) ? args.blocks : undefined;
      if (!text && !blocks?.length) return fail('no_text');
      if (text.length > 40_000) return fail('msg_too_long');
      const metadata = args.metadata as FakeSlackMessage['metadata'] | undefined;
      if (metadata && (typeof metadata.event_type !== 'string' || typeof metadata.event_payload !== 'object')) return fail('invalid_metadata_format');
      const message: FakeSlackMessage = { type: 'message', channel, ts: nextTs(), text, user: botUserId, bot_id: botId, app_id: appId, team: teamId };
      if (typeof args.thread_ts === 'string' && args.thread_ts) message.thread_ts = args.thread_ts;
      if (blocks) message.blocks = blocks;
      if (metadata) message.metadata = metadata;
      messages.push(message);
      return { ok: true, channel, ts: message.ts, message: publicMessage(message, true) };
    },
    'chat.update': (args) => {
      const message = find(String(args.channel ?? ''), String(args.ts ?? ''));
      if (!message) return fail('message_not_found');
      if (message.user !== botUserId) return fail('cant_update_message');
      if (typeof args.text === 'string') message.text = args.text;
      if (Array.isArray(args.blocks)) message.blocks = args.blocks;
      message.edited = { user: botUserId, ts: nextTs() };
      return { ok: true, channel: message.channel, ts: message.ts, text: message.text, message: publicMessage(message, false) };
    },
    'chat.postEphemeral': (args) => {
      const channel = String(args.channel ?? '');
      const user = String(args.user ?? '');
      if (!channel) return fail('channel_not_found');
      if (!user) return fail('user_not_in_channel');
      ephemerals.push({ channel, user, text: String(args.text ?? '') });
      return { ok: true, message_ts: nextTs() };
    },
    'reactions.add': (args) => {
      const message = find(String(args.channel ?? ''), String(args.timestamp ?? ''));
      if (!message) return fail('message_not_found');
      const name = String(args.name ?? '');
      if (!name) return fail('invalid_name');
      message.reactions ??= [];
      const reaction = message.reactions.find((item) => item.name === name);
      if (reaction?.users.includes(botUserId)) return fail('already_reacted');
      if (reaction) {
        reaction.users.push(botUserId);
        reaction.count += 1;
      } else message.reactions.push({ name, users: [botUserId], count: 1 });
      return { ok: true };
    },
    'reactions.remove': (args) => {
      const message = find(String(args.channel ?? ''), String(args.timestamp ?? ''));
      if (!message) return fail('message_not_found');
      const reaction = message.reactions?.find((item) => item.name === args.name);
      if (!reaction?.users.includes(botUserId)) return fail('no_reaction');
      reaction.users = reaction.users.filter((user) => user !== botUserId);
      reaction.count -= 1;
      if (!reaction.count) message.reactions = message.reactions?.filter((item) => item !== reaction);
      return { ok: true };
    },
    'conversations.replies': (args) => {
      const channel = String(args.channel ?? '');
      const ts = String(args.ts ?? '');
      const thread = messages.filter((message) => message.channel === channel && (message.ts === ts || message.thread_ts === ts));
      if (!thread.length) return fail('thread_not_found');
      thread.sort((a, b) => Number(a.ts) - Number(b.ts));
      return messagePage(thread, args, { limit: 1000, max: 1000 });
    },
    'conversations.history': (args) => {
      // A channel's own messages (thread replies stay in their threads), newest first, after
      // `oldest` when given; metadata only with include_all_metadata, as Slack does.
      const channel = String(args.channel ?? '');
      if (!channel) return fail('channel_not_found');
      const oldest = Number(args.oldest ?? 0) || 0;
      const history = messages
        .filter((message) => message.channel === channel && (!message.thread_ts || message.thread_ts === message.ts) && Number(message.ts) > oldest)
        .sort((a, b) => Number(b.ts) - Number(a.ts));
      return messagePage(history, args, { limit: 100, max: 999 });
    },
    'views.open': (args) => {
      const trigger = String(args.trigger_id ?? '');
      // Trigger ids are single-use (and short-lived) in Slack.
      if (!triggers.has(trigger)) return fail('invalid_trigger_id');
      triggers.delete(trigger);
      const view = args.view as Record<string, unknown> | undefined;
      if (view?.type !== 'modal') return fail('invalid_arguments');
      const opened: FakeSlackView = { id: `V${randomBytes(5).toString('hex').toUpperCase()}`, trigger_id: trigger, view };
      views.push(opened);
      return { ok: true, view: { id: opened.id, team_id: teamId, app_id: appId, bot_id: botId, ...view } };
    },
    'usergroups.users.list': (args) => {
      const members = usergroups[String(args.usergroup ?? '')];
      return members ? { ok: true, users: members } : fail('no_such_subteam');
    },
  };

  const rateLimited = (method: string): number | null => {
    const next = forced.get(method);
    if (next && next.count > 0) {
      next.count -= 1;
      return next.retryAfterSeconds;
    }
    const rule = options.rateLimits?.[method];
    if (!rule) return null;
    const now = Date.now();
    const window = (windows.get(method) ?? []).filter((at) => now - at < (rule.windowMs ?? 60_000));
    if (window.length >= rule.limit) {
      windows.set(method, window);
      return rule.retryAfterSeconds ?? 1;
    }
    window.push(now);
    windows.set(method, window);
    return null;
  };

  let sockets: WebSocket[] = [];
  let connections = 0;
  const tickets = new Set<string>();
  const socketWaiters: Array<{ count: number; resolve: () => void }> = [];
  const pendingAcks = new Map<string, (payload: unknown) => void>();

  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const send = (status: number, body: Record<string, unknown>, headers: Record<string, string> = {}) => {
        if (response.destroyed) return;
        response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
        response.end(JSON.stringify(body));
      };
      const url = new URL(request.url ?? '/', 'http://fake');
      const match = /^\/api\/([A-Za-z.]+)$/.exec(url.pathname);
      if (!match) return send(404, { ok: false, error: 'unknown_method' });
      const method = match[1]!;
      let args: Record<string, unknown>;
      try {
        args = { ...Object.fromEntries(url.searchParams), ...parseArgs(Buffer.concat(chunks).toString('utf8'), String(request.headers['content-type'] ?? '')) };
      } catch {
        return send(200, { ok: false, error: 'invalid_json' });
      }
      const authorization = String(request.headers.authorization ?? '');
      const token = authorization.startsWith('Bearer ') ? authorization.slice(7) : typeof args.token === 'string' ? args.token : '';
      const { token: _token, ...recorded } = args;
      const call: FakeSlackCall = { method, args: recorded, status: 200 };
      calls.push(call);

      const retryAfter = rateLimited(method);
      if (retryAfter !== null) {
        call.status = 429;
        call.error = 'ratelimited';
        return send(429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(retryAfter) });
      }
      let result: Record<string, unknown>;
      if (method === 'apps.connections.open') {
        if (token !== appToken) result = fail(token === botToken ? 'not_allowed_token_type' : token ? 'invalid_auth' : 'not_authed');
        else {
          const ticket = randomUUID();
          tickets.add(ticket);
          const address = server.address() as AddressInfo;
          result = { ok: true, url: `ws://127.0.0.1:${address.port}/link/?ticket=${ticket}&app_id=${appId}` };
        }
      } else {
        const handler = methods[method];
        const authError = needsBot(token);
        result = !handler ? fail('unknown_method') : authError ? fail(authError) : handler(args, token);
      }
      if (result.ok !== true) call.error = String(result.error);
      if (method === 'chat.postMessage' && result.ok === true && failPost) {
        const mode = failPost;
        failPost = null;
        // Slack has the message; the client never learns it.
        if (mode === 'reset') {
          request.socket.destroy();
          return;
        }
        hanging.add(response);
        return;
      }
      send(200, result);
    });
  });

  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (request: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(request.url ?? '/', 'http://fake');
    const ticket = url.searchParams.get('ticket') ?? '';
    if (url.pathname !== '/link/' || !tickets.has(ticket)) {
      socket.end('HTTP/1.1 401 Unauthorized\r\n\r\n');
      return;
    }
    tickets.delete(ticket); // a URL is good for one connection
    wss.handleUpgrade(request, socket, head, (ws) => {
      connections += 1;
      sockets.push(ws);
      ws.on('close', () => {
        sockets = sockets.filter((item) => item !== ws);
      });
      ws.on('message', (data) => {
        let parsed: { envelope_id?: string; payload?: unknown };
        try {
          parsed = JSON.parse(String(data)) as { envelope_id?: string; payload?: unknown };
        } catch {
          return;
        }
        if (!parsed.envelope_id) return;
        acks.set(parsed.envelope_id, parsed.payload);
        pendingAcks.get(parsed.envelope_id)?.(parsed.payload);
        pendingAcks.delete(parsed.envelope_id);
      });
      ws.send(
        JSON.stringify({
          type: 'hello',
          num_connections: sockets.length,
          debug_info: { host: 'fake-slack', build_number: 1, approximate_connection_time: 18060 },
          connection_info: { app_id: appId },
        }),
      );
      for (const waiter of [...socketWaiters]) {
        if (connections >= waiter.count) {
          socketWaiters.splice(socketWaiters.indexOf(waiter), 1);
          waiter.resolve();
        }
      }
    });
  });
  const pinger = setInterval(() => {
    for (const ws of sockets) if (ws.readyState === WebSocket.OPEN) ws.ping();
  }, options.socketPingIntervalMs ?? 5_000);
  pinger.unref();

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as AddressInfo;
  const apiUrl = `http://127.0.0.1:${address.port}/api/`;

  const result = (status: number, body: string): FakeHttpResult => ({ status, body, json: () => (body ? JSON.parse(body) : undefined) });

  async function sendSigned(url: string, body: string, contentType: string, sendOptions: SendOptions = {}): Promise<FakeHttpResult> {
    const timestamp = Math.floor(Date.now() / 1000) + (sendOptions.timestampOffsetSeconds ?? 0);
    const headers: Record<string, string> = {
      'content-type': contentType,
      'x-slack-request-timestamp': String(timestamp),
      'x-slack-signature': sendOptions.signature ?? signSlackBody(sendOptions.signingSecret ?? signingSecret, timestamp, body),
      'user-agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
    };
    if (sendOptions.retryNum !== undefined) headers['x-slack-retry-num'] = String(sendOptions.retryNum);
    if (sendOptions.retryReason !== undefined) headers['x-slack-retry-reason'] = sendOptions.retryReason;
    const response = await fetch(url, { method: 'POST', headers, body });
    return result(response.status, await response.text());
  }

  async function sendEnvelope(type: 'events_api' | 'interactive', payload: Record<string, unknown>, sendOptions: SendOptions = {}): Promise<FakeHttpResult> {
    const ws = sockets.at(-1);
    if (!ws || ws.readyState !== WebSocket.OPEN) throw new Error('fake slack: no Socket Mode connection');
    const envelopeId = randomUUID();
    const acked = new Promise<unknown>((resolve) => pendingAcks.set(envelopeId, resolve));
    const envelope: Record<string, unknown> = { envelope_id: envelopeId, payload, type, accepts_response_payload: type === 'interactive' };
    if (type === 'events_api') {
      envelope.retry_attempt = sendOptions.retryNum ?? 0;
      envelope.retry_reason = sendOptions.retryReason ?? '';
    }
    ws.send(JSON.stringify(envelope));
    const ackPayload = await acked;
    return result(200, ackPayload === undefined ? '' : JSON.stringify(ackPayload));
  }

  const sendEvent = (target: FakeSlackTarget, envelope: Record<string, unknown>, sendOptions?: SendOptions) =>
    target === 'socket' ? sendEnvelope('events_api', envelope, sendOptions) : sendSigned(target.url, JSON.stringify(envelope), 'application/json', sendOptions);

  const sendInteraction = (target: FakeSlackTarget, payload: Record<string, unknown>, sendOptions?: SendOptions) =>
    target === 'socket'
      ? sendEnvelope('interactive', payload, sendOptions)
      : sendSigned(target.url, new URLSearchParams({ payload: JSON.stringify(payload) }).toString(), 'application/x-www-form-urlencoded', sendOptions);

  const newTrigger = () => {
    const trigger = `${Date.now()}.${randomBytes(6).toString('hex')}`;
    triggers.add(trigger);
    return trigger;
  };
  const userOf = (id: string, name?: string) => ({ id, username: name ?? id.toLowerCase(), name: name ?? id.toLowerCase(), team_id: teamId });

  return {
    apiUrl,
    teamId,
    botUserId,
    botId,
    botToken,
    appToken,
    signingSecret,
    calls,
    messages,
    ephemerals,
    views,
    acks,
    botPosts(filter = {}) {
      return messages.filter(
        (message) =>
          message.user === botUserId &&
          (filter.channel === undefined || message.channel === filter.channel) &&
          (filter.threadTs === undefined || message.thread_ts === filter.threadTs),
      );
    },
    failNextPost(mode) {
      failPost = mode;
    },
    rateLimitNext(method, count, retryAfterSeconds) {
      forced.set(method, { count, retryAfterSeconds });
    },
    userMessage(input) {
      clock += 1;
      const channelType = input.channelType ?? (input.channel.startsWith('D') ? 'im' : 'channel');
      const stored: FakeSlackMessage = {
        type: 'message',
        channel: input.channel,
        ts: nextTs(),
        text: input.text,
        user: input.user,
        team: teamId,
        client_msg_id: randomUUID(),
      };
      if (input.threadTs) stored.thread_ts = input.threadTs;
      messages.push(stored);
      const base: Record<string, unknown> = {
        user: input.user,
        text: input.text,
        ts: stored.ts,
        team: teamId,
        channel: input.channel,
        event_ts: stored.ts,
        client_msg_id: stored.client_msg_id,
        blocks: [{ type: 'rich_text', block_id: randomBytes(2).toString('hex'), elements: [] }],
      };
      if (input.threadTs) base.thread_ts = input.threadTs;
      const message = { type: 'message', ...base, channel_type: channelType };
      return input.mention ? { message, mention: { type: 'app_mention', ...base } } : { message };
    },
    envelope(event, eventId) {
      return {
        token: 'legacy-verification-token',
        team_id: teamId,
        context_team_id: teamId,
        api_app_id: appId,
        event,
        type: 'event_callback',
        event_id: eventId ?? `Ev${randomBytes(5).toString('hex').toUpperCase()}`,
        event_time: Math.floor(Date.now() / 1000),
        authorizations: [{ enterprise_id: null, team_id: teamId, user_id: botUserId, is_bot: true, is_enterprise_install: false }],
        is_ext_shared_channel: false,
        event_context: `4-${randomBytes(8).toString('hex')}`,
      };
    },
    sendEvent,
    clickButton(target, input, sendOptions) {
      const posted = find(input.message.channel, input.message.ts);
      if (!posted) throw new Error(`fake slack: no message ${input.message.channel}/${input.message.ts}`);
      const actions = (input.shownBlocks ?? posted.blocks ?? []).flatMap((block) => {
        const candidate = block as { type?: string; block_id?: string; elements?: Array<Record<string, unknown>> };
        return candidate.type === 'actions'
          ? (candidate.elements ?? []).map((element): Record<string, unknown> => ({ ...element, block_id: candidate.block_id }))
          : [];
      });
      const button = actions.find((action) => action.action_id === input.actionId);
      if (!button) throw new Error(`fake slack: message has no button ${input.actionId}`);
      return sendInteraction(
        target,
        {
          type: 'block_actions',
          user: userOf(input.user, input.userName),
          api_app_id: appId,
          token: 'legacy-verification-token',
          container: { type: 'message', message_ts: posted.ts, channel_id: posted.channel, is_ephemeral: false },
          trigger_id: newTrigger(),
          team: { id: teamId, domain: 'fake' },
          enterprise: null,
          is_enterprise_install: false,
          channel: { id: posted.channel, name: 'review' },
          message: publicMessage(posted, false),
          state: { values: {} },
          response_url: `http://127.0.0.1:${address.port}/actions/${randomBytes(4).toString('hex')}`,
          actions: [{ ...button, type: 'button', action_ts: `${Date.now() / 1000}` }],
        },
        sendOptions,
      );
    },
    submitView(target, input, sendOptions) {
      const view = input.view.view as { blocks?: Array<{ block_id?: string; element?: { action_id?: string } }> } & Record<string, unknown>;
      const values: Record<string, Record<string, unknown>> = {};
      for (const block of view.blocks ?? []) {
        if (block.block_id && block.element?.action_id) values[block.block_id] = { [block.element.action_id]: { type: 'plain_text_input', value: input.text } };
      }
      return sendInteraction(
        target,
        {
          type: 'view_submission',
          team: { id: teamId, domain: 'fake' },
          user: userOf(input.user, input.userName),
          api_app_id: appId,
          token: 'legacy-verification-token',
          trigger_id: newTrigger(),
          view: { id: input.view.id, team_id: teamId, app_id: appId, bot_id: botId, ...view, state: { values }, hash: randomBytes(4).toString('hex') },
          response_urls: [],
          is_enterprise_install: false,
          enterprise: null,
        },
        sendOptions,
      );
    },
    sendSigned,
    waitForSocket(count = 1) {
      if (connections >= count) return Promise.resolve();
      return new Promise<void>((resolve) => socketWaiters.push({ count, resolve }));
    },
    socketConnections: () => connections,
    disconnectSocket(reason = 'refresh_requested') {
      for (const ws of sockets) ws.send(JSON.stringify({ type: 'disconnect', reason, debug_info: { host: 'fake-slack' } }));
    },
    async close() {
      clearInterval(pinger);
      for (const response of hanging) response.destroy();
      for (const ws of sockets) ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
