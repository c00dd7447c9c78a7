/**
 * `countersign review list|show|approve|reject`: the review queue from a terminal. It talks to
 * Redis directly through the same review service as the API, the dashboard and the chat
 * buttons (a BullMQ queue to hand the resolution to the workers, no workers of its own), so a
 * running service delivers what the terminal decides, and the dashboard sees it live.
 */
import os from 'node:os';
import { Redis } from 'ioredis';
import { type Logger, pino } from 'pino';
import type { Config } from '../config/schema.js';
import { CountersignError } from '../core/errors.js';
import { createKeys, type Keys } from '../core/keys.js';
import { conversationKey, currentDraft, type Reviewer, type Turn } from '../core/types.js';
import { createConversationQueue } from '../queue/conversation-queue.js';
import { describeRedisFailure, displayRedisUrl, HOW_TO_GET_REDIS } from '../queue/redis-availability.js';
import { createConversationStore } from '../conversation/conversation-store.js';
import { createAuditLog } from '../review/audit-log.js';
import { presentTurn } from '../review/present-turn.js';
import { createEscalationGate } from '../escalation/escalation-gate.js';
import { createReviewService, type ReviewService, type ReviewStatus, reviewStatus } from '../review/review-service.js';

/** A usage problem (`countersign` exits 2 on these, like configuration errors). */
export class CliUsageError extends CountersignError {
  constructor(message: string) {
    super('cli.usage', message);
  }
}

/** Where command output goes (tests pass buffers). */
export interface CliOutput {
  stdout(text: string): void;
  stderr(text: string): void;
}

export const processOutput: CliOutput = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

/**
 * Where a command looked, for an empty answer: and when nothing at all is stored under the
 * prefix, the likely reason (the service or the demo writes under another prefix or Redis).
 */
