/**
 * The `rules:` and `checks:` sections of countersign.yaml: what operators write to send turns to
 * a human (`escalate`) or to replace a draft with a canned reply (`block`), evaluated after the
 * critic (rules) or before it (checks).
 *
 * `validateRules(raw, file)` and `validateChecks(raw, file)` turn the raw YAML values into typed,
 * compiled rules, or into a list of problems, one a line, each naming the file, the rule and the
 * field:
 *
 * ```text
 * countersign.yaml: rules[2] "refund-promises": when.any[0].draft: invalid regular expression /refund(/i: Unterminated group
 * countersign.yaml: rules[3] (unnamed): name: required
 * countersign.yaml: rules: must be a list of rules, found a mapping
 * countersign.yaml: checks.links.action: must be off, escalate or block (found "warn")
 * ```
 *
 * `rules[<index>]` is 0-based, the rule's name is quoted as written (`(unnamed)` when it has no
 * usable name), the field path uses `.` between keys and `[i]` for list items, and a problem with
 * the whole rule has no field path.
 */
import { z } from 'zod';
import type { Platform, VerdictDecision } from './types.js';
import { PERSONAL_DATA_KINDS, type PersonalDataKind } from './personal-data.js';

// ---------------------------------------------------------------------------------------------
// Types of validated rules
// ---------------------------------------------------------------------------------------------

/** A compiled regular expression and how the operator wrote it (for explanations). */
export interface RulePattern {
  /** As displayed: `/pattern/flags`. */
  source: string;
  regex: RegExp;
}

/**
 * A rule's condition. Every field that is present must hold (they are combined with AND); `all`,
 * `any` and `not` nest conditions. Fields about the verdict never hold when there is no verdict
 * (the critic failed).
 */
export interface RuleCondition {
  /** The critic's decision is one of these. */
  decision?: VerdictDecision[];
  /** The verdict's categories (compared case-insensitively). */
  categories?: { any?: string[]; all?: string[] };
  /** The verdict's confidence is strictly below this (0..1). */
  confidenceBelow?: number;
  /** One of these matches the text of the user messages the turn answers. */
  userText?: RulePattern[];
  /** One of these matches the draft under review. */
  draft?: RulePattern[];
  platform?: Platform[];
  /** The conversation's channel id is one of these. */
  channel?: string[];
  /** A user of the turn (id or display name) is one of these. */
  user?: string[];
  /** The actor redrafted at least this many times in this turn. */
  revisionsAtLeast?: number;
  /** The conversation has at least this many turns, this one included. */
  turnsAtLeast?: number;
  /**
   * A tool call: the tool is one of these (its name as offered, its own name, or
   * `<server>_<name>`). A rule with `tool` or `args` is an action rule: it is tried on tool calls
   * before they run, never on replies.
   */
  tool?: string[];
  /** Conditions on the call's arguments, each at a dotted path (`amount`, `passenger.tier`). */
  args?: ArgumentCondition[];
  all?: RuleCondition[];
  any?: RuleCondition[];
  not?: RuleCondition;
}

/** Comparisons an argument condition can make. */
export type ArgumentOperator = 'eq' | 'ne' | 'gt' | 'gte' | 'lt' | 'lte' | 'in' | 'matches' | 'exists';

/** One condition on a tool call's arguments: the value at `path` compared with `value`. */
export interface ArgumentCondition {
  /** The path as written (`amount`, `passenger.tier`, `items.0.id`). */
  path: string;
  operator: ArgumentOperator;
  /** A number for gt/gte/lt/lte, a list for in, a pattern for matches, a boolean for exists, any JSON value for eq/ne. */
  value: unknown;
}

/** True when a condition (or one nested in it) is about a tool call: an action rule. */
export function isActionCondition(condition: RuleCondition): boolean {
  if (condition.tool !== undefined || condition.args !== undefined) return true;
  return [...(condition.all ?? []), ...(condition.any ?? []), ...(condition.not ? [condition.not] : [])].some(isActionCondition);
}

/** What a conversation does while the turn waits: `hold` posts nothing else until a human resolves it. */
export type ConversationMode = 'hold' | 'continue';

export interface EscalateAction {
  action: 'escalate';
  /** Posted to the user instead of the configured holding message; `''` posts nothing. */
  holdingMessage?: string;
  /** Reviewers to notify (platform user ids or dashboard names), instead of everyone. */
  reviewers?: string[];
  /** Absent: the configured `review.holdConversation`. */
  conversation?: ConversationMode;
}

