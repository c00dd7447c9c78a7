/**
 * How escalations reach the review channels of Slack and Discord, within limits. Anyone who can
 * make the bot escalate (an anonymous web user, a model outage) could otherwise post as many
 * messages into the reviewers' channel as they like. Per platform, an escalation is posted on its
 * own while every limit that applies to it has room (the channel as a whole, its conversation,
 * its user, its rule or reason): each limit counts the escalations posted in the last window and
 * not decided yet, so a reviewer's decision frees its place. Past any of them it is folded into
 * one summary message ("14 more waiting", and where to review them), which is edited as more
 * come rather than posted again, at most once per `summaryUpdateSeconds`, the last change always
 * shown. Every escalated turn is in the review queue whatever happens here.
 *
 * The decision is shared by every process (one Lua script over counters in Redis, so two
 * workers cannot both take the last place) and made once per turn and platform (kept in the
 * turn's hash, so a retried announcement decides the same). A few lines of Lua rather than a
 * rate-limiter library: the limits must be checked all together and consumed all or none, and
 * a decision must give back exactly the place its turn took, where a library's limiters consume
 * one at a time and count anonymous points.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { ReviewNotificationsConfig } from '../config/storage-schema.js';
import type { Keys } from '../core/keys.js';
import { defineScripts, runScript } from '../core/redis-scripts.js';
import type { ChatAdapter, ReviewSummary } from '../core/ports.js';
import { conversationKey, type Turn } from '../core/types.js';

const SCRIPTS = {
  csNoticeDecide: { file: new URL('./scripts/notice-decide.lua', import.meta.url), keys: 'variable' as const },
  csReleaseLock: { file: new URL('./scripts/release-lock.lua', import.meta.url), keys: 1 },
};

export type ReviewNotificationLimits = Omit<ReviewNotificationsConfig, 'dashboardUrl'> & { dashboardUrl?: string };

export interface ReviewNotifierOptions {
  redis: Redis;
  keys: Keys;
  /** The adapters; read at each call (the service fills the map when it starts). */
  adapters: ReadonlyMap<unknown, ChatAdapter>;
  limits: ReviewNotificationLimits;
  /** How long the record of a summary (its folded turns) is kept. @defaultValue 7 days */
  retentionSeconds?: number;
  logger: Logger;
  /** Each first decision, for metrics. */
  onDecision?(platform: string, decision: 'post' | 'fold'): void;
}

/** The limits that apply to a turn, as [posted set name, limit] (a limit of 0 is lifted). */
function scopesOf(turn: Pick<Turn, 'conversation' | 'messages' | 'escalation'>, limits: ReviewNotificationLimits): Array<[string, number]> {
  const user = turn.messages.at(-1)?.user.id;
  const rule = turn.escalation?.rule ?? turn.escalation?.source ?? 'unknown';
  const scopes: Array<[string, number]> = [
    ['posted:platform', limits.perPlatform],
    [`posted:conversation:${conversationKey(turn.conversation)}`, limits.perConversation],
    [`posted:rule:${rule}`, limits.perRule],
  ];
  if (user) scopes.push([`posted:user:${turn.conversation.platform}:${user}`, limits.perUser]);
  return scopes.filter(([, limit]) => limit > 0);
}

/** Shows escalations to the platforms' review channels within the notification limits. */
export interface ReviewNotifier {
  /**
   * Show an escalated turn to every platform's reviewers: on its own, or folded into the
   * summary past the limits. Never throws (a platform problem is logged).
   */
  present(turn: Turn, log?: Logger): Promise<void>;
  /**
   * A turn was decided: if it was posted on its own, its place under the limits is free again;
   * if it was folded, its summary shows one fewer waiting.
   */
  resolved(turn: Turn): Promise<void>;
  /** Drop pending summary updates (the service is stopping). */
  stop(): void;
}

