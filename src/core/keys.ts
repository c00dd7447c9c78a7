/**
 * Every Redis key of a deployment, under its prefix (REDIS_PREFIX). One place, so a reader can
 * see the whole data model, and tests can delete a prefix and know nothing is left.
 *
 * Every key is bounded, by an expiry or by a cap (docs/data-model.md has the table). The rules:
 * - nothing a human still has to decide expires: an escalated turn, its entry in
 *   `review:pending`, the state of its held conversation and what waits in its inbox;
 * - nothing the exactly-once protocol needs expires while a turn is open: the state and history
 *   of a conversation with a turn open, its inbox and ready list, the turn, unsent outbox records;
 * - everything else expires after a `retention.*` setting (src/config/storage-schema.ts), counted
 *   from the moment nothing needs it any more (the last activity, the close, the send).
 */
export function createKeys(prefix: string) {
  return {
    prefix,
    /**
     * STRING, SET NX with a TTL: a message id accepted once, where it is unique (MESSAGE_ID_SCOPE):
     * on its platform (Slack, Discord), or within its conversation (web: `conversationId` given).
     * Expires: `dedupeTtlSeconds`.
     */
    seen: (platform: string, messageId: string, conversationId?: string) =>
      conversationId === undefined ? `${prefix}:seen:${platform}:${messageId}` : `${prefix}:seen:${platform}:${conversationId}:${messageId}`,
    /**
     * LIST of InboundMessage JSON waiting for the next turn (or for a human, while held). No
     * expiry: it exists only while messages wait, and is capped by `inbox.maxMessages` and
     * `inbox.maxBytes` (its byte count is the state's `inboxBytes`).
     */
    inbox: (conversation: string) => `${prefix}:conv:${conversation}:inbox`,
    /**
     * HASH: `turn` (the turn in progress), `held` (the escalated turn holding it), `turns`
     * (count), `inboxBytes` (bytes waiting in the inbox), `refused` (messages refused by the
     * inbox cap). No expiry while a turn is open or it is held; otherwise it expires
     * `retention.conversationSeconds` after the last activity.
     */
    state: (conversation: string) => `${prefix}:conv:${conversation}:state`,
    /** LIST of HistoryEntry JSON, capped at `turn.history.keep`; expires like the state. */
    history: (conversation: string) => `${prefix}:conv:${conversation}:history`,
    /**
     * LIST of ids of resolved turns to deliver in a conversation that was not held. No expiry: it
     * exists only while such deliveries wait (each id is popped when its turn closes).
     */
    ready: (conversation: string) => `${prefix}:conv:${conversation}:ready`,
    /**
     * HASH: one turn (and `notice:<platform>`, how its escalation reached that platform's
     * reviewers). No expiry while open or escalated; once closed it expires after
     * `retention.turnSeconds`, or `retention.reviewedTurnSeconds` when a human resolved it.
     */
    turn: (turnId: string) => `${prefix}:turn:${turnId}`,
    /** HASH: one approved delivery and its progress. No expiry until sent; then `retention.turnSeconds`. */
    outbox: (deliveryId: string) => `${prefix}:outbox:${deliveryId}`,
    /**
     * HASH: one approved tool call (`<turnId>:<step>:<index>`) in the action ledger
     * (src/tools/action-ledger.ts): approved -> started -> done | failed, or unknown. Approved:
     * expires after `retention.turnSeconds` (nothing ran). Started: no expiry (it is what stops a
     * second run). Done or failed: `retention.turnSeconds` from the outcome. Unknown (it may
     * have run and must not run again): no expiry until a human resolves it, then
     * `retention.reviewedTurnSeconds`.
     */
    action: (callId: string) => `${prefix}:action:${callId}`,
    /**
     * ZSET conversation -> time: conversations with work that may lack a queued job. No expiry:
     * a member leaves when its conversation has nothing waiting (the reconciler re-queues every
     * member, and the worker removes those it finds empty or held).
     */
    pendingConversations: `${prefix}:conversations:pending`,
    /** ZSET of escalated turn ids by escalation time: never trimmed (each waits for a human). */
    reviewPending: `${prefix}:review:pending`,
    /** ZSET of resolved turn ids by resolution time: trimmed after `retention.reviewedTurnSeconds`. */
    reviewResolved: `${prefix}:review:resolved`,
    /**
     * STREAM: the audit log of verdicts, rule and check decisions, escalations and posts. Trimmed
     * after `retention.auditSeconds` and to about `retention.auditMaxEntries` entries.
     */
    audit: `${prefix}:audit`,
    /**
     * STREAM: the reviewers' decisions (audit events of type `review`), apart from the traffic's
     * log so that no amount of traffic can push them out. Trimmed after
     * `retention.reviewAuditSeconds` and to about `retention.reviewAuditMaxEntries` entries.
     */
    reviewAudit: `${prefix}:audit:review`,
    /** PUB/SUB channel of review events (dashboard live updates); stores nothing. */
    reviewEvents: `${prefix}:review:events`,
    /**
     * Prefix of the model-call budgets (rate-limiter-flexible counters, each expiring with its
     * window): `<prefix>:budget:conversation:<conversation>` and `<prefix>:budget:global:all`.
     */
    budget: `${prefix}:budget`,
    /**
     * Review notification limits of one platform (src/review/review-notifier.ts), all expiring:
     * `posted:<scope>:<id>` ZSET the undecided escalations posted on their own in a scope,
     * trimmed to `reviewNotifications.windowSeconds`,
     * `episode` STRING the summary being extended (the window), `folded:<episode>` ZSET the
     * turns folded into that summary and `summary:<episode>` HASH its last rendering (both
     * `retention.turnSeconds`).
     */
    reviewNotice: (platform: string, name: string) => `${prefix}:review:notices:${platform}:${name}`,
    /**
     * An adapter's own keys (AdapterStorage). Every one expires: after the TTL the adapter
     * gives, or `retention.conversationSeconds` when it gives none; lists may also be capped.
     */
    adapter: (platform: string, key: string) => `${prefix}:adapter:${platform}:${key}`,
    /** STRING counters with a TTL of one window: a rate limit's points used, `limit:<name>:<client>`. */
    rateLimit: (name: string) => `${prefix}:limit:${name}`,
  };
}

export type Keys = ReturnType<typeof createKeys>;
