import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { ConversationRun, TurnRunner } from '../core/conversation-ports.js';
import type { ConversationRef, HistoryEntry, Platform, Turn } from '../core/types.js';
import { currentDraft } from '../core/types.js';
import { fitHistory, loadCounter } from './history.js';
import { createTurnBudget } from './turn/turn-budget.js';
import type { TurnEnd, TurnRunnerOptions } from './turn/turn-context.js';
import { createTurnDelivery } from './turn/turn-delivery.js';
import { createTurnDrafting } from './turn/turn-drafting.js';
import { createTurnEscalation } from './turn/turn-escalation.js';
import { createTurnTools } from './turn/turn-tools.js';

export type { TurnEvents, TurnRunnerOptions } from './turn/turn-context.js';
export type { ConversationRun, TurnRunner };

/** A turn a reviewer resolved over one of its tool calls, not yet taken up by the agent loop. */
function awaitsToolDecision(turn: Turn): boolean {
  const action = turn.escalation?.action;
  return action !== undefined && !action.decided && turn.resolution !== undefined && (turn.status === 'approved' || turn.status === 'rejected');
}

export function newTurnId(): string {
  return `${Date.now().toString(36)}${randomBytes(5).toString('hex')}`;
}

/**
 * The turn state machine. One call runs a conversation until its inbox is empty or it is held:
 * deliver what was approved, resume what a crash interrupted, take the inbox into a new turn,
 * draft, review, redraft, fold late messages in, and post or escalate. Every step's state is in
 * Redis first, so a worker killed at any point leaves a turn another worker can finish.
 *
 * The steps live in `turn/`: drafting (the critic step), delivery, escalation, the budgets.
 */
export function createTurnRunner(options: TurnRunnerOptions): TurnRunner & { currentDraft: typeof currentDraft } {
  const { store, logger } = options;
  const countPromise = loadCounter(options.history.unit);
  const delivery = createTurnDelivery(options);
  const escalation = createTurnEscalation(options, delivery);
  const tools = options.tools ? createTurnTools(options, options.tools, escalation) : undefined;
  const drafting = createTurnDrafting(options, { delivery, escalation, ...(tools ? { tools } : {}) });
  const budget = createTurnBudget(options, escalation);

  /** Draft, review and decide a turn, within the model-call budgets. */
  async function runTurn(turn: Turn, storedHistory: HistoryEntry[], log: Logger, turnsBefore: number): Promise<TurnEnd> {
    const history = fitHistory(storedHistory, options.history.budget, await countPromise);
    const current = { turn, history, gateContext: { history, turnsInConversation: turnsBefore + 1 }, log };
    return budget.withinBudget(current, (spend) => drafting.draftAndReview(current, spend));
  }

  return {
    async runConversation(key, control = {}): Promise<ConversationRun> {
      let handled = 0;
      let modelTurns = 0;
      const ref = control.conversation ?? ({ platform: key.split(':')[0] as Platform, id: key.slice(key.indexOf(':') + 1) } satisfies ConversationRef);
      const ended = (end: TurnEnd): ConversationRun | null => (end === 'drained' ? { handled } : typeof end === 'object' ? { handled, delayMs: end.waitMs } : null);
      for (;;) {
        // On shutdown, stop between turns; the caller hands the conversation back to the queue.
        if (control.shouldStop?.()) return { handled };
        const begin = await store.beginTurn(key, newTurnId(), JSON.stringify(ref));
        if (begin.kind === 'empty') return { handled };
        const log = logger.child({ conversation: key, turn: begin.turnId });
        if (begin.kind === 'held') {
          const held = await store.loadTurn(begin.turnId);
          if (held?.status === 'escalated') {
            await escalation.announce(held, log);
            return { handled };
          }
          if (!held) {
            // A hold on a turn that is gone cannot be decided by anyone: say so, and leave it be
            // rather than loop on it (an operator clears it; the data model names the key).
            log.error('the conversation is held by a turn that does not exist');
            return { handled };
          }
          await delivery.completeResolved({ turn: held, detached: false, log });
          continue;
        }
        handled++;
        if (begin.kind === 'ready') {
          const turn = await store.loadTurn(begin.turnId);
          if (turn) await delivery.completeResolved({ turn, detached: true, log });
          continue;
        }
        if (begin.kind === 'new') {
          // Fairness: this job ran its share of model turns; the new turn (already in Redis,
          // nothing drafted) waits for the conversation's next job, at the back of the queue.
          if (options.turnsPerJob !== undefined && modelTurns >= options.turnsPerJob) {
            log.debug({ turns: modelTurns }, 'handing the conversation back so other conversations get a turn');
            options.events?.handedBack?.(key);
            return { handled: handled - 1, handBack: true };
          }
          modelTurns++;
          const now = Date.now();
          const turn: Turn = { id: begin.turnId, conversation: begin.messages[0]?.conversation ?? ref, messages: begin.messages, status: 'drafting', drafts: [], revisions: 0, folds: 0, createdAt: now, updatedAt: now };
          log.debug({ messages: begin.messages.length }, 'turn started');
          const end = ended(await runTurn(turn, begin.history, log, begin.turns));
          if (end) return end;
          continue;
        }
        // resume: a turn interrupted by a crash, a retry, handed back, waiting for a budget, or
        // resolved by a reviewer.
        const turn = await store.loadTurn(begin.turnId);
        if (!turn) {
          log.error('the conversation points at a turn that does not exist; releasing it');
          await store.finalize({ conversation: key, turnId: begin.turnId, status: 'rejected', entries: [], detached: false });
          continue;
        }
        // A turn whose held tool call a reviewer decided goes on with its agent loop; any other
        // resolved turn is delivered.
        if (turn.status !== 'drafting' && !awaitsToolDecision(turn)) {
          await delivery.completeResolved({ turn, detached: false, log });
          continue;
        }
        if (awaitsToolDecision(turn)) log.info({ tool: turn.escalation?.action?.tool, decision: turn.resolution?.decision }, 'going on with a turn after a reviewer decided its tool call');
        else if (turn.toolSteps?.length) log.info({ steps: turn.toolSteps.length }, 'resuming an interrupted turn with its tool steps');
        else if (turn.drafts.length) log.info({ drafts: turn.drafts.length }, 'resuming an interrupted turn from the start of its review');
        else log.debug('starting a turn that waited (handed back, or for a model-call budget)');
        modelTurns++;
        // Nothing of a drafting turn was posted: draft and review it again from scratch. The
        // stored turn names its conversation by key only; its messages carry the route.
        const resumed: Turn = { ...turn, conversation: turn.messages[0]?.conversation ?? turn.conversation, drafts: [], revisions: 0 };
        delete resumed.verdict;
        const end = ended(await runTurn(resumed, begin.history, log, begin.turns));
        if (end && end.delayMs !== undefined) return end;
      }
    },
    currentDraft,
  };
}