export function createReviewNotifier(options: ReviewNotifierOptions): ReviewNotifier {
  const { keys, limits, logger } = options;
  const { redis } = options;
  defineScripts(redis, SCRIPTS);
  const retentionSeconds = options.retentionSeconds ?? 7 * 24 * 3600;
  const updateMs = limits.summaryUpdateSeconds * 1000;
  // A rendering may wait out platform rate limits; the lock outlives it, and is released after.
  const lockMs = Math.max(updateMs, 120_000);
  const owner = `${process.pid}-${randomBytes(4).toString('hex')}`;
  /** Per process: one pending rendering per summary. */
  const timers = new Map<string, NodeJS.Timeout>();
  const failures = new Map<string, number>();
  let stopped = false;

  async function decide(platform: string, turn: Turn): Promise<string> {
    const scopes = scopesOf(turn, limits);
    const noticeKey = (name: string) => keys.reviewNotice(platform, name);
    const [decision, fresh] = await runScript<[string, number]>(
      redis,
      'csNoticeDecide',
      [keys.turn(turn.id), noticeKey('episode'), ...scopes.map(([name]) => noticeKey(name))],
      [`notice:${platform}`, limits.windowSeconds * 1000, Date.now(), retentionSeconds, noticeKey('folded:'), turn.id, ...scopes.map(([, limit]) => limit)],
      { variableKeys: true },
    );
    if (fresh === 1) options.onDecision?.(platform, decision === 'post' ? 'post' : 'fold');
    return decision;
  }

  function schedule(adapter: ChatAdapter, episode: string, delayMs: number): void {
    const id = `${adapter.platform}:${episode}`;
    if (stopped || timers.has(id)) return;
    const timer = setTimeout(() => {
      timers.delete(id);
      render(adapter, episode).catch((error: unknown) => logger.warn({ err: error, platform: adapter.platform }, 'could not update the review summary'));
    }, Math.max(delayMs, 50));
    timer.unref();
    timers.set(id, timer);
  }

  /** Show the summary's current counts, unless shown recently (then later) or another process is at it. */
  async function render(adapter: ChatAdapter, episode: string): Promise<void> {
    const platform = adapter.platform;
    const noticeKey = (name: string) => keys.reviewNotice(platform, name);
    const lock = noticeKey(`summary:${episode}:lock`);
    if ((await redis.set(lock, owner, 'PX', lockMs, 'NX')) !== 'OK') {
      schedule(adapter, episode, updateMs);
      return;
    }
    const summaryKey = noticeKey(`summary:${episode}`);
    const foldedKey = noticeKey(`folded:${episode}`);
    let again = false;
    try {
      const shown = await redis.hgetall(summaryKey);
      const shownAt = Number(shown.at ?? 0);
      if (Date.now() - shownAt < updateMs) {
        schedule(adapter, episode, shownAt + updateMs - Date.now());
        return;
      }
      const [folded, waiting, first, last] = await Promise.all([
        redis.zcard(foldedKey),
        redis.call('ZINTERCARD', '2', foldedKey, keys.reviewPending) as Promise<number>,
        redis.zrange(foldedKey, 0, 0, 'WITHSCORES'),
        redis.zrange(foldedKey, -1, -1, 'WITHSCORES'),
      ]);
      if (folded === 0 || (String(folded) === shown.folded && String(waiting) === shown.waiting)) return;
      const summary: ReviewSummary = {
        id: episode,
        folded,
        waiting,
        since: Number(first[1] ?? Date.now()),
        latest: Number(last[1] ?? Date.now()),
        ...(limits.dashboardUrl ? { reviewUrl: limits.dashboardUrl } : {}),
      };
      try {
        await adapter.presentReviewSummary!(summary);
        logger.debug({ platform, summary: episode, folded, waiting }, 'review summary shown');
        failures.delete(`${platform}:${episode}`);
      } catch (error) {
        // A platform outage or rate limit: try again later, a bounded number of times in a row.
        const count = (failures.get(`${platform}:${episode}`) ?? 0) + 1;
        failures.set(`${platform}:${episode}`, count);
        logger.warn({ err: error, platform, folded, attempt: count }, 'could not post the review summary');
        if (count < 5) again = true;
        else failures.delete(`${platform}:${episode}`);
        return;
      }
      await redis.multi().hset(summaryKey, 'at', String(Date.now()), 'folded', String(folded), 'waiting', String(waiting)).expire(summaryKey, retentionSeconds).exec();
      // Folded while we were posting: their own calls found the lock taken and come back later;
      // this is only the quickest way to show them.
      if ((await redis.zcard(foldedKey)) !== folded) again = true;
    } finally {
      await runScript(redis, 'csReleaseLock', [lock], [owner]);
      if (again) schedule(adapter, episode, updateMs);
    }
  }

  function episodeOf(decision: string): string | null {
    return decision.startsWith('fold:') ? decision.slice('fold:'.length) : null;
  }

  return {
    async present(turn, log = logger) {
      for (const adapter of options.adapters.values()) {
        if (!adapter.presentEscalation) continue;
        try {
          if (!adapter.presentReviewSummary) {
            await adapter.presentEscalation(turn);
            continue;
          }
          const decision = await decide(adapter.platform, turn);
          const episode = episodeOf(decision);
          if (decision === 'post') await adapter.presentEscalation(turn);
          else if (episode) {
            log.info({ platform: adapter.platform, summary: episode }, 'escalation folded into the review summary (notification limits)');
            await render(adapter, episode);
          }
        } catch (error) {
          log.warn({ err: error, platform: adapter.platform }, 'could not present the escalation to reviewers');
        }
      }
    },

    async resolved(turn) {
      for (const adapter of options.adapters.values()) {
        if (!adapter.presentReviewSummary) continue;
        const decision = await redis.hget(keys.turn(turn.id), `notice:${adapter.platform}`);
        if (decision === 'post') {
          const scopes = scopesOf(turn, limits);
          if (scopes.length) {
            const release = redis.multi();
            for (const [name] of scopes) release.zrem(keys.reviewNotice(adapter.platform, name), turn.id);
            await release.exec();
          }
          continue;
        }
        const episode = decision ? episodeOf(decision) : null;
        if (episode) schedule(adapter, episode, 0);
      }
    },

    stop() {
      stopped = true;
      for (const timer of timers.values()) clearTimeout(timer);
      timers.clear();
    },
  };
}


