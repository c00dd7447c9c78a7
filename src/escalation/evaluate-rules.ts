/**
 * The escalation rule evaluator: a pure function of a turn, the critic's verdict and the rules,
 * run after the critic on every verdict.
 *
 * Semantics, which README promises:
 * - Rules are tried in file order and the first rule whose `when` holds decides (its action and
 *   options apply). Put `block` rules before broader `escalate` rules.
 * - Rules only make a turn stricter. Their actions are `escalate` and `block`; there is no action
 *   that approves, so a critic `escalate` (or a critic failure, `verdict: null`) stays escalated
 *   unless a rule blocks it. Strictness: approve/edit/revise < escalate < block.
 * - Conditions about the verdict (`decision`, `categories`, `confidenceBelow`) never hold without
 *   a verdict, so a rule like `not: {decision: approve}` does fire on a critic failure.
 */
import type { Platform, Turn, Verdict, VerdictDecision } from '../core/types.js';
import { currentDraft } from '../core/types.js';
import type { ConversationMode, Rule, RuleCondition, RulePattern } from '../core/rule-schema.js';

/** What the rules look at: a turn and the facts around it. */
export interface RuleTurn {
  platform: Platform;
  /** The channel's id (Slack/Discord channel), or null where there is none (web chat). */
  channel: string | null;
  /** Ids and display names of the users whose messages the turn answers. */
  users: string[];
  /** The text of the user messages the turn answers, joined by newlines. */
  userText: string;
  /**
   * The text the rules look at: the text about to be posted (the actor's draft or redraft the
   * critic approved, the critic's edit, a reviewer's text), or the draft under review when
   * nothing is about to be posted; null when the actor produced none.
   */
  draft: string | null;
  /** Redrafts the critic asked for in this turn so far. */
  revisions: number;
  /** Turns in the conversation so far, this one included (1 for the first). */
  turnsInConversation: number;
}

export interface RuleTurnContext {
  /** Turns in the conversation so far, this one included. */
  turnsInConversation: number;
  /**
   * The channel id; by default the conversation route's `channel` (Slack, Discord), else null.
   */
  channel?: string | null;
  /** The text the rules look at; by default the turn's current draft (see RuleTurn.draft). */
  draft?: string | null;
}

/** The facts of a stored turn, as the rules see them. */
export function ruleTurnFromTurn(turn: Pick<Turn, 'conversation' | 'messages' | 'drafts' | 'revisions'>, context: RuleTurnContext): RuleTurn {
  const users = new Set<string>();
  for (const message of turn.messages) {
    users.add(message.user.id);
    if (message.user.name) users.add(message.user.name);
  }
  const route = turn.conversation.route ?? {};
  return {
    platform: turn.conversation.platform,
    channel: context.channel !== undefined ? context.channel : (route.channel ?? route.channelId ?? null),
    users: [...users],
    userText: turn.messages.map((message) => message.text).join('\n'),
    draft: context.draft !== undefined ? context.draft : currentDraft(turn),
    revisions: turn.revisions,
    turnsInConversation: context.turnsInConversation,
  };
}

/** Whether a condition held, and the facts that made it so (or not). */
export interface ConditionResult {
  matched: boolean;
  because: string[];
}

export interface RuleTrace {
  rule: string;
  matched: boolean;
  because: string[];
}

/** What the rules made of a turn. */
export interface RuleDecision {
  /** `none`: no rule fired and the critic's verdict stands. */
  action: 'none' | 'escalate' | 'block';
  /** The rule that decided (the first whose condition held), or null. */
  rule: string | null;
  /** Its 0-based position in `rules:`. */
  ruleIndex: number | null;
  /** One line for logs, the audit log and reviewers: `rule "x": user text matches /lawyer/i ("lawyer")`. */
  reason: string;
  /** The facts that made the deciding rule fire (empty when none fired). */
  because: string[];
  /**
   * The turn's outcome after critic and rules: the critic's decision when no rule fired
   * (`escalate` when there is no verdict: a critic failure never approves), else the rule's action.
   */
  outcome: VerdictDecision | 'block';
  /** escalate: the rule's holding message (`''` posts nothing); absent: the configured one. */
  holdingMessage?: string;
  /** escalate: the reviewers to notify; absent: everyone. */
  reviewers?: string[];
  /** block: the canned reply posted instead of the draft. */
  reply?: string;
  /** The rule's `conversation`; absent: the configured default. */
  conversation?: ConversationMode;
  /** Every rule whose condition held, in order (the first decided), for `countersign rules test`. */
  matched: string[];
  /** Every rule with whether it held and why, for `countersign rules test`. */
  trace: RuleTrace[];
}

