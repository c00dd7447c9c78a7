/**
 * The action ledger: every approved tool call runs at most once, across retries, stalled jobs
 * and killed workers (DESIGN invariant 5). The one code path that calls a tool.
 *
 * Each call has a record in Redis keyed by (turn, step, index), moved by the scripts in
 * ./commands, each atomic:
 *
 *   approved --begin--> started --finish--> done (with its result) | failed (with its error)
 *                          |
 *                          +-- found again with no outcome (a crash during the call):
 *                                read or idempotent: run again, same idempotency key
 *                                otherwise:          unknown -- a human --> done | failed
 *
 * `execute` does all of it for one call: a done or failed record gives back its recorded result
 * (the call is not run again), an unknown one gives `outcome-unknown` (the caller escalates it,
 * with the record's details, to a human: `resolveUnknown` records their answer).
 *
 * The idempotency key is drawn once per record (random, 128 bits, after the call's id), kept
 * with it, and sent with every attempt: the model never sees it and cannot guess it.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { RETENTION_DEFAULTS } from '../config/storage-schema.js';
import { CountersignError } from '../core/errors.js';
import type { Keys } from '../core/keys.js';
import type { Reviewer } from '../core/types.js';
import { type ActionApproval, type ActionApprovalSource, isIssuedActionApproval } from './action-approval.js';
import { defineLedgerCommands, type LedgerRedis } from './ledger-scripts.js';
import type { ToolRegistry } from './tool-registry.js';
import { mayHaveRun, type ToolContent, type ToolEffect, type ToolFailure, type ToolResult, type ToolSuccess } from './tool-types.js';

export type ActionState = 'approved' | 'started' | 'done' | 'failed' | 'unknown';

/** One ledger record, as stored. */
export interface ActionRecord {
  readonly callId: string;
  readonly turnId: string;
  readonly step: number;
  readonly index: number;
  readonly state: ActionState;
  /** The name the actor called it by, when it was approved. */
  readonly tool: string;
  readonly source: string;
  readonly sourceName: string;
  /** The arguments that were approved (and run). */
  readonly arguments: Record<string, unknown>;
  readonly effect: ToolEffect;
  readonly idempotent: boolean;
  readonly approvedBy: ActionApprovalSource;
  /** Sent to the tool with every attempt. For people and tools only: never put it in a model's context. */
  readonly idempotencyKey: string;
  readonly approvedAt: number;
  readonly startedAt?: number;
  /** Attempts that began (more than one: a read or idempotent call run again after a crash). */
  readonly attempts: number;
  readonly result?: ToolResult;
  readonly finishedAt?: number;
  /** When it was found started with no outcome and not safe to run again. */
  readonly unknownAt?: number;
  /** A human's answer to an unknown outcome. */
  readonly resolution?: { readonly outcome: 'done' | 'failed'; readonly reviewer: Reviewer; readonly note?: string; readonly at: number };
}

/**
 * What `execute` gives back:
 * - `done`, `failed`: the result (to give the actor); `reused` when it was recorded by an
 *   earlier attempt and not run now;
 * - `outcome-unknown`: the call may have run and is not safe to run again: escalate it to a
 *   human with `record` (tool, arguments, key, times), and `resolveUnknown` their answer.
 */
export type ActionExecution =
  | { readonly status: 'done'; readonly result: ToolSuccess; readonly reused: boolean; readonly record: ActionRecord }
  | { readonly status: 'failed'; readonly result: ToolFailure; readonly reused: boolean; readonly record: ActionRecord }
  | { readonly status: 'outcome-unknown'; readonly result: ToolFailure; readonly record: ActionRecord };

