/**
 * The discord.js client as the adapter uses it: the gateway (intents, partials, no message
 * cache) for input, its REST manager for output, so any process can post whether or not it
 * holds the gateway connection.
 */
import { once } from 'node:events';
import { Client, type ClientOptions, Events, GatewayIntentBits, Options, Partials } from 'discord.js';
import type { Logger } from 'pino';
import { translateDiscordError } from './discord-errors.js';

export interface DiscordClientOptions {
  token: string;
  /** REST base URL without the version (`DISCORD_API_URL`). @defaultValue `https://discord.com/api` */
  apiUrl?: string;
  /** One REST request's time limit. @defaultValue 15000 */
  requestTimeoutMs?: number;
  /** Extra discord.js client options (tests tune timeouts here). */
  clientOptions?: Partial<ClientOptions>;
}

/** The REST base discord.js wants: no trailing slash and no version (it appends `/v10`). */
export function normaliseDiscordApiUrl(url: string): string {
  return url.replace(/\/+$/, '').replace(/\/v\d+$/, '');
}

export function createDiscordClient(options: DiscordClientOptions): Client {
  const client = new Client({
    intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages, GatewayIntentBits.MessageContent, GatewayIntentBits.DirectMessages],
    // DM channels are not cached before their first message: without this partial discord.js drops DMs.
    partials: [Partials.Channel],
    // Whatever discord.js posts for us (interaction answers, review edits) pings nobody.
    allowedMentions: { parse: [], repliedUser: false },
    // No message cache: nothing here reads old messages, and without it every gateway replay
    // reaches ingest, whose dedupe by message id (shared by all processes) is the one that counts.
    makeCache: Options.cacheWithLimits({ ...Options.DefaultMakeCacheSettings, MessageManager: 0 }),
    ...options.clientOptions,
    rest: {
      ...(options.apiUrl ? { api: normaliseDiscordApiUrl(options.apiUrl) } : {}),
      timeout: options.requestTimeoutMs ?? 15_000,
      ...options.clientOptions?.rest,
    },
  });
  client.rest.setToken(options.token);
  return client;
}

/** Log in to the gateway and wait until it is ready; the connection's ups and downs are logged. */
export async function connectDiscordGateway(client: Client, options: { token: string; logger: Logger }): Promise<void> {
  const { logger } = options;
  client.on(Events.ShardResume, (shardId, replayed) => logger.info({ shardId, replayed }, 'discord gateway resumed'));
  client.on(Events.ShardReconnecting, (shardId) => logger.info({ shardId }, 'discord gateway reconnecting'));
  client.on(Events.ShardError, (error, shardId) => logger.warn({ err: error, shardId }, 'discord gateway error'));
  client.on(Events.Error, (error) => logger.error({ err: error }, 'discord client error'));
  const ready = once(client, Events.ClientReady);
  try {
    await client.login(options.token);
    await ready;
  } catch (error) {
    throw translateDiscordError(error, 'connect to the gateway');
  }
  logger.info({ bot: client.user?.id, guilds: client.guilds.cache.size }, 'discord gateway connected');
}