export async function whereLooked(redis: Redis, config: Config): Promise<string> {
  const where = `prefix "${config.redis.prefix}" in Redis at ${displayRedisUrl(config.redis.url)}`;
  let cursor = '0';
  // A few SCAN steps are enough to tell "some data" from "none" on any size of Redis.
  for (let step = 0; step < 20; step++) {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${config.redis.prefix}:*`, 'COUNT', 1000);
    if (keys.length) return `(${where})`;
    cursor = next;
    if (cursor === '0') break;
  }
  return `Nothing at all is stored under the ${where}: is the service using another REDIS_PREFIX or REDIS_URL? (npm run demo uses the prefix countersign-demo and prints the exact commands for its data.)`;
}

/** Connect to the configured Redis, failing fast with a clear message (a CLI must not hang). */
export async function connectCliRedis(config: Config): Promise<Redis> {
  const redis = new Redis(config.redis.url, {
    lazyConnect: true,
    connectTimeout: 5000,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: true,
    retryStrategy: (times) => (times > 2 ? null : 200),
    connectionName: 'countersign:cli',
  });
  // Connection errors are reported once, below, with the most telling one (ECONNREFUSED ...).
  let lastError: unknown;
  redis.on('error', (error) => {
    lastError = error;
  });
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    redis.disconnect();
    throw new CountersignError('cli.redis', `cannot reach Redis at ${displayRedisUrl(config.redis.url)}: ${describeRedisFailure(lastError ?? error)}. ${HOW_TO_GET_REDIS}`);
  }
  return redis;
}

/** The terminal user as a reviewer. */
export function cliReviewer(): Reviewer {
  let user: string | undefined;
  try {
    user = os.userInfo().username;
  } catch {
    // No passwd entry (some containers): fall back to the environment.
  }
  return { via: 'cli', id: user || process.env.USER || process.env.USERNAME || 'unknown' };
}

export interface ReviewContext {
  redis: Redis;
  keys: Keys;
  review: ReviewService;
  close(): Promise<void>;
}

/** The minimal pieces of the service a review command needs; `enqueue` only for decisions. */
export async function openReview(config: Config, options: { enqueue?: boolean; logger?: Logger } = {}): Promise<ReviewContext> {
  const redis = await connectCliRedis(config);
  const keys = createKeys(config.redis.prefix);
  const logger = options.logger ?? pino({ level: 'warn' }, pino.destination(2));
  const queue = options.enqueue
    ? createConversationQueue({
        connection: { url: config.redis.url, maxRetriesPerRequest: null, connectionName: 'countersign:cli-queue' },
        prefix: config.redis.prefix,
        attempts: config.queue.attempts,
        eventsMaxLength: config.retention.queueEventsMaxEntries,
      })
    : null;
  const audit = createAuditLog({ redis, keys, logger, retention: config.retention });
  const store = createConversationStore({ redis, keys, keep: config.turn.history.keep, historyBudgetChars: 0, retention: config.retention, inbox: config.inbox });
  const review = createReviewService({
    redis,
    keys,
    store,
    logger,
    audit,
    resolvedRetentionSeconds: config.retention.reviewedTurnSeconds,
    // A reviewer's text from the terminal goes through the same checks and rules as the API's.
    gate: createEscalationGate({ rules: config.escalation.rules, checks: config.escalation.checks, reviewerText: config.review.checkReviewerText }),
    enqueue: async (conversation) => {
      if (!queue) throw new CountersignError('cli.internal', 'this command cannot queue work');
      await queue.enqueue(conversation);
    },
  });
  return {
    redis,
    keys,
    review,
    async close() {
      await queue?.close().catch(() => {});
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Text output
// ---------------------------------------------------------------------------------------------

/**
 * User and model text made safe for a terminal: control characters (ANSI escapes that could
 * rewrite the screen or the title) are shown as `\xNN`; newlines become spaces with `oneLine`.
 */
export function terminalText(text: string, oneLine = false): string {
  const flat = oneLine ? text.replace(/\s*\r?\n\s*/g, ' ') : text;
  return flat.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, (char) => `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

function truncate(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}…`;
}

export function formatAge(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h${minutes % 60 ? ` ${minutes % 60}m` : ''}`;
  return `${Math.floor(hours / 24)}d`;
}

/** Why a turn waits for a human, as one label: `critic`, `rule:<name>`, `check:<name>`, ... */
export function escalationLabel(turn: Pick<Turn, 'escalation'>): string {
  const escalation = turn.escalation;
  if (!escalation) return 'escalated';
  return (escalation.source === 'rule' || escalation.source === 'check') && escalation.rule ? `${escalation.source}:${escalation.rule}` : escalation.source;
}

function reviewerLabel(turn: Turn): string {
  const reviewer = turn.resolution?.reviewer;
  if (!reviewer) return '';
  return `${reviewer.name ?? reviewer.id} (${reviewer.via})`;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  ').trimEnd()).join('\n');
}

/** The `review list` table. */
export function formatTurnList(turns: Turn[], status: ReviewStatus | 'resolved', now = Date.now()): string {
  if (!turns.length) return status === 'pending' ? 'No turns waiting for review.' : `No ${status} turns.`;
  if (status === 'pending') {
    return table([
      ['ID', 'AGE', 'PLATFORM', 'CONVERSATION', 'WHY', 'REASON'],
      ...turns.map((turn) => [
        turn.id,
        formatAge(now - (turn.escalation?.at ?? turn.createdAt)),
        turn.conversation.platform,
        truncate(terminalText(conversationKey(turn.conversation), true), 40),
        terminalText(escalationLabel(turn), true),
        truncate(terminalText(turn.escalation?.reason ?? '', true), 80),
      ]),
    ]);
  }
  return table([
    ['ID', 'DECIDED', 'DECISION', 'BY', 'CONVERSATION', 'POSTED'],
    ...turns.map((turn) => [
      turn.id,
      turn.resolution ? `${formatAge(now - turn.resolution.at)} ago` : '',
      turn.resolution?.decision ?? turn.status,
      terminalText(reviewerLabel(turn), true),
      truncate(terminalText(conversationKey(turn.conversation), true), 40),
      turn.reply ? truncate(terminalText(turn.reply.text, true), 60) : '(nothing)',
    ]),
  ]);
}

const indent = (text: string, prefix = '    ') => terminalText(text).split('\n').map((line) => `${prefix}${line}`).join('\n');

/** The `review show` text: the conversation, the draft, the verdict, why it is here, and the decision. */
export function formatTurn(turn: Turn, now = Date.now()): string {
  const status = reviewStatus(turn);
  const escalation = turn.escalation;
  const lines = [
    `Turn ${turn.id}  [${status}]  ${terminalText(conversationKey(turn.conversation), true)}`,
    `Escalated ${formatAge(now - (escalation?.at ?? turn.createdAt))} ago (${new Date(escalation?.at ?? turn.createdAt).toISOString()})`,
    `Why:      ${terminalText(escalationLabel(turn), true)}: ${terminalText(escalation?.reason ?? '', true)}`,
    '',
    'Conversation:',
  ];
  for (const entry of turn.context ?? []) lines.push(`  ${entry.role === 'assistant' ? 'bot' : terminalText(entry.user ?? 'user', true)}:`, indent(entry.text));
  for (const message of turn.messages) lines.push(`> ${terminalText(message.user.name ?? message.user.id, true)} (this turn):`, indent(message.text));
  const draft = currentDraft(turn);
  lines.push('', 'Draft:', draft === null ? '    (the actor produced no draft)' : indent(draft));
  const verdict = turn.verdict;
  lines.push('');
  if (verdict) {
    lines.push(
      `Verdict:  ${verdict.decision} (confidence ${verdict.confidence}${verdict.categories.length ? `; ${terminalText(verdict.categories.join(', '), true)}` : ''})`,
      `Reason:   ${terminalText(verdict.reason, true)}`,
    );
    if (verdict.feedback) lines.push(`Feedback: ${terminalText(verdict.feedback, true)}`);
    if (verdict.revised_text) lines.push('Revised text:', indent(verdict.revised_text));
  } else {
    lines.push('Verdict:  none');
  }
  if (turn.resolution) {
    lines.push('', `Decision: ${turn.resolution.decision} by ${terminalText(reviewerLabel(turn), true)} at ${new Date(turn.resolution.at).toISOString()}`);
    lines.push(turn.reply ? `Posted:\n${indent(turn.reply.text)}` : 'Posted:   nothing');
  } else {
    lines.push('', `Decide with: countersign review approve ${turn.id} [--text "..."]  |  countersign review reject ${turn.id}`);
  }
  return lines.join('\n');
}


// ---------------------------------------------------------------------------------------------
// Commands
// ---------------------------------------------------------------------------------------------

const TURN_ID = /^[A-Za-z0-9_-]{1,80}$/;

function checkId(id: string): void {
  if (!TURN_ID.test(id)) throw new CliUsageError(`"${terminalText(id, true).slice(0, 100)}" is not a turn id (letters, digits, - and _)`);
}

export async function reviewList(config: Config, options: { status: ReviewStatus | 'resolved'; json?: boolean; limit?: number }, output = processOutput): Promise<void> {
  const context = await openReview(config);
  try {
    const turns = await context.review.list(options.status, options.limit ?? 200);
    output.stdout(`${options.json ? JSON.stringify(turns.map((turn) => presentTurn(turn, true)), null, 2) : formatTurnList(turns, options.status)}\n`);
    if (!turns.length) output.stderr(`${await whereLooked(context.redis, config)}\n`);
  } finally {
    await context.close();
  }
}

async function requireTurn(review: ReviewService, id: string): Promise<Turn> {
  checkId(id);
  const turn = await review.get(id);
  if (!turn) throw new CountersignError('review.not-found', `no escalated turn ${id}`);
  return turn;
}

export async function reviewShow(config: Config, id: string, options: { json?: boolean } = {}, output = processOutput): Promise<void> {
  const context = await openReview(config);
  try {
    const turn = await requireTurn(context.review, id);
    output.stdout(`${options.json ? JSON.stringify(presentTurn(turn, true), null, 2) : formatTurn(turn)}\n`);
  } finally {
    await context.close();
  }
}

export async function reviewApprove(config: Config, id: string, options: { text?: string; reviewer?: Reviewer } = {}, output = processOutput): Promise<void> {
  checkId(id);
  if (options.text !== undefined && !options.text.trim()) throw new CliUsageError('--text is empty; leave it out to approve the draft as written');
  const context = await openReview(config, { enqueue: true });
  try {
    const turn = await context.review.approve(id, { reviewer: options.reviewer ?? cliReviewer(), ...(options.text !== undefined ? { text: options.text } : {}) });
    const what = options.text !== undefined ? 'your text' : 'the draft';
    output.stdout(`${turn.resolution?.decision ?? 'approved'} ${turn.id}: ${what} will be posted to ${terminalText(conversationKey(turn.conversation), true)}\n`);
  } finally {
    await context.close();
  }
}

export async function reviewReject(config: Config, id: string, options: { reviewer?: Reviewer } = {}, output = processOutput): Promise<void> {
  checkId(id);
  const context = await openReview(config, { enqueue: true });
  try {
    const turn = await context.review.reject(id, { reviewer: options.reviewer ?? cliReviewer() });
    output.stdout(`rejected ${turn.id}: nothing more will be posted for it in ${terminalText(conversationKey(turn.conversation), true)}\n`);
  } finally {
    await context.close();
  }
}
