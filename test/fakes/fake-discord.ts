/**
 * A local Discord: the REST API under `/api/v10` and the gateway WebSocket, close enough to the
 * real one that the real `discord.js` client runs against it unchanged. It imitates what matters
 * for countersign: bot-token auth, `GET /gateway/bot`, create message with `nonce` +
 * `enforce_nonce` dedupe as Discord documents it, `allowed_mentions` deciding who is pinged,
 * message references, edits, typing, interaction callbacks and webhook edits, per-route rate
 * limits answering 429 with `retry_after` and the X-RateLimit headers, a switch that drops the
 * response of a create-message after storing it, and a gateway with HELLO, IDENTIFY, READY
 * (`resume_gateway_url`), GUILD_CREATE, heartbeats and ACKs, sequenced dispatches, op 7
 * RECONNECT and op 6 RESUME replaying what the client missed.
 */
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';

export interface FakeUser {
  id: string;
  username: string;
  global_name?: string | null;
  bot?: boolean;
}

export interface FakeChannel {
  id: string;
  /** 0 guild text, 1 DM, 11 public thread, 12 private thread. */
  type: number;
  guild_id?: string;
  name?: string;
  parent_id?: string;
  owner_id?: string;
  /** DM channels: the other user. */
  recipients?: FakeUser[];
}

export interface FakeGuild {
  id: string;
  name: string;
  roles: Array<{ id: string; name: string }>;
  /** Role ids of each member, by user id. */
  memberRoles: Record<string, string[]>;
  channels: FakeChannel[];
}

export interface FakeMessage {
  id: string;
  channel_id: string;
  guild_id?: string;
  author: FakeUser;
  content: string;
  nonce?: string | number;
  embeds: unknown[];
  components: unknown[];
  message_reference?: { message_id: string; channel_id?: string; guild_id?: string };
  /** Who this message pinged, as Discord computed it from `allowed_mentions`. */
  mention_everyone: boolean;
  mentions: FakeUser[];
  mention_roles: string[];
  timestamp: string;
  edited_timestamp: string | null;
  flags: number;
  /** The `allowed_mentions` the client sent, as received. */
  allowed_mentions?: unknown;
  /** Only set on messages the fake created for an interaction (ephemeral answers). */
  interaction_id?: string;
}

export interface FakeRequest {
  method: string;
  path: string;
  query: string;
  body: unknown;
  status: number;
  at: number;
}

export interface FakeInteraction {
  id: string;
  token: string;
  type: number;
  customId: string;
  user: FakeUser;
  channelId: string;
  messageId?: string;
  createdAt: number;
  /** The callbacks the bot answered with, in order (type 4, 6, 7, 9, ...). */
  callbacks: Array<{ type: number; data?: Record<string, unknown> }>;
  /** Follow-up messages and @original edits sent through the interaction webhook. */
  webhookCalls: Array<{ method: string; path: string; body: unknown }>;
}

export interface FakeDiscordOptions {
  /** The bot token the fake accepts (`Authorization: Bot <token>`). */
  token?: string;
  botUser?: FakeUser;
  applicationId?: string;
  /** Gateway heartbeat interval sent in HELLO. @defaultValue 41250 */
  heartbeatIntervalMs?: number;
  /** How long a nonce is remembered for `enforce_nonce`. @defaultValue 5 minutes */
  nonceWindowMs?: number;
  /** How long an interaction token accepts its first callback (Discord: 3 s). @defaultValue 3000 */
  interactionResponseMs?: number;
}

interface Bucket {
  limit: number;
  windowMs: number;
  remaining: number;
  resetAt: number;
  name: string;
}

interface Session {
  id: string;
  seq: number;
  /** Every dispatch of the session, kept for RESUME replays. */
  events: Array<{ s: number; t: string; d: unknown }>;
  socket: WebSocket | null;
  intents: number;
}

const MESSAGE_CONTENT_INTENT = 1 << 15;
const EPHEMERAL = 1 << 6;

let snowflakeCounter = 0n;
/** Discord-style snowflakes: increasing, so ids sort by creation. */
export function fakeSnowflake(): string {
  snowflakeCounter += 1n;
  return (((BigInt(Date.now()) - 1420070400000n) << 22n) + (snowflakeCounter % 4096n)).toString();
}