export interface BlockAction {
  action: 'block';
  /** The canned text posted instead of the draft. */
  reply: string;
  /** `hold`: after the canned reply, the turn also waits for a human and the conversation with it. */
  conversation?: ConversationMode;
}

export type RuleAction = EscalateAction | BlockAction;

export interface Rule {
  name: string;
  when: RuleCondition;
  then: RuleAction;
}

export type CheckAction = 'off' | 'escalate' | 'block';

interface CheckCommon {
  action: CheckAction;
  /** The canned reply when this check blocks; absent: `checks.blockReply`. */
  reply?: string;
}

/** The deterministic checks on a draft, run before the critic. */
export interface ChecksConfig {
  personalData: CheckCommon & {
    kinds: PersonalDataKind[];
    /** Addresses (`help@example.com`) or whole domains (`@example.com`) that are fine to share. */
    allowEmails: string[];
    /** Emails and phone numbers the user wrote themselves may be repeated (quoted) back to them. */
    allowFromUserText: boolean;
  };
  links: CheckCommon & {
    /** Hosts links may point to; each allows its subdomains too. */
    allowDomains: string[];
  };
  massMentions: CheckCommon;
  length: CheckCommon & { maxChars: number };
  /** The canned reply of a check that blocks without its own `reply`. */
  blockReply: string;
}

// ---------------------------------------------------------------------------------------------
// Schema
// ---------------------------------------------------------------------------------------------

export const VERDICT_DECISIONS: readonly VerdictDecision[] = ['approve', 'edit', 'revise', 'escalate'];
export const PLATFORMS: readonly Platform[] = ['web', 'slack', 'discord'];

export const DEFAULT_BLOCK_REPLY = "Sorry, I can't help with that here. A teammate will follow up if needed.";

const ALLOWED_FLAGS = new Set(['i', 'm', 's', 'u']);

/**
 * Compile an operator's pattern. `/pattern/flags` is a regular expression literal; anything else
 * is a pattern matched case-insensitively (what operators mean nine times in ten).
 * Throws an Error with a message fit for a problem line.
 */
export function compilePattern(written: string): RulePattern {
  if (written === '') throw new Error('must not be empty');
  const literal = /^\/(.+)\/([a-z]*)$/s.exec(written);
  const pattern = literal ? literal[1]! : written;
  const flags = literal ? literal[2]! : 'i';
  for (const flag of flags) {
    if (flag === 'g' || flag === 'y') throw new Error(`flag "${flag}" is not allowed in /${pattern}/${flags} (it makes matching depend on earlier matches)`);
    if (!ALLOWED_FLAGS.has(flag)) throw new Error(`unknown flag "${flag}" in /${pattern}/${flags} (use i, m, s or u)`);
  }
  try {
    return { source: `/${pattern}/${flags}`, regex: new RegExp(pattern, flags) };
  } catch (error) {
    // V8: "Invalid regular expression: /(/i: Unterminated group"
    const reason = (error as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, '');
    throw new Error(`invalid regular expression /${pattern}/${flags}: ${reason}`);
  }
}

/** An error message that says `required` when the field is missing. */
const requiredOr =
  (message: string) =>
  (issue: { input?: unknown }): string =>
    issue.input === undefined ? 'required' : message;

const stringList = (what: string) =>
  z.preprocess(
    (value) => (typeof value === 'string' ? [value] : value),
    z.array(z.string({ error: `must be ${what} or a list of them` }).min(1, 'must not be empty'), { error: `must be ${what} or a list of them` }).min(1, 'must list at least one'),
  );

const enumList = <T extends string>(values: readonly T[], what: string) => {
  const options = `${values.slice(0, -1).join(', ')} or ${values.at(-1)}`;
  return z.preprocess(
    (value) => (typeof value === 'string' ? [value] : value),
    z
      .array(
        z.string().refine((value) => (values as readonly string[]).includes(value), {
          error: (issue) => `must be ${options} (found ${JSON.stringify(issue.input)})`,
        }),
        { error: `must be ${what} or a list of them` },
      )
      .min(1, 'must list at least one'),
  ) as unknown as z.ZodType<T[]>;
};

