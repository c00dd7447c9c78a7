import type { RateLimit, RateLimits } from '../../src/core/ports.js';

/** Requests per minute; 0 lifts a limit. */
export interface WebLimitsOptions {
  perClient?: {
    /** Messages one client may post. @defaultValue 20 */
    messagesPerMinute?: number;
    /** Conversations one client may start. @defaultValue 10 */
    conversationsPerMinute?: number;
  };
  global?: {
    /** Messages all clients together may post. @defaultValue 600 */
    messagesPerMinute?: number;
    /** Conversations all clients together may start. @defaultValue 120 */
    conversationsPerMinute?: number;
  };
}

/** Defaults for a web chat built without a configuration (the schema in src/config/web-schema.ts has the same). */
export const WEB_LIMIT_DEFAULTS = { perClient: { messagesPerMinute: 20, conversationsPerMinute: 10 }, global: { messagesPerMinute: 600, conversationsPerMinute: 120 } } as const;

export interface WebLimitRefusal {
  /** The limit's name: its metrics label and Redis key (`web.client.messages`, ...). */
  limit: string;
  retryAfterSeconds: number;
  error: string;
}

interface Check {
  name: string;
  limit: RateLimit;
  perMinute: number;
  global: boolean;
  conversations: boolean;
}

/**
 * The web chat's limits: per client and for everyone, on messages and on new conversations.
 * A request is checked against the client's limits first (so a flooding client is refused
 * before it uses up everyone's), then the global ones; when one refuses, the points the
 * request already took are given back, because nothing of it is stored.
 */
export function createWebLimits(limits: RateLimits | undefined, options: WebLimitsOptions = {}) {
  const settings = [
    { name: 'web.client.messages', perMinute: options.perClient?.messagesPerMinute ?? WEB_LIMIT_DEFAULTS.perClient.messagesPerMinute, global: false, conversations: false },
    { name: 'web.client.conversations', perMinute: options.perClient?.conversationsPerMinute ?? WEB_LIMIT_DEFAULTS.perClient.conversationsPerMinute, global: false, conversations: true },
    { name: 'web.global.messages', perMinute: options.global?.messagesPerMinute ?? WEB_LIMIT_DEFAULTS.global.messagesPerMinute, global: true, conversations: false },
    { name: 'web.global.conversations', perMinute: options.global?.conversationsPerMinute ?? WEB_LIMIT_DEFAULTS.global.conversationsPerMinute, global: true, conversations: true },
  ].filter((setting) => setting.perMinute > 0);
  if (settings.length && !limits) {
    throw new Error('the web chat limits need shared rate limits: start the adapter through createCountersign, or set every web limit to 0');
  }
  const checks: Check[] = settings.map((setting) => ({ ...setting, limit: limits!.create(setting.name, { points: setting.perMinute, durationSeconds: 60 }) }));

  const errorOf = (check: Check, retryAfterSeconds: number) => {
    const what = check.conversations ? 'new conversations' : 'messages';
    return check.global
      ? `the chat is taking too many ${what} right now; try again in ${retryAfterSeconds} s`
      : `too many ${what} from this client (at most ${check.perMinute} a minute); try again in ${retryAfterSeconds} s`;
  };

  return {
    /** Let a message in (and a new conversation, when it starts one), or say which limit refused it. */
    async admit(clientKey: string, request: { newConversation: boolean }): Promise<WebLimitRefusal | null> {
      const taken: Array<{ check: Check; key: string }> = [];
      for (const check of checks) {
        if (check.conversations && !request.newConversation) continue;
        const key = check.global ? 'all' : clientKey;
        const decision = await check.limit.take(key);
        if (decision.allowed) {
          taken.push({ check, key });
          continue;
        }
        await Promise.all(taken.map((done) => done.check.limit.giveBack(done.key)));
        return { limit: check.name, retryAfterSeconds: decision.retryAfterSeconds, error: errorOf(check, decision.retryAfterSeconds) };
      }
      return null;
    },
  };
}

export type WebLimits = ReturnType<typeof createWebLimits>;