export interface FakeDiscord {
  /** `http://127.0.0.1:port` */
  url: string;
  /** What DISCORD_API_URL should be: `http://127.0.0.1:port/api`. */
  apiUrl: string;
  token: string;
  applicationId: string;
  botUser: FakeUser;
  guilds: Map<string, FakeGuild>;
  channels: Map<string, FakeChannel>;
  messages: FakeMessage[];
  requests: FakeRequest[];
  typing: Array<{ channelId: string; at: number }>;
  interactions: Map<string, FakeInteraction>;
  /** Times a client identified (a new session) and resumed. */
  identifies: number;
  resumes: number;
  /** Answer the next `count` create-message requests after storing them by dropping the connection. */
  dropCreateResponses(count?: number): void;
  /** Answer the next `count` requests on a route (`POST /channels/:id/messages`) with 429. */
  rateLimitNext(route: string, count: number, retryAfterSeconds: number): void;
  /** Give a route a real bucket: `limit` requests per `windowMs`, then 429 until it resets. */
  setBucket(route: string, limit: number, windowMs: number): void;
  addGuild(guild: { id: string; name?: string; roles?: FakeGuild['roles']; memberRoles?: FakeGuild['memberRoles']; channels: Array<Omit<FakeChannel, 'guild_id'>> }): FakeGuild;
  /** A user posts a message; it is dispatched as MESSAGE_CREATE. DMs: pass a DM channel id. */
  userMessage(options: { channelId: string; author: FakeUser; content: string; mentionBot?: boolean }): FakeMessage;
  /** A user opens a DM with the bot: returns the DM channel. */
  dmChannel(user: FakeUser): FakeChannel;
  /** A user clicks a button on a message; dispatched as INTERACTION_CREATE. */
  clickButton(options: { messageId: string; customId: string; user: FakeUser }): FakeInteraction;
  /** A user submits the modal the bot showed in answer to `interaction`, with new field values. */
  submitModal(options: { after: FakeInteraction; user?: FakeUser; values: Record<string, string> }): FakeInteraction;
  /** The modal the bot opened in answer to an interaction (callback type 9), if any. */
  modalOf(interaction: FakeInteraction): { custom_id: string; title: string; fields: Array<{ custom_id: string; value?: string; label?: string }> } | null;
  /** Send op 7 RECONNECT: the client should reconnect to `resume_gateway_url` and RESUME. */
  requestReconnect(): void;
  /** Cut the gateway connection without a close frame (1006); events queue until the client resumes. */
  dropGateway(): void;
  /** On the next RESUME, also replay this many events the client had already acknowledged. */
  replayOverlap: number;
  /** The events the last RESUME replayed (type and sequence), RESUMED not included. */
  lastReplay: Array<{ s: number; t: string; d: unknown }>;
  /** Whether the gateway currently has a connected, identified client. */
  gatewayConnected(): boolean;
  /** Messages in one channel, oldest first. */
  messagesIn(channelId: string): FakeMessage[];
  /** The ephemeral answers (flags 64) to an interaction, initial or follow-up: only its user sees them. */
  ephemeralReplies(interaction: FakeInteraction): FakeMessage[];
  /** Resolve when `check` returns a truthy value; polls on every fake event and every 20 ms. */
  waitFor<T>(check: () => T | undefined | null | false, description?: string, timeoutMs?: number): Promise<T>;
  close(): Promise<void>;
}