/** A pattern or a list of patterns, compiled; every bad one is reported at its own path. */
const patternList = z.unknown().transform((value, context): RulePattern[] => {
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.length === 0) {
    context.addIssue({ code: 'custom', message: 'must be a pattern or a list of patterns' });
    return z.NEVER;
  }
  const compiled: RulePattern[] = [];
  list.forEach((item, index) => {
    const path = typeof value === 'string' ? [] : [index];
    if (typeof item !== 'string') {
      context.issues.push({ code: 'custom', message: 'must be a pattern (a string)', input: item, path });
      return;
    }
    try {
      compiled.push(compilePattern(item));
    } catch (error) {
      context.issues.push({ code: 'custom', message: (error as Error).message, input: item, path });
    }
  });
  return compiled;
});

const CONDITION_FIELDS = [
  'decision',
  'categories',
  'confidenceBelow',
  'userText',
  'draft',
  'platform',
  'channel',
  'user',
  'revisionsAtLeast',
  'turnsAtLeast',
  'tool',
  'args',
  'all',
  'any',
  'not',
] as const;

const ARGUMENT_OPERATORS: readonly ArgumentOperator[] = ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'in', 'matches', 'exists'];
const ARGUMENT_PATH = /^[A-Za-z0-9_$-]+(?:\.[A-Za-z0-9_$-]+)*$/;

/**
 * `args:` of a condition: a mapping of dotted paths to a value (equal to it) or to a mapping of
 * comparisons (`{ gt: 100 }`, `{ in: [a, b] }`, `{ matches: "/^vip/" }`, `{ exists: true }`);
 * several comparisons on one path must all hold.
 */
const argumentsSchema = z.unknown().transform((value, context): ArgumentCondition[] => {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || Object.keys(value).length === 0) {
    context.addIssue({ code: 'custom', message: 'must be a mapping of argument paths to a value or comparisons, e.g. { amount: { gt: 100 } }' });
    return z.NEVER;
  }
  const conditions: ArgumentCondition[] = [];
  for (const [path, wanted] of Object.entries(value)) {
    if (!ARGUMENT_PATH.test(path)) {
      context.issues.push({ code: 'custom', message: 'must be a dotted path of argument names (amount, passenger.tier)', input: path, path: [path] });
      continue;
    }
    const comparisons = wanted !== null && typeof wanted === 'object' && !Array.isArray(wanted) ? Object.entries(wanted) : [['eq', wanted] as [string, unknown]];
    if (comparisons.length === 0) context.issues.push({ code: 'custom', message: `name a comparison (${ARGUMENT_OPERATORS.join(', ')})`, input: wanted, path: [path] });
    for (const [operator, operand] of comparisons) {
      const at = [path, operator];
      if (!(ARGUMENT_OPERATORS as readonly string[]).includes(operator)) {
        context.issues.push({ code: 'custom', message: `unknown comparison; use ${ARGUMENT_OPERATORS.join(', ')}`, input: operator, path: at });
        continue;
      }
      if (['gt', 'gte', 'lt', 'lte'].includes(operator) && (typeof operand !== 'number' || !Number.isFinite(operand))) {
        context.issues.push({ code: 'custom', message: 'must be a number', input: operand, path: at });
        continue;
      }
      if (operator === 'in' && (!Array.isArray(operand) || operand.length === 0)) {
        context.issues.push({ code: 'custom', message: 'must be a list of values', input: operand, path: at });
        continue;
      }
      if (operator === 'exists' && typeof operand !== 'boolean') {
        context.issues.push({ code: 'custom', message: 'must be true or false', input: operand, path: at });
        continue;
      }
      if (operator === 'matches') {
        if (typeof operand !== 'string') {
          context.issues.push({ code: 'custom', message: 'must be a pattern (a string)', input: operand, path: at });
          continue;
        }
        try {
          conditions.push({ path, operator, value: compilePattern(operand) });
        } catch (error) {
          context.issues.push({ code: 'custom', message: (error as Error).message, input: operand, path: at });
        }
        continue;
      }
      conditions.push({ path, operator: operator as ArgumentOperator, value: operand });
    }
  }
  return conditions;
});

