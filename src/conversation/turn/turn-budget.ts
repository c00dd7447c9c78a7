/**
 * The model-call budgets around a turn: its first draft and review are reserved in both budgets
 * at once (or the turn waits, or escalates, as configured); later calls are charged as they are
 * made, and reserved calls the turn did not make are given back.
 */
import { describeError } from '../../core/errors.js';
import { conversationKey } from '../../core/types.js';
import type { TurnEnd, TurnInProgress, TurnRunnerOptions } from './turn-context.js';
import type { SpendCalls } from './turn-drafting.js';
import type { TurnEscalation } from './turn-escalation.js';

/** Calls a turn reserves before it starts: its first draft and its first review. */
const RESERVED_CALLS = 2;

export interface TurnBudget {
  /** Run `work` within the budgets: it gets the function that counts its calls. */
  withinBudget(current: TurnInProgress, work: (spend: SpendCalls) => Promise<TurnEnd>): Promise<TurnEnd>;
}

export function createTurnBudget(options: Pick<TurnRunnerOptions, 'budget' | 'whenBudgetSpent' | 'events'>, escalation: TurnEscalation): TurnBudget {
  const budget = options.budget;
  return {
    async withinBudget(current, work) {
      if (!budget) return work(async () => {});
      const { turn, log } = current;
      const key = conversationKey(turn.conversation);
      const reserved = await budget.reserve(key, RESERVED_CALLS);
      if (!reserved.ok) {
        const action = options.whenBudgetSpent ?? 'wait';
        options.events?.budgetSpent?.(turn, reserved.scope, action);
        const what = `the ${reserved.scope === 'conversation' ? "conversation's" : "deployment's"} budget of ${reserved.limit} model calls is spent`;
        if (action === 'escalate') {
          await escalation.escalate({ current, escalation: { source: 'budget', reason: `${what} for now`, at: Date.now() } });
          return 'more';
        }
        // The turn stays in Redis as it is (drafting, nothing drafted); the conversation's one
        // job waits as a delayed job, so its order holds, and resumes the turn when it runs.
        // A little jitter keeps conversations waiting on the global budget from all waking at once.
        const waitMs = reserved.retryInMs + Math.floor(Math.random() * Math.min(1000, reserved.retryInMs / 10 + 1));
        log.warn({ scope: reserved.scope, limit: reserved.limit, waitMs }, `${what}; the turn waits`);
        return { waitMs };
      }
      let reservedCalls = RESERVED_CALLS;
      /** Count the calls a turn makes: the reservation first, then the budgets. */
      const spend: SpendCalls = async (calls) => {
        const fromReservation = Math.min(reservedCalls, calls);
        reservedCalls -= fromReservation;
        await budget.charge(key, calls - fromReservation);
      };
      try {
        return await work(spend);
      } finally {
        if (reservedCalls > 0) await budget.refund(key, reservedCalls).catch((error: unknown) => log.warn({ err: describeError(error) }, 'could not refund reserved model calls'));
      }
    },
  };
}