export async function startFakeDiscord(options: FakeDiscordOptions = {}): Promise<FakeDiscord> {
  const token = options.token ?? `fake.${randomBytes(12).toString('hex')}`;
  const botUser: FakeUser = options.botUser ?? { id: fakeSnowflake(), username: 'countersign', global_name: null, bot: true };
  const applicationId = options.applicationId ?? botUser.id;
  const heartbeatInterval = options.heartbeatIntervalMs ?? 41_250;
  const nonceWindowMs = options.nonceWindowMs ?? 5 * 60_000;
  const interactionResponseMs = options.interactionResponseMs ?? 3000;

  const guilds = new Map<string, FakeGuild>();
  const channels = new Map<string, FakeChannel>();
  const messages: FakeMessage[] = [];
  const requests: FakeRequest[] = [];
  const typing: FakeDiscord['typing'] = [];
  const interactions = new Map<string, FakeInteraction>();
  const nonces = new Map<string, { messageId: string; at: number }>();
  const forced429 = new Map<string, { count: number; retryAfter: number }>();
  const buckets = new Map<string, Bucket>();
  const sessions = new Map<string, Session>();
  let dropCreates = 0;
  let current: Session | null = null;
  const waiters = new Set<() => void>();
  const notify = () => {
    for (const waiter of waiters) waiter();
  };

  const server = http.createServer();
  const wss = new WebSocketServer({ noServer: true });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;

  // -------------------------------------------------------------------------------------------
  // Gateway
  // -------------------------------------------------------------------------------------------

  const sendFrame = (socket: WebSocket | null, payload: unknown) => {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(payload));
  };

  /** Append a dispatch to the session and send it if the client is connected. */
  const dispatch = (t: string, d: unknown) => {
    const session = current;
    if (!session) return;
    session.seq += 1;
    const event = { s: session.seq, t, d };
    session.events.push(event);
    sendFrame(session.socket, { op: 0, ...event });
    notify();
  };

  const guildPayload = (guild: FakeGuild) => ({
    id: guild.id,
    name: guild.name,
    icon: null,
    owner_id: '1',
    unavailable: false,
    member_count: Object.keys(guild.memberRoles).length + 1,
    large: false,
    features: [],
    emojis: [],
    stickers: [],
    roles: [{ id: guild.id, name: '@everyone', permissions: '0', position: 0, color: 0, hoist: false, managed: false, mentionable: false, flags: 0 }, ...guild.roles.map((role, index) => ({ ...role, permissions: '0', position: index + 1, color: 0, hoist: false, managed: false, mentionable: true, flags: 0 }))],
    channels: guild.channels.filter((channel) => channel.type === 0).map((channel) => ({ ...channel, position: 0, permission_overwrites: [] })),
    threads: guild.channels.filter((channel) => channel.type === 11 || channel.type === 12).map((channel) => threadPayload(channel)),
    members: [{ user: botUser, roles: [], joined_at: new Date().toISOString(), deaf: false, mute: false, flags: 0 }],
    voice_states: [],
    presences: [],
    stage_instances: [],
    guild_scheduled_events: [],
    soundboard_sounds: [],
    joined_at: new Date().toISOString(),
    premium_tier: 0,
    preferred_locale: 'en-US',
    nsfw_level: 0,
    verification_level: 0,
    default_message_notifications: 0,
    explicit_content_filter: 0,
    mfa_level: 0,
    system_channel_flags: 0,
  });

  const threadPayload = (channel: FakeChannel) => ({
    ...channel,
    thread_metadata: { archived: false, auto_archive_duration: 1440, archive_timestamp: new Date().toISOString(), locked: false },
    member_count: 1,
    message_count: 0,
  });

  wss.on('connection', (socket: WebSocket, request: http.IncomingMessage) => {
    const query = new URL(request.url ?? '/', url).searchParams;
    // discord.js (@discordjs/ws) connects with ?v=10&encoding=json, and compress=zlib-stream only
    // when zlib-sync is installed; this fake speaks plain JSON only, like the JSON gateway.
    if (query.get('v') !== '10') return socket.close(4012, 'Invalid API version');
    if (query.get('encoding') !== 'json' || query.get('compress')) return socket.close(4002, 'Error while decoding payload');
    let session: Session | null = null;
    sendFrame(socket, { op: 10, d: { heartbeat_interval: heartbeatInterval }, s: null, t: null });
    socket.on('message', (raw) => {
      let payload: { op: number; d: Record<string, unknown> | number | null };
      try {
        payload = JSON.parse(String(raw));
      } catch {
        return socket.close(4002, 'Error while decoding payload');
      }
      const data = (payload.d ?? {}) as Record<string, unknown>;
      switch (payload.op) {
        case 1:
          sendFrame(socket, { op: 11, d: null, s: null, t: null });
          return;
        case 2: {
          if (session) return socket.close(4005, 'Already authenticated');
          if (data.token !== token) return socket.close(4004, 'Authentication failed');
          if (typeof data.intents !== 'number') return socket.close(4013, 'Invalid intent(s)');
          session = { id: randomBytes(16).toString('hex'), seq: 0, events: [], socket, intents: data.intents };
          sessions.set(session.id, session);
          if (current?.socket && current.socket !== socket) current.socket.terminate();
          current = session;
          identifies += 1;
          dispatch('READY', {
            v: 10,
            user: { ...botUser, discriminator: '0', avatar: null, verified: true, flags: 0, mfa_enabled: true },
            guilds: [...guilds.values()].map((guild) => ({ id: guild.id, unavailable: true })),
            session_id: session.id,
            session_type: 'normal',
            resume_gateway_url: `ws://127.0.0.1:${port}/resume`,
            shard: [0, 1],
            application: { id: applicationId, flags: 0 },
            private_channels: [],
            relationships: [],
            presences: [],
            guild_join_requests: [],
            user_settings: {},
          });
          for (const guild of guilds.values()) dispatch('GUILD_CREATE', guildPayload(guild));
          return;
        }
        case 6: {
          const resumed = sessions.get(String(data.session_id));
          if (data.token !== token) return socket.close(4004, 'Authentication failed');
          if (!resumed) {
            sendFrame(socket, { op: 9, d: false, s: null, t: null });
            return;
          }
          session = resumed;
          if (resumed.socket && resumed.socket !== socket) resumed.socket.terminate();
          resumed.socket = socket;
          current = resumed;
          resumes += 1;
          const from = Number(data.seq ?? 0) - api.replayOverlap;
          api.replayOverlap = 0;
          api.lastReplay = resumed.events.filter((event) => event.s > from);
          for (const event of api.lastReplay) sendFrame(socket, { op: 0, ...event });
          dispatch('RESUMED', {});
          return;
        }
        case 3:
        case 4:
        case 8:
          return;
        default:
          socket.close(4001, 'Unknown opcode');
      }
    });
    socket.on('close', () => {
      if (session && session.socket === socket) session.socket = null;
      notify();
    });
  });

  server.on('upgrade', (request, socket, head) => {
    const path = new URL(request.url ?? '/', url).pathname;
    if (path !== '/gateway' && path !== '/resume') {
      socket.destroy();
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request));
  });

  // -------------------------------------------------------------------------------------------
  // REST
  // -------------------------------------------------------------------------------------------

  const routeOf = (method: string, path: string): string =>
    `${method} ${path
      .replace(/^\/api\/v10/, '')
      .replace(/\/interactions\/\d+\/[^/]+/, '/interactions/:id/:token')
      .replace(/\/webhooks\/\d+\/[^/]+/, '/webhooks/:id/:token')
      .replace(/\/channels\/\d+/, '/channels/:id')
      .replace(/\/messages\/\d+/, '/messages/:id')}`;

  const mentionsFor = (content: string, allowed: unknown, replyTo: FakeMessage | undefined) => {
    // Without allowed_mentions Discord parses everything; with it, only what it allows.
    const rules = (allowed && typeof allowed === 'object' ? allowed : null) as { parse?: string[]; users?: string[]; roles?: string[]; replied_user?: boolean } | null;
    const parse = new Set(rules ? (rules.parse ?? []) : ['everyone', 'users', 'roles']);
    const allowedUsers = new Set(rules?.users ?? []);
    const allowedRoles = new Set(rules?.roles ?? []);
    const mentionEveryone = parse.has('everyone') && /@(everyone|here)/.test(content);
    const users: FakeUser[] = [];
    for (const match of content.matchAll(/<@!?(\d+)>/g)) {
      const id = match[1]!;
      if (parse.has('users') || allowedUsers.has(id)) users.push({ id, username: `user${id}` });
    }
    if (replyTo && (rules ? rules.replied_user === true : true)) users.push(replyTo.author);
    const roles: string[] = [];
    for (const match of content.matchAll(/<@&(\d+)>/g)) if (parse.has('roles') || allowedRoles.has(match[1]!)) roles.push(match[1]!);
    return { mention_everyone: mentionEveryone, mentions: users, mention_roles: roles };
  };

  const validationError = (field: string, code: string, message: string) => ({
    status: 400,
    body: { message: 'Invalid Form Body', code: 50035, errors: { [field]: { _errors: [{ code, message }] } } },
  });

  const createMessage = (channel: FakeChannel, body: Record<string, unknown>, author: FakeUser): { status: number; body: unknown; drop?: boolean } => {
    const content = typeof body.content === 'string' ? body.content : '';
    const embeds = Array.isArray(body.embeds) ? body.embeds : [];
    const components = Array.isArray(body.components) ? body.components : [];
    if (content.length > 2000) return validationError('content', 'BASE_TYPE_MAX_LENGTH', 'Must be 2000 or fewer in length.');
    if (!content && !embeds.length && !components.length) return { status: 400, body: { message: 'Cannot send an empty message', code: 50006 } };
    const nonce = body.nonce as string | number | undefined;
    if (nonce !== undefined && String(nonce).length > 25) return validationError('nonce', 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 25 in length.');
    if (nonce !== undefined && body.enforce_nonce === true) {
      // Discord: with enforce_nonce, a nonce seen from the same author in the past few minutes
      // returns that message and creates nothing.
      const seen = nonces.get(`${author.id}:${nonce}`);
      if (seen && Date.now() - seen.at < nonceWindowMs) {
        const existing = messages.find((message) => message.id === seen.messageId);
        if (existing) return { status: 200, body: existing };
      }
    }
    const reference = body.message_reference as { message_id?: string; fail_if_not_exists?: boolean } | undefined;
    let replyTo: FakeMessage | undefined;
    if (reference?.message_id) {
      replyTo = messages.find((message) => message.id === reference.message_id && message.channel_id === channel.id);
      if (!replyTo && reference.fail_if_not_exists !== false) return validationError('message_reference', 'MESSAGE_REFERENCE_UNKNOWN_MESSAGE', 'Unknown message');
    }
    const message: FakeMessage = {
      id: fakeSnowflake(),
      channel_id: channel.id,
      ...(channel.guild_id ? { guild_id: channel.guild_id } : {}),
      author,
      content,
      ...(nonce !== undefined ? { nonce } : {}),
      embeds,
      components,
      ...(replyTo ? { message_reference: { message_id: replyTo.id, channel_id: channel.id, ...(channel.guild_id ? { guild_id: channel.guild_id } : {}) } } : {}),
      ...mentionsFor(content, body.allowed_mentions, replyTo),
      timestamp: new Date().toISOString(),
      edited_timestamp: null,
      flags: 0,
      ...(body.allowed_mentions !== undefined ? { allowed_mentions: body.allowed_mentions } : {}),
    };
    messages.push(message);
    if (nonce !== undefined) nonces.set(`${author.id}:${nonce}`, { messageId: message.id, at: Date.now() });
    dispatch('MESSAGE_CREATE', messagePayload(message));
    if (dropCreates > 0) {
      dropCreates -= 1;
      return { status: 200, body: message, drop: true };
    }
    return { status: 200, body: message };
  };

  const messagePayload = (message: FakeMessage) => {
    const { allowed_mentions: _allowed, interaction_id: _interaction, ...rest } = message;
    // Discord sends channel_type with MESSAGE_CREATE; discord.js needs it to build uncached DM channels.
    const channelType = channels.get(message.channel_id)?.type ?? 0;
    return { ...rest, type: rest.message_reference ? 19 : 0, channel_type: channelType, tts: false, pinned: false, attachments: [] };
  };

  const editMessage = (message: FakeMessage, body: Record<string, unknown>) => {
    if (typeof body.content === 'string') {
      if (body.content.length > 2000) return validationError('content', 'BASE_TYPE_MAX_LENGTH', 'Must be 2000 or fewer in length.');
      message.content = body.content;
    }
    if (Array.isArray(body.embeds)) message.embeds = body.embeds;
    if (Array.isArray(body.components)) message.components = body.components;
    message.edited_timestamp = new Date().toISOString();
    dispatch('MESSAGE_UPDATE', messagePayload(message));
    return { status: 200, body: messagePayload(message) };
  };

  const handleInteractionCallback = (interaction: FakeInteraction, query: URLSearchParams, body: Record<string, unknown>) => {
    if (interaction.callbacks.length) return { status: 400, body: { message: 'Interaction has already been acknowledged.', code: 40060 } };
    if (Date.now() - interaction.createdAt > interactionResponseMs) return { status: 404, body: { message: 'Unknown interaction', code: 10062 } };
    const type = Number(body.type);
    const data = (body.data ?? undefined) as Record<string, unknown> | undefined;
    const source = interaction.messageId ? messages.find((message) => message.id === interaction.messageId) : undefined;
    if (![4, 5, 6, 7, 9].includes(type)) return { status: 400, body: { message: 'Invalid Form Body', code: 50035 } };
    if ((type === 6 || type === 7) && !source) return { status: 400, body: { message: 'Invalid interaction application command', code: 50035 } };
    if (type === 9 && interaction.type === 5) return { status: 400, body: { message: 'Cannot respond to a modal with a modal', code: 50035 } };
    interaction.callbacks.push({ type, ...(data ? { data } : {}) });
    if (type === 7 && source && data) editMessage(source, data);
    if (type === 4 && data) {
      // The answer message; ephemeral ones (flags 64) only the clicking user sees.
      const channel = channels.get(interaction.channelId)!;
      const created = createMessage(channel, { content: data.content, embeds: data.embeds, components: data.components }, botUser);
      const message = created.body as FakeMessage;
      if (created.status === 200) {
        message.flags = Number(data.flags ?? 0);
        message.interaction_id = interaction.id;
      }
    }
    notify();
    if (query.get('with_response') === 'true') {
      return { status: 200, body: { interaction: { id: interaction.id, type: interaction.type }, resource: { type } } };
    }
    return { status: 204, body: undefined };
  };

  const handleRest = (method: string, path: string, query: URLSearchParams, body: Record<string, unknown>): { status: number; body: unknown; drop?: boolean; headers?: Record<string, string> } => {
    if (method === 'GET' && path === '/gateway/bot') {
      return { status: 200, body: { url: `ws://127.0.0.1:${port}/gateway`, shards: 1, session_start_limit: { total: 1000, remaining: 999, reset_after: 60_000, max_concurrency: 1 } } };
    }
    if (method === 'GET' && path === '/gateway') return { status: 200, body: { url: `ws://127.0.0.1:${port}/gateway` } };
    if (method === 'GET' && path === '/users/@me') return { status: 200, body: { ...botUser, discriminator: '0', avatar: null } };
    const match1 = path.match(/^\/channels\/(\d+)$/);
    if (match1 && method === 'GET') {
      const match = match1;
      const channel = channels.get(match[1]!);
      return channel ? { status: 200, body: channel } : { status: 404, body: { message: 'Unknown Channel', code: 10003 } };
    }
    const match2 = path.match(/^\/channels\/(\d+)\/messages$/);
    if (match2 && method === 'POST') {
      const match = match2;
      const channel = channels.get(match[1]!);
      if (!channel) return { status: 404, body: { message: 'Unknown Channel', code: 10003 } };
      return createMessage(channel, body, botUser);
    }
    const match3 = path.match(/^\/channels\/(\d+)\/messages\/(\d+)$/);
    if (match3) {
      const match = match3;
      const message = messages.find((item) => item.id === match[2] && item.channel_id === match![1]);
      if (!message) return { status: 404, body: { message: 'Unknown Message', code: 10008 } };
      if (method === 'GET') return { status: 200, body: messagePayload(message) };
      if (method === 'PATCH') {
        if (message.author.id !== botUser.id) return { status: 403, body: { message: 'Cannot edit a message authored by another user', code: 50005 } };
        return editMessage(message, body);
      }
    }
    const match4 = path.match(/^\/channels\/(\d+)\/typing$/);
    if (match4 && method === 'POST') {
      const match = match4;
      if (!channels.has(match[1]!)) return { status: 404, body: { message: 'Unknown Channel', code: 10003 } };
      typing.push({ channelId: match[1]!, at: Date.now() });
      notify();
      return { status: 204, body: undefined };
    }
    const match5 = path.match(/^\/interactions\/(\d+)\/([^/]+)\/callback$/);
    if (match5 && method === 'POST') {
      const match = match5;
      const interaction = interactions.get(match[1]!);
      if (!interaction || interaction.token !== match[2]) return { status: 404, body: { message: 'Unknown interaction', code: 10062 } };
      return handleInteractionCallback(interaction, query, body);
    }
    const match6 = path.match(/^\/webhooks\/(\d+)\/([^/]+)(\/messages\/@original)?$/);
    if (match6) {
      const match = match6;
      const interaction = [...interactions.values()].find((item) => item.token === match[2]);
      if (match[1] !== applicationId || !interaction) return { status: 404, body: { message: 'Unknown Webhook', code: 10015 } };
      if (!interaction.callbacks.length) return { status: 404, body: { message: 'Unknown Webhook', code: 10015 } };
      interaction.webhookCalls.push({ method, path, body });
      notify();
      if (match[3] && method === 'PATCH') {
        const first = interaction.callbacks[0]!;
        // After a deferred update (6) or update (7) @original is the message the button was on.
        const target =
          first.type === 6 || first.type === 7
            ? messages.find((message) => message.id === interaction.messageId)
            : messages.find((message) => message.interaction_id === interaction.id);
        if (!target) return { status: 404, body: { message: 'Unknown Message', code: 10008 } };
        return editMessage(target, body);
      }
      if (!match[3] && method === 'POST') {
        const channel = channels.get(interaction.channelId)!;
        const created = createMessage(channel, body, botUser);
        if (created.status === 200) {
          const message = created.body as FakeMessage;
          message.flags = Number(body.flags ?? 0);
          message.interaction_id = `${interaction.id}:followup`;
        }
        return created;
      }
    }
    return { status: 404, body: { message: '404: Not Found', code: 0 } };
  };

  let identifies = 0;
  let resumes = 0;

  server.on('request', (request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const parsed = new URL(request.url ?? '/', url);
      const method = request.method ?? 'GET';
      // discord.js encodes `@original` as `%40original`.
      const path = decodeURIComponent(parsed.pathname);
      let body: Record<string, unknown> = {};
      const raw = Buffer.concat(chunks).toString('utf8');
      const log = (status: number) => {
        requests.push({ method, path, query: parsed.search, body, status, at: Date.now() });
        notify();
      };
      const reply = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
        log(status);
        if (payload === undefined) {
          response.writeHead(status, headers);
          response.end();
          return;
        }
        response.writeHead(status, { 'content-type': 'application/json', ...headers });
        response.end(JSON.stringify(payload));
      };
      if (!path.startsWith('/api/v10/')) return reply(404, { message: '404: Not Found', code: 0 });
      if (raw) {
        try {
          body = JSON.parse(raw);
        } catch {
          return reply(400, { message: 'The request body contains invalid JSON.', code: 50109 });
        }
      }
      const apiPath = path.slice('/api/v10'.length);
      const isInteraction = /^\/(interactions|webhooks)\//.test(apiPath);
      // Interaction and webhook routes authenticate with their token in the URL, not the bot token.
      if (!isInteraction && request.headers.authorization !== `Bot ${token}`) return reply(401, { message: '401: Unauthorized', code: 0 });

      const route = routeOf(method, path);
      const headers: Record<string, string> = {};
      const forced = forced429.get(route);
      const bucket = buckets.get(route);
      if (bucket && Date.now() >= bucket.resetAt) {
        bucket.remaining = bucket.limit;
        bucket.resetAt = Date.now() + bucket.windowMs;
      }
      const limited = (retryAfter: number) => {
        const retry = Math.max(retryAfter, 0.001);
        return reply(
          429,
          { message: 'You are being rate limited.', retry_after: retry, global: false },
          {
            'retry-after': String(Math.ceil(retry)),
            'x-ratelimit-limit': String(bucket?.limit ?? 5),
            'x-ratelimit-remaining': '0',
            'x-ratelimit-reset': String((Date.now() + retry * 1000) / 1000),
            'x-ratelimit-reset-after': String(retry),
            'x-ratelimit-bucket': bucket?.name ?? createHash('sha1').update(route).digest('hex').slice(0, 16),
            'x-ratelimit-scope': 'user',
          },
        );
      };
      if (forced && forced.count > 0) {
        forced.count -= 1;
        return limited(forced.retryAfter);
      }
      if (bucket) {
        if (bucket.remaining <= 0) return limited((bucket.resetAt - Date.now()) / 1000);
        bucket.remaining -= 1;
        const resetAfter = (bucket.resetAt - Date.now()) / 1000;
        Object.assign(headers, {
          'x-ratelimit-limit': String(bucket.limit),
          'x-ratelimit-remaining': String(bucket.remaining),
          'x-ratelimit-reset': String(bucket.resetAt / 1000),
          'x-ratelimit-reset-after': String(resetAfter),
          'x-ratelimit-bucket': bucket.name,
        });
      }
      const result = handleRest(method, apiPath, parsed.searchParams, body);
      if (result.drop) {
        // The message is stored and dispatched; only the HTTP answer is lost.
        log(0);
        request.socket.destroy();
        return;
      }
      return reply(result.status, result.body === undefined ? undefined : result.status === 200 && route.startsWith('POST /channels/:id/messages') ? messagePayload(result.body as FakeMessage) : result.body, headers);
    });
  });

  // -------------------------------------------------------------------------------------------
  // Controls
  // -------------------------------------------------------------------------------------------

  const api: FakeDiscord = {
    url,
    apiUrl: `${url}/api`,
    token,
    applicationId,
    botUser,
    guilds,
    channels,
    messages,
    requests,
    typing,
    interactions,
    get identifies() {
      return identifies;
    },
    get resumes() {
      return resumes;
    },
    replayOverlap: 0,
    lastReplay: [],
    dropCreateResponses(count = 1) {
      dropCreates += count;
    },
    rateLimitNext(route, count, retryAfterSeconds) {
      forced429.set(route, { count, retryAfter: retryAfterSeconds });
    },
    setBucket(route, limit, windowMs) {
      buckets.set(route, { limit, windowMs, remaining: limit, resetAt: Date.now() + windowMs, name: createHash('sha1').update(route).digest('hex').slice(0, 16) });
    },
    addGuild(input) {
      const guild: FakeGuild = {
        id: input.id,
        name: input.name ?? `guild ${input.id}`,
        roles: input.roles ?? [],
        memberRoles: input.memberRoles ?? {},
        channels: input.channels.map((channel) => ({ ...channel, guild_id: input.id })),
      };
      guilds.set(guild.id, guild);
      for (const channel of guild.channels) channels.set(channel.id, channel);
      if (current) dispatch('GUILD_CREATE', guildPayload(guild));
      return guild;
    },
    dmChannel(user) {
      const existing = [...channels.values()].find((channel) => channel.type === 1 && channel.recipients?.[0]?.id === user.id);
      if (existing) return existing;
      const channel: FakeChannel = { id: fakeSnowflake(), type: 1, recipients: [user] };
      channels.set(channel.id, channel);
      return channel;
    },
    userMessage({ channelId, author, content, mentionBot }) {
      const channel = channels.get(channelId);
      if (!channel) throw new Error(`fake discord: no channel ${channelId}`);
      const text = mentionBot ? `<@${botUser.id}> ${content}` : content;
      const message: FakeMessage = {
        id: fakeSnowflake(),
        channel_id: channelId,
        ...(channel.guild_id ? { guild_id: channel.guild_id } : {}),
        author,
        content: text,
        embeds: [],
        components: [],
        mention_everyone: false,
        mentions: mentionBot ? [botUser] : [],
        mention_roles: [],
        timestamp: new Date().toISOString(),
        edited_timestamp: null,
        flags: 0,
      };
      messages.push(message);
      const payload = messagePayload(message) as Record<string, unknown>;
      // Without the privileged Message Content intent, Discord blanks the content of guild
      // messages that do not mention the bot.
      const intents = current?.intents ?? 0;
      if (!(intents & MESSAGE_CONTENT_INTENT) && channel.guild_id && !mentionBot) payload.content = '';
      if (channel.guild_id) {
        const roles = guilds.get(channel.guild_id)?.memberRoles[author.id] ?? [];
        payload.member = { roles, joined_at: new Date().toISOString(), deaf: false, mute: false, flags: 0 };
      }
      dispatch('MESSAGE_CREATE', payload);
      return message;
    },
    clickButton({ messageId, customId, user }) {
      const message = messages.find((item) => item.id === messageId);
      if (!message) throw new Error(`fake discord: no message ${messageId}`);
      const interaction: FakeInteraction = {
        id: fakeSnowflake(),
        token: `aW50ZXJhY3Rpb246${randomBytes(24).toString('hex')}`,
        type: 3,
        customId,
        user,
        channelId: message.channel_id,
        messageId,
        createdAt: Date.now(),
        callbacks: [],
        webhookCalls: [],
      };
      interactions.set(interaction.id, interaction);
      dispatch('INTERACTION_CREATE', interactionPayload(interaction, message, { custom_id: customId, component_type: 2 }));
      return interaction;
    },
    submitModal({ after, user, values }) {
      const modal = api.modalOf(after);
      if (!modal) throw new Error('fake discord: the bot opened no modal for that interaction');
      const message = after.messageId ? messages.find((item) => item.id === after.messageId) : undefined;
      const interaction: FakeInteraction = {
        id: fakeSnowflake(),
        token: `aW50ZXJhY3Rpb246${randomBytes(24).toString('hex')}`,
        type: 5,
        customId: modal.custom_id,
        user: user ?? after.user,
        channelId: after.channelId,
        ...(after.messageId ? { messageId: after.messageId } : {}),
        createdAt: Date.now(),
        callbacks: [],
        webhookCalls: [],
      };
      interactions.set(interaction.id, interaction);
      const components = modal.fields.map((field) => ({
        type: 18,
        id: 1,
        component: { type: 4, id: 2, custom_id: field.custom_id, value: values[field.custom_id] ?? field.value ?? '' },
      }));
      dispatch('INTERACTION_CREATE', interactionPayload(interaction, message, { custom_id: modal.custom_id, components }));
      return interaction;
    },
    modalOf(interaction) {
      const callback = interaction.callbacks.find((item) => item.type === 9);
      if (!callback?.data) return null;
      const data = callback.data as { custom_id: string; title: string; components: Array<Record<string, unknown>> };
      const fields: Array<{ custom_id: string; value?: string; label?: string }> = [];
      for (const row of data.components) {
        // Modals carry text inputs in Label components (type 18) or, the older way, action rows.
        const inputs = row.type === 18 ? [row.component] : ((row.components as unknown[]) ?? []);
        for (const input of inputs as Array<Record<string, unknown>>) {
          if (input?.type === 4) fields.push({ custom_id: String(input.custom_id), value: input.value as string | undefined, label: (row.label ?? input.label) as string | undefined });
        }
      }
      return { custom_id: data.custom_id, title: data.title, fields };
    },
    requestReconnect() {
      sendFrame(current?.socket ?? null, { op: 7, d: null, s: null, t: null });
    },
    dropGateway() {
      current?.socket?.terminate();
    },
    gatewayConnected() {
      return Boolean(current?.socket && current.socket.readyState === WebSocket.OPEN);
    },
    messagesIn(channelId) {
      return messages.filter((message) => message.channel_id === channelId);
    },
    ephemeralReplies(interaction) {
      return messages.filter((message) => message.interaction_id?.split(':')[0] === interaction.id && (message.flags & EPHEMERAL) !== 0);
    },
    waitFor(check, description = 'condition', timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const attempt = () => {
          try {
            const value = check();
            if (value) {
              cleanup();
              resolve(value);
            }
          } catch (error) {
            cleanup();
            reject(error);
          }
        };
        const interval = setInterval(attempt, 20);
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`fake discord: timed out waiting for ${description}`));
        }, timeoutMs);
        const cleanup = () => {
          clearInterval(interval);
          clearTimeout(timer);
          waiters.delete(attempt);
        };
        waiters.add(attempt);
        attempt();
      });
    },
    async close() {
      for (const client of wss.clients) client.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };

  const interactionPayload = (interaction: FakeInteraction, message: FakeMessage | undefined, data: Record<string, unknown>) => {
    const channel = channels.get(interaction.channelId)!;
    const guild = channel.guild_id ? guilds.get(channel.guild_id) : undefined;
    return {
      id: interaction.id,
      application_id: applicationId,
      type: interaction.type,
      data,
      ...(guild
        ? {
            guild_id: guild.id,
            guild: { id: guild.id, locale: 'en-US', features: [] },
            member: { user: interaction.user, roles: guild.memberRoles[interaction.user.id] ?? [], permissions: '0', joined_at: new Date().toISOString(), deaf: false, mute: false, flags: 0 },
          }
        : { user: interaction.user }),
      channel_id: channel.id,
      channel: { id: channel.id, type: channel.type, ...(channel.guild_id ? { guild_id: channel.guild_id } : {}) },
      ...(message ? { message: messagePayload(message) } : {}),
      token: interaction.token,
      version: 1,
      app_permissions: '0',
      locale: 'en-US',
      guild_locale: 'en-US',
      entitlements: [],
      authorizing_integration_owners: { '0': guild?.id ?? '0' },
      context: guild ? 0 : 1,
      attachment_size_limit: 10_485_760,
    };
  };

  return api;
}