/** `args.amount: { gt: 100 }` written directly in a condition is the same as `args: { amount: { gt: 100 } }`. */
function liftArgumentPaths(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const entries = Object.entries(value);
  if (!entries.some(([key]) => key.startsWith('args.'))) return value;
  const lifted: Record<string, unknown> = {};
  const args: Record<string, unknown> = { ...((value as { args?: unknown }).args && typeof (value as { args?: unknown }).args === 'object' ? ((value as { args: Record<string, unknown> }).args) : {}) };
  for (const [key, item] of entries) {
    if (key.startsWith('args.')) args[key.slice('args.'.length)] = item;
    else if (key !== 'args') lifted[key] = item;
  }
  return { ...lifted, args };
}

const categoriesSchema = z.preprocess(
  (value) => (typeof value === 'string' || Array.isArray(value) ? { any: value } : value),
  z
    .strictObject(
      { any: stringList('a category').optional(), all: stringList('a category').optional() },
      { error: 'must be a category, a list of categories (any of them), or a mapping with any and/or all' },
    )
    .refine((value) => value.any || value.all, 'name categories under any and/or all'),
);

const conditionList = (): z.ZodType<RuleCondition[]> =>
  z.array(conditionSchema, { error: 'must be a list of conditions' }).min(1, 'must list at least one condition');

/** A rule's `when`. */
export const conditionSchema: z.ZodType<RuleCondition> = z.preprocess(liftArgumentPaths, z
  .strictObject(
    {
      decision: enumList(VERDICT_DECISIONS, 'a decision').optional(),
      categories: categoriesSchema.optional(),
      confidenceBelow: z
        .number({ error: 'must be a number between 0 and 1' })
        .min(0, 'must be a number between 0 and 1')
        .max(1, 'must be a number between 0 and 1')
        .optional(),
      userText: patternList.optional(),
      draft: patternList.optional(),
      platform: enumList(PLATFORMS, 'a platform').optional(),
      channel: stringList('a channel id').optional(),
      user: stringList('a user id or name').optional(),
      revisionsAtLeast: z.number({ error: 'must be a whole number, 0 or more' }).int('must be a whole number, 0 or more').min(0, 'must be a whole number, 0 or more').optional(),
      turnsAtLeast: z.number({ error: 'must be a whole number, 1 or more' }).int('must be a whole number, 1 or more').min(1, 'must be a whole number, 1 or more').optional(),
      tool: stringList('a tool name').optional(),
      args: argumentsSchema.optional(),
      get all() {
        return conditionList().optional();
      },
      get any() {
        return conditionList().optional();
      },
      get not() {
        return conditionSchema.optional();
      },
    },
    { error: requiredOr('must be a mapping of conditions') },
  )
  // Skipped when a field is wrong (an unknown field is not an empty condition).
  .refine((value) => CONDITION_FIELDS.some((field) => value[field] !== undefined), {
    message: `must name at least one condition (${CONDITION_FIELDS.join(', ')})`,
    when: (payload) => payload.issues.length === 0,
  })) as unknown as z.ZodType<RuleCondition>;

const conversationMode = z.enum(['hold', 'continue'], {
  error: (issue) => `must be hold or continue (found ${JSON.stringify(issue.input)})`,
});

/** A rule's `then`: `escalate`, `block`, or a mapping with `action` and its options. */
export const actionSchema: z.ZodType<RuleAction> = z.preprocess(
  (value) => (typeof value === 'string' ? { action: value } : value),
  z
    .strictObject(
      {
        action: z.enum(['escalate', 'block'], {
          error: (issue) => (issue.input === undefined ? 'required (escalate or block)' : `must be escalate or block (found ${JSON.stringify(issue.input)})`),
        }),
        holdingMessage: z.string({ error: 'must be a string ("" posts nothing)' }).optional(),
        reviewers: stringList('a reviewer').optional(),
        reply: z.string({ error: 'must be the text to post instead of the draft' }).min(1, 'must not be empty').optional(),
        conversation: conversationMode.optional(),
      },
      { error: requiredOr('must be escalate, block, or a mapping with action') },
    )
    .superRefine((value, context) => {
      if (value.action === 'block') {
        if (value.reply === undefined) context.addIssue({ code: 'custom', path: ['reply'], message: 'required: the text to post instead of the draft' });
        if (value.holdingMessage !== undefined) context.addIssue({ code: 'custom', path: ['holdingMessage'], message: 'only for escalate (block posts its reply)' });
        if (value.reviewers !== undefined) context.addIssue({ code: 'custom', path: ['reviewers'], message: 'only for escalate' });
      } else if (value.reply !== undefined) {
        context.addIssue({ code: 'custom', path: ['reply'], message: 'only for block (escalate posts the holding message)' });
      }
    })
    .transform((value): RuleAction => {
      const conversation = value.conversation ? { conversation: value.conversation } : {};
      if (value.action === 'block') return { action: 'block', reply: value.reply!, ...conversation };
      return {
        action: 'escalate',
        ...(value.holdingMessage !== undefined ? { holdingMessage: value.holdingMessage } : {}),
        ...(value.reviewers ? { reviewers: value.reviewers } : {}),
        ...conversation,
      };
    }),
) as unknown as z.ZodType<RuleAction>;

