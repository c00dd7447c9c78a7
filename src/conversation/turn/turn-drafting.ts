/**
 * The critic step: the actor drafts, the deterministic checks look first, the critic reviews,
 * and every text the critic would let out goes through the gate before it is approved. Redraft
 * on `revise` (bounded), fold in messages that arrived meanwhile (bounded), escalate on
 * `escalate`, a failure, or a rule.
 */
import { describeError } from '../../core/errors.js';
import type { GateDecision } from '../../core/conversation-ports.js';
import type { ModelToolCall } from '../../core/ports.js';
import type { Draft, Verdict } from '../../core/types.js';
import { type Approval, approveByCritic } from '../../delivery/approval.js';
import { fitTurnMessages } from '../history.js';
import type { TurnEnd, TurnInProgress, TurnRunnerOptions } from './turn-context.js';
import type { TurnDelivery } from './turn-delivery.js';
import type { TurnEscalation } from './turn-escalation.js';
import type { TurnTools } from './turn-tools.js';

/** Counts the model calls a turn makes against its budgets. */
export type SpendCalls = (calls: number) => Promise<void>;

export interface TurnDrafting {
  /** Draft, review, redraft and fold until the turn is approved (and delivered) or escalated. */
  draftAndReview(current: TurnInProgress, spend: SpendCalls): Promise<TurnEnd>;
}

export function createTurnDrafting(
  options: Pick<TurnRunnerOptions, 'actor' | 'critic' | 'gate' | 'events' | 'prompt' | 'maxRevisions'>,
  steps: { delivery: TurnDelivery; escalation: TurnEscalation; tools?: TurnTools },
): TurnDrafting {
  const { delivery, escalation, tools } = steps;

  /**
   * The one gate of every text the critic step approves: every check and every rule on the
   * approval's exact text, the author named (the actor's draft or redraft, or the critic's edit).
   */
  function gateApproval(current: TurnInProgress, approval: Approval, verdict: Verdict): GateDecision | null {
    const author = approval.source.kind === 'critic' && approval.source.decision === 'edit' ? 'critic' : 'actor';
    return options.gate?.beforeApproval?.(current.turn, { text: approval.text, author, verdict }, current.gateContext) ?? null;
  }

  /** What this round's requests carry of the turn: the newest messages within turn.prompt. */
  function shownMessages(current: TurnInProgress) {
    const { turn, log } = current;
    // Every message stays in the turn (and goes into the history); only the requests are cut.
    const shown = options.prompt ? fitTurnMessages(turn.messages, options.prompt) : { messages: turn.messages, cut: null };
    if (shown.cut) log.warn({ cutMessages: shown.cut.messages, cutCharacters: shown.cut.characters, shownMessages: shown.messages.length }, 'older messages of the turn were cut from the model requests');
    return shown;
  }

  async function escalateFor(current: TurnInProgress, source: 'actor-failure' | 'critic-failure' | 'critic' | 'revise-limit', reason: string): Promise<TurnEnd> {
    await escalation.escalate({ current, escalation: { source, reason, at: Date.now() } });
    return 'more';
  }

  return {
    async draftAndReview(current, spend) {
      const { turn, history, gateContext, log } = current;
      delivery.setWorking(turn, true, log);
      // A turn back from a human's decision on a tool call, or one a crash left mid-step: finish that step first.
      if (tools) {
        const resumed = await tools.resume(current, spend);
        if (resumed) return resumed;
      }
      let revision: { previousDraft: string; feedback: string } | undefined;
      for (;;) {
        const shown = shownMessages(current);
        const cut = shown.cut ? { cut: shown.cut } : {};
        let draftText: string;
        let toolCalls: ModelToolCall[] | undefined;
        try {
          if (shown.cut) options.events?.promptCut?.(turn, 'actor', shown.cut);
          const offered = tools?.offer(turn);
          const drafted = await options.actor.draft({
            history,
            messages: shown.messages,
            ...cut,
            ...(revision ? { revision } : {}),
            ...(offered ? { tools: offered.tools, toolChoice: offered.toolChoice } : {}),
            ...(turn.toolSteps?.length ? { toolSteps: turn.toolSteps } : {}),
          });
          options.events?.modelCall?.('actor', drafted.latencyMs);
          draftText = drafted.text;
          toolCalls = drafted.toolCalls;
        } catch (error) {
          await spend(1);
          return escalateFor(current, 'actor-failure', `the actor could not draft a reply: ${describeError(error)}`);
        }
        await spend(1);
        // The actor called tools instead of replying: one step of the agent loop, then ask it again.
        if (toolCalls?.length && tools) {
          const ended = await tools.runStep(current, { text: draftText, toolCalls }, spend);
          if (ended) return ended;
          continue;
        }
        const draft: Draft = { text: draftText, at: Date.now(), answers: turn.messages.length, ...(revision ? { feedback: revision.feedback } : {}) };
        turn.drafts = [...turn.drafts, draft];

        const checked = options.gate?.beforeCritic?.(turn, draftText, gateContext);
        if (checked) return escalation.applyGate(current, checked);

        if (shown.cut) options.events?.promptCut?.(turn, 'critic', shown.cut);
        const toolResults = tools?.callsForCritic(turn) ?? [];
        const outcome = await options.critic.review(
          { history, messages: shown.messages, draft: draftText, ...cut, ...(toolResults.length ? { toolCalls: toolResults } : {}) },
          (failure) => log.warn({ failure }, 'critic failed; retrying once'),
        );
        await spend(outcome.attempts);
        options.events?.modelCall?.('critic', outcome.latencyMs);
        if (!outcome.ok) {
          // A rule may still block a turn whose critic failed; nothing may approve it.
          const blocked = options.gate?.afterCritic?.(turn, draftText, null, gateContext);
          if (blocked?.action === 'block') return escalation.applyGate(current, blocked);
          return escalateFor(current, 'critic-failure', outcome.failure);
        }
        const verdict = outcome.verdict;
        draft.verdict = verdict;
        turn.verdict = verdict;
        options.events?.verdict?.(turn, verdict);
        log.info({ decision: verdict.decision, categories: verdict.categories, confidence: verdict.confidence, attempts: outcome.attempts }, 'critic verdict');

        if (verdict.decision === 'approve' || verdict.decision === 'edit') {
          const approval = approveByCritic(turn, verdict, draftText);
          // The gate runs on the approval's own text (the draft the critic approved, or its
          // edit): what is checked is exactly what would be posted, whoever wrote it.
          const gated = gateApproval(current, approval, verdict);
          if (gated) return escalation.applyGate(current, gated);
          const result = await delivery.approveAndDeliver({ turn, approval, log });
          if (result === 'stale') {
            log.info({ folds: turn.folds }, 'messages arrived during the turn; redrafting with them');
            revision = undefined;
            continue;
          }
          return result === 'drained' ? 'drained' : 'more';
        }

        // Nothing is approved (revise, escalate): the rules may still block or escalate the turn.
        const ruled = options.gate?.afterCritic?.(turn, draftText, verdict, gateContext);
        if (ruled) return escalation.applyGate(current, ruled);
        if (verdict.decision === 'escalate') return escalateFor(current, 'critic', verdict.reason);
        if (turn.revisions >= options.maxRevisions) {
          return escalateFor(current, 'revise-limit', `the critic still asked for a redraft after ${turn.revisions} revisions: ${verdict.feedback}`);
        }
        turn.revisions += 1;
        revision = { previousDraft: draftText, feedback: verdict.feedback! };
      }
    },
  };
}
