/**
 * Every Redis key of a deployment, under its prefix (REDIS_PREFIX). One place, so a reader can
 * see the whole data model, and tests can delete a prefix and know nothing is left.
 */
export function createKeys(prefix: string) {
  return {
    prefix,
    /**
     * SET NX with a TTL: a message id accepted once, where it is unique (MESSAGE_ID_SCOPE): on
     * its platform (Slack, Discord), or within its conversation (web: `conversationId` given).
     */
    seen: (platform: string, messageId: string, conversationId?: string) =>
      conversationId === undefined ? `${prefix}:seen:${platform}:${messageId}` : `${prefix}:seen:${platform}:${conversationId}:${messageId}`,
    /** LIST of InboundMessage JSON waiting for the next turn. */
    inbox: (conversation: string) => `${prefix}:conv:${conversation}:inbox`,
    /** HASH: `turn` (the turn in progress), `held` (the escalated turn holding it), `turns` (count). */
    state: (conversation: string) => `${prefix}:conv:${conversation}:state`,
    /** LIST of HistoryEntry JSON, capped. */
    history: (conversation: string) => `${prefix}:conv:${conversation}:history`,
    /** LIST of ids of resolved turns to deliver in a conversation that was not held. */
    ready: (conversation: string) => `${prefix}:conv:${conversation}:ready`,
    /** HASH: one turn. */
    turn: (turnId: string) => `${prefix}:turn:${turnId}`,
    /** HASH: one approved delivery and its progress. */
    outbox: (deliveryId: string) => `${prefix}:outbox:${deliveryId}`,
    /** ZSET conversation -> time: conversations with work that may lack a queued job. */
    pendingConversations: `${prefix}:conversations:pending`,
    /** ZSETs of turn ids by creation time. */
    reviewPending: `${prefix}:review:pending`,
    reviewResolved: `${prefix}:review:resolved`,
    /** STREAM: the audit log of verdicts, rule decisions and review actions. */
    audit: `${prefix}:audit`,
    /** PUB/SUB channel of review events (dashboard live updates). */
    reviewEvents: `${prefix}:review:events`,
    /**
     * Prefix of the model-call budgets (rate-limiter-flexible counters, each expiring with its
     * window): `<prefix>:budget:conversation:<conversation>` and `<prefix>:budget:global:all`.
     */
    budget: `${prefix}:budget`,
    adapter: (platform: string, key: string) => `${prefix}:adapter:${platform}:${key}`,
  };
}

export type Keys = ReturnType<typeof createKeys>;