const RULE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** One rule. */
export const ruleSchema: z.ZodType<Rule> = z.strictObject(
  {
    name: z
      .string({ error: (issue) => (issue.input === undefined ? 'required' : 'must be a string') })
      .regex(RULE_NAME, "must be 1-64 letters, digits, '-', '_' or '.', starting with a letter or digit"),
    when: z.unknown().pipe(conditionSchema),
    // biome-ignore lint/suspicious/noThenProperty: the YAML key operators write; an object, never callable, so never a thenable.
    then: z.unknown().pipe(actionSchema),
  },
  { error: 'must be a mapping with name, when and then' },
);

/** The `rules:` section: a list of rules, evaluated in order. */
export const rulesSchema = z.array(ruleSchema);

const checkAction = z.enum(['off', 'escalate', 'block'], {
  error: (issue) => `must be off, escalate or block (found ${JSON.stringify(issue.input)})`,
});

const check = <T extends z.core.$ZodLooseShape>(shape: T, defaultAction: CheckAction) =>
  z.preprocess(
    (value) => (typeof value === 'string' ? { action: value } : (value ?? {})),
    z.strictObject(
      {
        action: checkAction.default(defaultAction),
        reply: z.string({ error: 'must be a string' }).min(1, 'must not be empty').optional(),
        ...shape,
      },
      { error: 'must be off, escalate, block, or a mapping with action' },
    ),
  );

const DOMAIN = /^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z][a-z0-9-]*[a-z0-9]$/i;

/** The `checks:` section. Every check can be `off`, `escalate` or `block`. */
export const checksSchema = z.strictObject(
  {
    personalData: check(
      {
        kinds: enumList(PERSONAL_DATA_KINDS, 'a kind of personal data').default([...PERSONAL_DATA_KINDS]),
        allowEmails: stringList('an email address or @domain')
          .pipe(z.array(z.string().regex(/^(?:[^@\s]+)?@[^@\s]+\.[^@\s]+$/, 'must be an address (help@example.com) or a domain (@example.com)')))
          .default([]),
        allowFromUserText: z.boolean({ error: 'must be true or false' }).default(false),
      },
      'off',
    ),
    links: check(
      {
        allowDomains: stringList('a domain')
          .pipe(z.array(z.string().regex(DOMAIN, 'must be a host name like example.com (no scheme, path or port)')))
          .default([]),
      },
      'off',
    ),
    // Off by default like the others: the Slack and Discord adapters already make sure model
    // output pings nobody; operators who want a human to see such drafts turn this on.
    massMentions: check({}, 'off'),
    length: check({ maxChars: z.number({ error: 'must be a whole number, 1 or more' }).int('must be a whole number, 1 or more').min(1, 'must be a whole number, 1 or more').default(4000) }, 'off'),
    blockReply: z.string({ error: 'must be a string' }).min(1, 'must not be empty').default(DEFAULT_BLOCK_REPLY),
  },
  { error: 'must be a mapping of checks' },
);

/** The checks when countersign.yaml has no `checks:` section: every check off (opt in). */
export const DEFAULT_CHECKS: ChecksConfig = checksSchema.parse({}) as ChecksConfig;

// ---------------------------------------------------------------------------------------------
// Validation with operator-friendly messages
// ---------------------------------------------------------------------------------------------