/** Each step of an execution, for metrics and audit events (and for tests that stop a worker between two). */
export type LedgerTransition =
  | { readonly type: 'recorded'; readonly callId: string; readonly status: 'created' | 'replaced' | 'existing'; readonly state: ActionState }
  | { readonly type: 'started'; readonly callId: string; readonly rerun: boolean; readonly record: ActionRecord }
  | { readonly type: 'called'; readonly callId: string; readonly result: ToolResult; readonly record: ActionRecord }
  | { readonly type: 'finished'; readonly callId: string; readonly state: 'done' | 'failed' | 'unknown'; readonly record: ActionRecord }
  | { readonly type: 'reused'; readonly callId: string; readonly record: ActionRecord }
  | { readonly type: 'unknown'; readonly callId: string; readonly record: ActionRecord };

export interface ActionLedgerOptions {
  readonly redis: Redis;
  readonly keys: Keys;
  /** Where calls go (only `find` and `call` are used). */
  readonly registry: Pick<ToolRegistry, 'find' | 'call'>;
  readonly logger: Logger;
  /** How long approved, done and failed records are kept: `retention.turnSeconds`. @defaultValue 7 days */
  readonly retentionSeconds?: number;
  /** How long a record a human resolved is kept: `retention.reviewedTurnSeconds`. @defaultValue 90 days */
  readonly resolvedRetentionSeconds?: number;
  /** A call's time limit when `execute` gets none: `tools.callTimeoutMs`. @defaultValue 30000 */
  readonly callTimeoutMs?: number;
  /**
   * Added to the call's time limit to make the lease of a started call: past it, another worker
   * may take the call over (run it again when safe, or declare its outcome unknown). @defaultValue 10000
   */
  readonly leaseMarginMs?: number;
  /** Results are stored and returned cut to this size (the same for the first run and a reuse): `tools.maxResultBytes`. @defaultValue 65536 */
  readonly maxResultBytes?: number;
  /**
   * Called (and awaited) at each step. A throw stops the execution where it is, as a crash
   * would: the fault tests use that to stop a worker between two steps.
   */
  readonly onTransition?: (transition: LedgerTransition) => void | Promise<void>;
}

export interface ExecuteOptions {
  readonly signal?: AbortSignal;
  readonly timeoutMs?: number;
}

export interface ActionLedger {
  /** Runs an approved call at most once (see the file comment). Throws `tools.not-approved` without an issued approval, `tools.action-busy` (retryable) while another worker runs it. */
  execute(approval: ActionApproval, options?: ExecuteOptions): Promise<ActionExecution>;
  /** The record of a call, by its id (`<turnId>:<step>:<index>`). */
  get(callId: string): Promise<ActionRecord | null>;
  /**
   * Record an approval without running it (a reviewer's, in the review service's process): the
   * worker that goes on with the turn runs it with `resume`. Throws `tools.not-approved` without
   * an issued approval. A call that started already keeps its first approval.
   */
  record(approval: ActionApproval): Promise<ActionRecord>;
  /**
   * Go on with a recorded call (after a crash, or a reviewer's recorded approval): approved runs;
   * started reruns when safe, else outcome-unknown; done and failed give their recorded result.
   * Null when the call has no record (nothing was approved and recorded: nothing ran).
   */
  resume(callId: string, options?: ExecuteOptions): Promise<ActionExecution | null>;
  /**
   * A human's answer for an unknown outcome: the call took effect (`done`) or did not
   * (`failed`). Throws `tools.not-unknown` when the record's outcome is not unknown.
   */
  resolveUnknown(callId: string, resolution: { outcome: 'done' | 'failed'; reviewer: Reviewer; note?: string }): Promise<ActionRecord>;
}

const OUTCOME_UNKNOWN: ToolFailure = Object.freeze({
  ok: false as const,
  code: 'outcome-unknown' as const,
  error: 'the call started before an interruption and its outcome is unknown; it is not run again without a human',
});

const parseJson = <T>(text: string | undefined, fallback: T): T => {
  if (text === undefined) return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
};
const optionalNumber = (text: string | undefined) => (text === undefined ? undefined : Number(text));

