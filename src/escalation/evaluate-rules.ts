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
import type { ArgumentCondition, ConversationMode, Rule, RuleCondition, RulePattern } from '../core/rule-schema.js';

/** The tool call an action rule looks at. */
export interface RuleAction {
  /** The name offered to the actor. */
  tool: string;
  /** The tool's own name at its server. */
  sourceName: string;
  /** The MCP server's name, or `in-process`. */
  server: string;
  arguments: Record<string, unknown>;
}

/** The value at a dotted path of the arguments (list items by index), or undefined. */
export function argumentAt(args: Record<string, unknown>, path: string): unknown {
  let node: unknown = args;
  for (const key of path.split('.')) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

function testArgument(condition: ArgumentCondition, args: Record<string, unknown>): ConditionResult {
  const found = argumentAt(args, condition.path);
  const shown = `args.${condition.path}`;
  const value = found === undefined ? 'absent' : JSON.stringify(found);
  const operand = condition.operator === 'matches' ? (condition.value as RulePattern).source : JSON.stringify(condition.value);
  const held = (matched: boolean, text: string): ConditionResult => ({ matched, because: [matched ? text : `not (${text})`] });
  switch (condition.operator) {
    case 'exists':
      return held((found !== undefined) === condition.value, `${shown} is ${found === undefined ? 'absent' : 'present'}`);
    case 'eq':
      return held(sameJson(found, condition.value), `${shown} ${value} = ${operand}`);
    case 'ne':
      return held(!sameJson(found, condition.value), `${shown} ${value} != ${operand}`);
    case 'in':
      return held((condition.value as unknown[]).some((item) => sameJson(found, item)), `${shown} ${value} in ${operand}`);
    case 'matches': {
      if (typeof found !== 'string' && typeof found !== 'number') return { matched: false, because: [`${shown} is ${value}, not text`] };
      return held((condition.value as RulePattern).regex.test(String(found)), `${shown} ${value} matches ${operand}`);
    }
    default: {
      // A number written as text ("150") is compared as the number it says.
      const number = typeof found === 'number' ? found : typeof found === 'string' && found.trim() !== '' && Number.isFinite(Number(found)) ? Number(found) : null;
      if (number === null) return { matched: false, because: [`${shown} is ${value}, not a number`] };
      const limit = condition.value as number;
      const symbol = { gt: '>', gte: '>=', lt: '<', lte: '<=' }[condition.operator];
      const matched = condition.operator === 'gt' ? number > limit : condition.operator === 'gte' ? number >= limit : condition.operator === 'lt' ? number < limit : number <= limit;
      return held(matched, `${shown} ${number} ${symbol} ${limit}`);
    }
  }
}

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
  /** The tool call under review, for action rules; absent for replies (tool and args never hold). */
  action?: RuleAction;
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
    case 'tool': {
      const wanted = condition.tool!;
      const action = turn.action;
      if (!action) return { matched: false, because: ['no tool call'] };
      const names = [action.tool, action.sourceName, `${action.server}_${action.sourceName}`];
      const hit = wanted.find((name) => names.includes(name));
      return hit !== undefined ? { matched: true, because: [`tool is ${hit}`] } : { matched: false, because: [`tool ${action.tool} is none of ${list(wanted)}`] };
    }
    case 'args': {
      const action = turn.action;
      if (!action) return { matched: false, because: ['no tool call'] };
      const because: string[] = [];
      for (const condition_ of condition.args!) {
        const result = testArgument(condition_, action.arguments);
        if (!result.matched) return result;
        because.push(...result.because);
      }
      return { matched: true, because };
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
  'tool',
  'args',
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
