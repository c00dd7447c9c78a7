/**
 * The end of a turn: record an approval (or fold late messages in), deliver it through the
 * outbox, close the turn into the history. The outbox is the one path to a platform's send.
 */
import type { Logger } from 'pino';
import type { ApproveResult } from '../../core/conversation-ports.js';
import { conversationKey, type HistoryEntry, type InboundMessage, type ToolStep, type Turn } from '../../core/types.js';
import { type Approval, approvalFields } from '../../delivery/approval.js';
import type { TurnEnd, TurnRunnerOptions } from './turn-context.js';

function recordOf(fields: string[]): Record<string, string> {
  const record: Record<string, string> = {};
  for (let index = 0; index < fields.length; index += 2) record[fields[index]!] = fields[index + 1]!;
  return record;
}

/**
 * Characters of a tool result kept in the history: later turns see what a call answered, not
 * pages of it (the whole result stays in the turn and the action ledger).
 */
export const HISTORY_TOOL_RESULT_CHARS = 2000;

/** A turn's tool calls as history entries: each call with its result (cut, with a note saying so). */
export function toolHistoryEntries(steps: readonly ToolStep[] | undefined): HistoryEntry[] {
  return (steps ?? []).flatMap((step) =>
    step.calls.flatMap((call): HistoryEntry[] => {
      if (!call.outcome) return [];
      const result = call.outcome.result;
      const text = result.length > HISTORY_TOOL_RESULT_CHARS ? `${result.slice(0, HISTORY_TOOL_RESULT_CHARS)}\n[cut: the result was ${result.length} characters; the first ${HISTORY_TOOL_RESULT_CHARS} are kept]` : result;
      return [{ role: 'tool', text, at: call.outcome.at, tool: call.name, arguments: call.outcome.ran ? JSON.stringify(call.outcome.ran) : call.arguments, callId: call.id }];
    }),
  );
}

function historyEntries(messages: InboundMessage[], reply: string | null, steps?: readonly ToolStep[]): HistoryEntry[] {
  const entries: HistoryEntry[] = messages.map((message) => ({ role: 'user', text: message.text, at: message.receivedAt, user: message.user.name ?? message.user.id }));
  entries.push(...toolHistoryEntries(steps));
  if (reply !== null) entries.push({ role: 'assistant', text: reply, at: Date.now() });
  return entries;
}

export interface TurnDelivery {
  /** Show or clear the platform's "working on it" signal; never throws. */
  setWorking(turn: Turn, working: boolean, log: Logger): void;
  /** Close the turn; 'drained' when nothing else waits in the conversation. */
  finish(options: { turn: Turn; reply: string | null; status: 'posted' | 'rejected'; detached: boolean; log: Logger }): Promise<TurnEnd>;
  /** Deliver an approved or rejected turn (after review, or after a crash) and close it. */
  completeResolved(options: { turn: Turn; detached: boolean; log: Logger }): Promise<void>;
  /** Persist the approval (or fold late messages in: 'stale') and deliver it. */
  approveAndDeliver(options: { turn: Turn; approval: Approval; log: Logger }): Promise<TurnEnd | 'stale' | 'gone'>;
  /** A blocked draft: the canned reply goes out instead; late messages wait for the next turn. */
  deliverInstead(options: { turn: Turn; approval: Approval; log: Logger }): Promise<void>;
}

export function createTurnDelivery(options: Pick<TurnRunnerOptions, 'store' | 'outbox' | 'adapters' | 'events' | 'maxFolds'>): TurnDelivery {
  const { store, outbox } = options;

  const setWorking: TurnDelivery['setWorking'] = (turn, working, log) => {
    const adapter = options.adapters.get(turn.conversation.platform);
    adapter?.setWorking?.(turn.conversation, turn.messages, working).catch((error: unknown) => log.debug({ err: error }, 'working indicator failed'));
  };

  const finish: TurnDelivery['finish'] = async ({ turn, reply, status, detached, log }) => {
    const conversation = conversationKey(turn.conversation);
    const closed = await store.finalize({ conversation, turnId: turn.id, status, entries: historyEntries(turn.messages, reply, turn.toolSteps), detached });
    const durationMs = Date.now() - turn.createdAt;
    options.events?.finished?.(turn, status, durationMs);
    log.info({ status, durationMs }, status === 'posted' ? 'turn posted' : 'turn closed without a post');
    return closed === 'drained' ? 'drained' : 'more';
  };

  /** Record the approval; on 'stale' the turn gets the late messages (its next draft answers them). */
  async function record(turn: Turn, approval: Approval, maxFolds: number): Promise<ApproveResult & { fields: string[] }> {
    const reply = { text: approval.text, source: approval.source };
    const fields = approvalFields(approval);
    const result = await store.approveIfFresh({
      conversation: conversationKey(turn.conversation),
      turnId: turn.id,
      maxFolds,
      answered: turn.messages.length,
      turnFields: { drafts: turn.drafts, verdict: turn.verdict, revisions: turn.revisions, reply },
      approval: { deliveryId: approval.deliveryId, fields },
    });
    return { ...result, fields };
  }

  return {
    setWorking,
    finish,
    async completeResolved({ turn, detached, log }) {
      if (turn.status === 'approved' || (turn.status === 'posted' && detached)) {
        await outbox.deliver(turn.id);
        await finish({ turn, reply: turn.reply?.text ?? null, status: 'posted', detached, log });
      } else if (turn.status === 'rejected') {
        await finish({ turn, reply: null, status: 'rejected', detached, log });
      }
      setWorking(turn, false, log);
    },
    async approveAndDeliver({ turn, approval, log }) {
      const result = await record(turn, approval, options.maxFolds);
      if (result.kind === 'stale') {
        turn.messages = [...turn.messages, ...result.messages];
        if (result.folded !== false) turn.folds += 1;
        return 'stale';
      }
      if (result.kind === 'gone') return 'gone';
      // The record was just written by the approval: hand it over rather than read it back.
      await outbox.deliver(approval.deliveryId, recordOf(result.fields));
      const end = await finish({ turn: { ...turn, status: 'approved', reply: { text: approval.text, source: approval.source } }, reply: approval.text, status: 'posted', detached: false, log });
      setWorking(turn, false, log);
      return end;
    },
    async deliverInstead({ turn, approval, log }) {
      // No folding: the canned reply answers what the turn held; late messages get a turn of their own.
      const result = await record(turn, approval, 0);
      if (result.kind !== 'approved') return;
      await outbox.deliver(approval.deliveryId);
      await finish({ turn: { ...turn, reply: { text: approval.text, source: approval.source } }, reply: approval.text, status: 'posted', detached: false, log });
      setWorking(turn, false, log);
    },
  };
}