function parseRecord(hash: Record<string, string>): ActionRecord | null {
  if (!hash.state) return null;
  const record: ActionRecord = {
    callId: hash.callId ?? '',
    turnId: hash.turnId ?? '',
    step: Number(hash.step ?? 0),
    index: Number(hash.index ?? 0),
    state: hash.state as ActionState,
    tool: hash.tool ?? '',
    source: hash.source ?? '',
    sourceName: hash.sourceName ?? '',
    arguments: parseJson(hash.arguments, {}),
    effect: hash.effect === 'read' ? 'read' : 'write',
    idempotent: hash.idempotent === '1',
    approvedBy: parseJson<ActionApprovalSource>(hash.approvedBy, { kind: 'critic', decision: 'approve' }),
    idempotencyKey: hash.key ?? '',
    approvedAt: Number(hash.approvedAt ?? 0),
    attempts: Number(hash.attempts ?? 0),
    ...(hash.startedAt ? { startedAt: Number(hash.startedAt) } : {}),
    ...(hash.result ? { result: parseJson<ToolResult>(hash.result, OUTCOME_UNKNOWN) } : {}),
    ...(hash.finishedAt ? { finishedAt: optionalNumber(hash.finishedAt)! } : {}),
    ...(hash.unknownAt ? { unknownAt: optionalNumber(hash.unknownAt)! } : {}),
    ...(hash.resolution ? { resolution: parseJson(hash.resolution, undefined) } : {}),
  };
  return record;
}

/**
 * A result cut to `maxBytes` of JSON: text kept from the start, a note saying how much there
 * was; other content blocks and structured output dropped when it does not fit.
 */
export function capResult(result: ToolResult, maxBytes: number): ToolResult {
  const size = Buffer.byteLength(JSON.stringify(result));
  if (size <= maxBytes) return result;
  const texts = (result.content ?? []).map((block) => (block.type === 'text' && typeof block.text === 'string' ? block.text : `[${block.type} content]`)).join('\n');
  const whole = result.ok ? texts || JSON.stringify(result.structured ?? null) : `${result.error}\n${texts}`;
  const budget = Math.max(256, maxBytes - 512);
  let kept = whole.slice(0, budget);
  while (Buffer.byteLength(kept) > budget) kept = kept.slice(0, Math.floor(kept.length * 0.9));
  const note = `\n[cut: the result was ${size} bytes; the first ${Buffer.byteLength(kept)} are kept]`;
  const content: ToolContent[] = [{ type: 'text', text: kept + note }];
  return result.ok ? { ok: true, content } : { ok: false, code: result.code, error: result.error.slice(0, 2000), content };
}