const KNOWN_FIELDS = [
  ...CONDITION_FIELDS,
  'name',
  'when',
  'then',
  'action',
  'holdingMessage',
  'reviewers',
  'reply',
  'conversation',
  'personalData',
  'links',
  'massMentions',
  'length',
  'blockReply',
  'kinds',
  'allowEmails',
  'allowFromUserText',
  'allowDomains',
  'maxChars',
];

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i += 1) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j += 1) {
      const above = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

function suggestion(key: string): string {
  const lower = key.toLowerCase();
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const known of KNOWN_FIELDS) {
    const distance = known.toLowerCase() === lower ? 0 : editDistance(lower, known.toLowerCase());
    if (distance < bestDistance) {
      best = known;
      bestDistance = distance;
    }
  }
  return best && bestDistance <= Math.max(1, Math.floor(key.length / 4)) ? ` (did you mean "${best}"?)` : '';
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `a string (${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value)})`;
  return `${typeof value === 'number' ? 'a number' : typeof value === 'boolean' ? 'a boolean' : typeof value} (${String(value)})`;
}

function valueAt(root: unknown, path: PropertyKey[]): unknown {
  let node = root;
  for (const key of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}

/** `when.all[1].userText[0]` */
export function formatFieldPath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const key of path) text += typeof key === 'number' ? `[${key}]` : text ? `.${String(key)}` : String(key);
  return text;
}

/** One line per problem of a zod issue, as `<path>: <what is wrong>` (or just `<what is wrong>`). */
function describeIssues(issues: readonly z.core.$ZodIssue[], root: unknown): Array<{ path: PropertyKey[]; message: string }> {
  const lines: Array<{ path: PropertyKey[]; message: string }> = [];
  for (const issue of issues) {
    const path = issue.path as PropertyKey[];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) lines.push({ path: [...path, key], message: `unknown field${suggestion(key)}` });
      continue;
    }
    let message = issue.message;
    if (issue.code === 'invalid_type' && message.startsWith('Invalid input')) {
      const value = valueAt(root, path);
      message = value === undefined ? 'required' : `must be ${issue.expected === 'object' ? 'a mapping' : issue.expected === 'array' ? 'a list' : `a ${issue.expected}`}, found ${kindOf(value)}`;
    }
    lines.push({ path, message });
  }
  return lines;
}

export type ValidationResult<T> = { ok: true; value: T; problems: [] } | { ok: false; problems: string[] };

/**
 * Validate the `rules:` section. `raw` is the YAML value (undefined or null: no rules);
 * `file` is how problems name the source. Problems are listed in rule order.
 */
export function validateRules(raw: unknown, file: string): ValidationResult<Rule[]> {
  if (raw === undefined || raw === null) return { ok: true, value: [], problems: [] };
  if (!Array.isArray(raw)) return { ok: false, problems: [`${file}: rules: must be a list of rules, found ${kindOf(raw)}`] };
  const problems: string[] = [];
  const rules: Rule[] = [];
  const firstIndexOf = new Map<string, number>();
  raw.forEach((item, index) => {
    const name = item && typeof item === 'object' && typeof (item as { name?: unknown }).name === 'string' && (item as { name: string }).name ? (item as { name: string }).name : undefined;
    const label = `${file}: rules[${index}] ${name === undefined ? '(unnamed)' : JSON.stringify(name)}`;
    const result = ruleSchema.safeParse(item);
    if (!result.success) {
      for (const line of describeIssues(result.error.issues, item)) {
        problems.push(line.path.length ? `${label}: ${formatFieldPath(line.path)}: ${line.message}` : `${label}: ${line.message}`);
      }
    } else {
      rules.push(result.data);
    }
    if (name !== undefined) {
      const first = firstIndexOf.get(name);
      if (first === undefined) firstIndexOf.set(name, index);
      else problems.push(`${label}: name: already used by rules[${first}]`);
    }
  });
  return problems.length ? { ok: false, problems } : { ok: true, value: rules, problems: [] };
}

/** Validate the `checks:` section (undefined or null: the defaults). Problems read `file: checks.<path>: ...`. */
export function validateChecks(raw: unknown, file: string): ValidationResult<ChecksConfig> {
  const result = checksSchema.safeParse(raw ?? {});
  if (result.success) return { ok: true, value: result.data as ChecksConfig, problems: [] };
  const problems = describeIssues(result.error.issues, raw).map((line) =>
    line.path.length ? `${file}: checks.${formatFieldPath(line.path)}: ${line.message}` : `${file}: checks: ${line.message}`,
  );
  return { ok: false, problems };
}