const quote = (text: string) => JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}...` : text);
const list = (values: readonly string[]) => values.join(', ');

function matchPatterns(what: string, text: string | null, patterns: RulePattern[]): ConditionResult {
  if (text === null) return { matched: false, because: [`no ${what}`] };
  for (const pattern of patterns) {
    const found = pattern.regex.exec(text);
    if (found) return { matched: true, because: [`${what} matches ${pattern.source} (${quote(found[0])})`] };
  }
  return { matched: false, because: [`${what} matches none of ${list(patterns.map((pattern) => pattern.source))}`] };
}

function leaf(field: keyof RuleCondition, condition: RuleCondition, turn: RuleTurn, verdict: Verdict | null): ConditionResult {
  switch (field) {
    case 'decision': {
      const wanted = condition.decision!;
      if (!verdict) return { matched: false, because: ['no critic verdict'] };
      return wanted.includes(verdict.decision)
        ? { matched: true, because: [`critic decided ${verdict.decision}`] }
        : { matched: false, because: [`critic decided ${verdict.decision}, not ${list(wanted)}`] };
    }
    case 'categories': {
      if (!verdict) return { matched: false, because: ['no critic verdict'] };
      const have = new Set(verdict.categories.map((category) => category.toLowerCase()));
      const because: string[] = [];
      const { any, all } = condition.categories!;
      if (any) {
        const hit = any.find((category) => have.has(category.toLowerCase()));
        if (hit === undefined) return { matched: false, because: [`categories [${list(verdict.categories)}] include none of ${list(any)}`] };
        because.push(`categories include ${hit}`);
      }
      if (all) {
        const missing = all.filter((category) => !have.has(category.toLowerCase()));
        if (missing.length) return { matched: false, because: [`categories [${list(verdict.categories)}] lack ${list(missing)}`] };
        because.push(`categories include all of ${list(all)}`);
      }
      return { matched: true, because };
    }
    case 'confidenceBelow': {
      const threshold = condition.confidenceBelow!;
      if (!verdict) return { matched: false, because: ['no critic verdict'] };
      return verdict.confidence < threshold
        ? { matched: true, because: [`confidence ${verdict.confidence} < ${threshold}`] }
        : { matched: false, because: [`confidence ${verdict.confidence} is not below ${threshold}`] };
    }
    case 'userText':
      return matchPatterns('user text', turn.userText, condition.userText!);
    case 'draft':
      return matchPatterns('draft', turn.draft, condition.draft!);
    case 'platform': {
      const wanted = condition.platform!;
      return wanted.includes(turn.platform)
        ? { matched: true, because: [`platform is ${turn.platform}`] }
        : { matched: false, because: [`platform is ${turn.platform}, not ${list(wanted)}`] };
    }
    case 'channel': {
      const wanted = condition.channel!;
      if (turn.channel === null) return { matched: false, because: ['no channel'] };
      return wanted.includes(turn.channel)
        ? { matched: true, because: [`channel is ${turn.channel}`] }
        : { matched: false, because: [`channel is ${turn.channel}, not ${list(wanted)}`] };
    }
    case 'user': {
      const wanted = condition.user!;
      const hit = turn.users.find((user) => wanted.includes(user));
      return hit !== undefined
        ? { matched: true, because: [`user is ${hit}`] }
        : { matched: false, because: [`users [${list(turn.users)}] include none of ${list(wanted)}`] };
    }
    case 'revisionsAtLeast': {
      const wanted = condition.revisionsAtLeast!;
      return turn.revisions >= wanted
        ? { matched: true, because: [`${turn.revisions} revisions >= ${wanted}`] }
        : { matched: false, because: [`${turn.revisions} revisions < ${wanted}`] };
    }
    case 'turnsAtLeast': {
      const wanted = condition.turnsAtLeast!;
      return turn.turnsInConversation >= wanted
        ? { matched: true, because: [`turn ${turn.turnsInConversation} of the conversation >= ${wanted}`] }
        : { matched: false, because: [`turn ${turn.turnsInConversation} of the conversation < ${wanted}`] };
    }
    case 'all': {
      const because: string[] = [];
      for (const child of condition.all!) {
        const result = evaluateCondition(child, turn, verdict);
        if (!result.matched) return result;
        because.push(...result.because);
      }
      return { matched: true, because };
    }
    case 'any': {
      const because: string[] = [];
      for (const child of condition.any!) {
        const result = evaluateCondition(child, turn, verdict);
        if (result.matched) return result;
        because.push(...result.because);
      }
      return { matched: false, because: [`no alternative held (${because.join('; ')})`] };
    }
    case 'not': {
      const result = evaluateCondition(condition.not!, turn, verdict);
      return { matched: !result.matched, because: [`not (${result.because.join('; ')})`] };
    }
  }
}

// Cheap facts first, so a failing rule's explanation names the simplest reason.
const ORDER: Array<keyof RuleCondition> = [
  'platform',
  'channel',
  'user',
  'decision',
  'categories',
  'confidenceBelow',
  'revisionsAtLeast',
  'turnsAtLeast',
  'userText',
  'draft',
  'all',
  'any',
  'not',
];

/** Whether `condition` holds for the turn and verdict: every field present must hold. */
export function evaluateCondition(condition: RuleCondition, turn: RuleTurn, verdict: Verdict | null): ConditionResult {
  const because: string[] = [];
  for (const field of ORDER) {
    if (condition[field] === undefined) continue;
    const result = leaf(field, condition, turn, verdict);
    if (!result.matched) return result;
    because.push(...result.because);
  }
  return { matched: true, because };
}

/**
 * Decide what the rules make of a turn after the critic's verdict (null: the critic failed).
 * The first rule whose condition holds decides; see the module comment for the semantics.
 */
export function evaluateRules(turn: RuleTurn, verdict: Verdict | null, rules: readonly Rule[]): RuleDecision {
  const trace: RuleTrace[] = rules.map((rule) => {
    const result = evaluateCondition(rule.when, turn, verdict);
    return { rule: rule.name, matched: result.matched, because: result.because };
  });
  const matched = trace.filter((entry) => entry.matched).map((entry) => entry.rule);
  const index = trace.findIndex((entry) => entry.matched);
  if (index === -1) {
    const outcome = verdict?.decision ?? 'escalate';
    const reason = verdict ? `no rule matched; the critic's ${verdict.decision} stands` : 'no rule matched; no critic verdict, so the turn stays escalated';
    return { action: 'none', rule: null, ruleIndex: null, reason, because: [], outcome, matched, trace };
  }
  const rule = rules[index]!;
  const because = trace[index]!.because;
  const base = {
    rule: rule.name,
    ruleIndex: index,
    reason: `rule ${JSON.stringify(rule.name)}: ${because.join('; ')}`,
    because,
    matched,
    trace,
    ...(rule.then.conversation ? { conversation: rule.then.conversation } : {}),
  };
  if (rule.then.action === 'block') return { ...base, action: 'block', outcome: 'block', reply: rule.then.reply };
  return {
    ...base,
    action: 'escalate',
    outcome: 'escalate',
    ...(rule.then.holdingMessage !== undefined ? { holdingMessage: rule.then.holdingMessage } : {}),
    ...(rule.then.reviewers ? { reviewers: rule.then.reviewers } : {}),
  };
}