export function createActionLedger(options: ActionLedgerOptions): ActionLedger {
  const redis: LedgerRedis = defineLedgerCommands(options.redis);
  const { keys, registry } = options;
  const logger = options.logger.child({ component: 'action-ledger' });
  const retentionSeconds = options.retentionSeconds ?? RETENTION_DEFAULTS.turnSeconds;
  const resolvedRetentionSeconds = options.resolvedRetentionSeconds ?? RETENTION_DEFAULTS.reviewedTurnSeconds;
  const callTimeoutMs = options.callTimeoutMs ?? 30_000;
  const leaseMarginMs = options.leaseMarginMs ?? 10_000;
  const maxResultBytes = options.maxResultBytes ?? 64 * 1024;
  const owner = `${process.pid}-${randomBytes(6).toString('hex')}`;
  /** Calls this ledger is executing now: a second execute of one of them is busy, not a takeover. */
  const running = new Set<string>();

  const transition = async (event: LedgerTransition) => {
    await options.onTransition?.(event);
  };

  async function load(callId: string): Promise<ActionRecord> {
    const record = parseRecord(await redis.hgetall(keys.action(callId)));
    if (!record) throw new CountersignError('tools.ledger-missing', `the ledger record of ${callId} is gone`, {  });
    return record;
  }

  /** The recorded outcome of a finished record, given back without running anything. */
  async function recorded(record: ActionRecord): Promise<ActionExecution> {
    await transition({ type: 'reused', callId: record.callId, record });
    const result = record.result ?? { ok: false, code: 'tool-error', error: 'the recorded result is unreadable' };
    return result.ok ? { status: 'done', result, reused: true, record } : { status: 'failed', result, reused: true, record };
  }

  async function unknown(record: ActionRecord): Promise<ActionExecution> {
    logger.warn(
      { callId: record.callId, tool: record.tool, source: record.source, attempts: record.attempts },
      `tool call ${record.callId} (${record.sourceName} of ${record.source}) started and recorded no outcome; it is not idempotent, so it is not run again: a human must decide`,
    );
    await transition({ type: 'unknown', callId: record.callId, record });
    return { status: 'outcome-unknown', result: OUTCOME_UNKNOWN, record };
  }

  /** Record an approval (once: a started call keeps the approval that ran); the record's state. */
  async function recordApproval(approval: ActionApproval): Promise<ActionState> {
    const key = keys.action(approval.callId);
    const rerunSafe = approval.effect === 'read' || approval.idempotent;
    const [state, status] = await redis.csRecordAction(
      key,
      JSON.stringify(approval.arguments),
      `cs:${approval.callId}:${randomBytes(16).toString('base64url')}`,
      Date.now(),
      retentionSeconds,
      ...['callId', approval.callId, 'turnId', approval.turnId, 'step', String(approval.step), 'index', String(approval.index)],
      ...['tool', approval.tool, 'source', approval.source, 'sourceName', approval.sourceName, 'effect', approval.effect],
      ...['idempotent', approval.idempotent ? '1' : '0', 'rerun', rerunSafe ? '1' : '0', 'approvedBy', JSON.stringify(approval.approvedBy)],
    );
    await transition({ type: 'recorded', callId: approval.callId, status: status as 'created' | 'replaced' | 'existing', state: state as ActionState });
    return state as ActionState;
  }

  async function run(approval: ActionApproval, executeOptions: ExecuteOptions): Promise<ActionExecution> {
    await recordApproval(approval);
    return proceed(approval.callId, executeOptions);
  }

  /** Run (or rerun, or report) a recorded call from its record: what an approval recorded is what runs. */
  async function proceed(callId: string, executeOptions: ExecuteOptions): Promise<ActionExecution> {
    const key = keys.action(callId);
    const current = parseRecord(await redis.hgetall(key));
    if (!current) throw new CountersignError('tools.ledger-missing', `the ledger record of ${callId} is gone`, {});
    if (current.state === 'done' || current.state === 'failed') return recorded(current);
    if (current.state === 'unknown') return unknown(current);
    const rerunSafe = current.effect === 'read' || current.idempotent;
    const timeoutMs = executeOptions.timeoutMs ?? callTimeoutMs;
    const [decision] = await redis.csBeginAction(key, owner, Date.now(), timeoutMs + leaseMarginMs);
    if (decision === 'busy') throw new CountersignError('tools.action-busy', `tool call ${callId} is being run by another worker`, {  });
    if (decision === 'missing') throw new CountersignError('tools.ledger-missing', `the ledger record of ${callId} expired before the call started`, {  });
    const record = await load(callId);
    if (decision === 'finished') return recorded(record);
    if (decision === 'unknown') return unknown(record);
    if (decision === 'rerun') logger.info({ callId: record.callId, attempt: record.attempts }, `tool call ${record.callId} started before and recorded no outcome; it is safe to repeat, so it runs again with the same idempotency key`);
    await transition({ type: 'started', callId: record.callId, rerun: decision === 'rerun', record });

    // What runs is what the record holds (the approval that was recorded), by the tool's source
    // and own name: a renamed tool (a clash appeared) is still the tool that was approved.
    const ref = { source: record.source, sourceName: record.sourceName };
    const tool = registry.find(ref);
    let result: ToolResult;
    if (record.approvedBy.kind === 'policy' && tool?.reviewedByCritic) {
      result = { ok: false, code: 'not-approved', error: `${tool.name} must now be reviewed before it runs (its effect or policy changed); nothing was run` };
    } else {
      result = await registry.call(ref, record.arguments, { idempotencyKey: record.idempotencyKey, signal: executeOptions.signal, timeoutMs });
    }
    result = capResult(result, maxResultBytes);
    await transition({ type: 'called', callId: record.callId, result, record });

    const finalState = result.ok ? 'done' : mayHaveRun(result) && !rerunSafe ? 'unknown' : 'failed';
    const written = await redis.csFinishAction(key, owner, finalState, JSON.stringify(result), Date.now(), retentionSeconds);
    const finished = await load(record.callId);
    if (written === 'stale') {
      // Another worker took the call over meanwhile (our lease ran out): its record stands.
      logger.warn({ callId: record.callId }, `tool call ${record.callId} finished after another worker took it over; the ledger keeps that worker's outcome`);
      if (finished.state === 'done' || finished.state === 'failed') return recorded(finished);
      if (finished.state === 'unknown') return unknown(finished);
      throw new CountersignError('tools.action-busy', `tool call ${record.callId} is being run by another worker`, {  });
    }
    await transition({ type: 'finished', callId: record.callId, state: finalState, record: finished });
    if (finalState === 'unknown') return unknown(finished);
    return result.ok ? { status: 'done', result, reused: false, record: finished } : { status: 'failed', result, reused: false, record: finished };
  }

  return {
    async execute(approval, executeOptions = {}) {
      // The boundary of invariant 1 for actions: nothing runs without an approval made by
      // src/tools/action-approval.ts (the critic's, a human's, or a read's that needs none).
      if (!isIssuedActionApproval(approval)) throw new CountersignError('tools.not-approved', 'refusing to run a tool call without an approval issued by src/tools/action-approval.ts');
      if (running.has(approval.callId)) throw new CountersignError('tools.action-busy', `tool call ${approval.callId} is already running here`, {  });
      running.add(approval.callId);
      try {
        return await run(approval, executeOptions);
      } finally {
        running.delete(approval.callId);
      }
    },

    async get(callId) {
      return parseRecord(await redis.hgetall(keys.action(callId)));
    },

    async record(approval) {
      if (!isIssuedActionApproval(approval)) throw new CountersignError('tools.not-approved', 'refusing to record a tool call without an approval issued by src/tools/action-approval.ts');
      await recordApproval(approval);
      return load(approval.callId);
    },

    async resume(callId, executeOptions = {}) {
      // Only a record can be resumed, and only execute and record write one, each from an
      // issued approval: what runs here is what an approval recorded.
      if (!(await redis.exists(keys.action(callId)))) return null;
      if (running.has(callId)) throw new CountersignError('tools.action-busy', `tool call ${callId} is already running here`, {});
      running.add(callId);
      try {
        return await proceed(callId, executeOptions);
      } finally {
        running.delete(callId);
      }
    },

    async resolveUnknown(callId, resolution) {
      const note = resolution.note?.trim() ? `: ${resolution.note.trim()}` : '';
      const result: ToolResult =
        resolution.outcome === 'done'
          ? { ok: true, content: [{ type: 'text', text: `A reviewer confirmed that the call took effect${note}.` }] }
          : { ok: false, code: 'tool-error', error: `A reviewer found that the call did not take effect${note}.` };
      const stored = { outcome: resolution.outcome, reviewer: resolution.reviewer, ...(resolution.note ? { note: resolution.note } : {}), at: Date.now() };
      const answer = await redis.csResolveAction(keys.action(callId), resolution.outcome, JSON.stringify(result), JSON.stringify(stored), Date.now(), resolvedRetentionSeconds);
      if (answer !== 'resolved') throw new CountersignError('tools.not-unknown', `tool call ${callId} is ${answer}, not waiting for a human's answer`);
      return load(callId);
    },
  };
}
