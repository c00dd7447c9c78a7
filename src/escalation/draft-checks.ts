/**
 * Cheap deterministic checks on a draft, run before the critic is called: personal data, links
 * outside an allowlist, mass mentions, length. Each is `off`, `escalate` or `block` (post the
 * canned reply instead of the draft); a check that fires decides on its own, without the critic.
 *
 * They aim at what a model-based critic can miss or be argued out of, and they take care not to
 * fire on what a support bot writes all day (order numbers, dates, prices, its own support
 * address, the user's own email quoted back when allowed).
 */
import { describeMatch, findPersonalData, normalizedValue, type PersonalDataKind } from '../core/personal-data.js';
import type { CheckAction, ChecksConfig } from '../core/rule-schema.js';

export type CheckName = 'personal-data' | 'links' | 'mass-mentions' | 'length';

/** One thing a check found in the draft. */
export interface CheckFinding {
  check: CheckName;
  action: Exclude<CheckAction, 'off'>;
  /** Secret-free and personal-data-free: `card number ending 1111`, `link to evil.example`. */
  reason: string;
  /** For personal data: which kind. */
  kind?: PersonalDataKind;
}

/** What the checks make of a draft: the strictest action of any finding. */
export interface DraftCheckResult {
  action: 'pass' | 'escalate' | 'block';
  /** The check that decided (the first, in check order, with the strictest action), or null. */
  check: CheckName | null;
  /** `personal-data: card number ending 1111; email j***@example.com`, or `all checks passed`. */
  reason: string;
  /** For block: the canned reply to post instead of the draft. */
  reply?: string;
  /** Every finding of every check that is on, in check order. */
  findings: CheckFinding[];
}

export interface RunDraftChecksOptions {
  checks: ChecksConfig;
  /** The text of the user messages the draft answers (for `personalData.allowFromUserText`). */
  userText?: string;
}

const CHECK_ORDER: CheckName[] = ['personal-data', 'links', 'mass-mentions', 'length'];

// ---------------------------------------------------------------------------------------------
// Links
// ---------------------------------------------------------------------------------------------

const SCHEME_URL = /\b(?:https?|ftp):\/\/[^\s<>"'`|\\]+/gi;
const WWW_HOST = /(?<![\w.@/-])www\.[a-z0-9-]+(?:\.[a-z0-9-]+)+(?:[/?#][^\s<>"'`|\\]*)?/gi;
// Bare host names need a common top-level domain: "Node.js" or "file.txt" are not links.
const BARE_HOST =
  /(?<![\w.@/-])(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+(?:com|net|org|io|co|ai|app|dev|info|biz|me|ly|gg|xyz|link|site|online|shop|store|tv|us|uk|de|fr|es|it|ru|cn|in|br|au|ca|eu|nl|ch|se|jp)(?![\w-]|\.[a-z0-9])(?:[/?#][^\s<>"'`|\\]*)?/gi;

/** Trailing punctuation belongs to the sentence, not the link; a `)` only when unbalanced. */
function trimLink(link: string): string {
  let trimmed = link.replace(/[.,;:!?'"*_~]+$/, '');
  while (trimmed.endsWith(')') && (trimmed.match(/\(/g) ?? []).length < (trimmed.match(/\)/g) ?? []).length) {
    trimmed = trimmed.slice(0, -1).replace(/[.,;:!?'"*_~]+$/, '');
  }
  return trimmed;
}

function hostOf(link: string): string | null {
  try {
    const url = new URL(/^[a-z]+:\/\//i.test(link) ? link : `http://${link}`);
    return url.hostname.toLowerCase().replace(/\.$/, '') || null;
  } catch {
    return null;
  }
}

function hostAllowed(host: string, allowDomains: readonly string[]): boolean {
  return allowDomains.some((domain) => {
    const wanted = domain.toLowerCase();
    return host === wanted || host.endsWith(`.${wanted}`);
  });
}

/** Hosts of the links in `text`, in order, once each position (a URL is not also a bare host). */
export function findLinks(text: string): Array<{ link: string; host: string | null }> {
  const found: Array<{ link: string; host: string | null; start: number; end: number }> = [];
  for (const pattern of [SCHEME_URL, WWW_HOST, BARE_HOST]) {
    for (const match of text.matchAll(pattern)) {
      const start = match.index;
      const end = start + match[0].length;
      if (found.some((other) => start < other.end && end > other.start)) continue;
      const link = trimLink(match[0]);
      found.push({ link, host: hostOf(link), start, end });
    }
  }
  return found.sort((a, b) => a.start - b.start).map(({ link, host }) => ({ link, host }));
}

// ---------------------------------------------------------------------------------------------
// Mass mentions
// ---------------------------------------------------------------------------------------------

// Discord pings @everyone and @here; Slack's special mentions are <!channel>, <!here>, <!everyone>
// (optionally with a label: <!here|here>). "ops@here.com" and "@hereford" are not mentions.
const MASS_MENTION = /(?<![\w.@+-])@(?:everyone|here|channel)\b(?![\w-]|\.\w)|<!(?:channel|here|everyone)(?:\|[^>]*)?>/gi;

/** The mass mentions in `text`, as written. */
export function findMassMentions(text: string): string[] {
  return [...text.matchAll(MASS_MENTION)].map((match) => match[0]);
}

// ---------------------------------------------------------------------------------------------
// The checks
// ---------------------------------------------------------------------------------------------

function emailAllowed(email: string, allowEmails: readonly string[]): boolean {
  const lower = email.toLowerCase();
  const domain = lower.slice(lower.lastIndexOf('@') + 1);
  return allowEmails.some((allowed) => {
    const wanted = allowed.toLowerCase();
    if (wanted.startsWith('@')) {
      const wantedDomain = wanted.slice(1);
      return domain === wantedDomain || domain.endsWith(`.${wantedDomain}`);
    }
    return lower === wanted;
  });
}

function personalDataFindings(draft: string, checks: ChecksConfig, userText: string): CheckFinding[] {
  const config = checks.personalData;
  if (config.action === 'off') return [];
  const action = config.action;
  // What the user wrote themselves may be repeated back to them ("I've noted jane@example.com").
  // Never card numbers: echoing one puts it into the platform's history a second time.
  const fromUser = config.allowFromUserText
    ? new Set(findPersonalData(userText, { kinds: ['email', 'phone'] }).map((match) => `${match.kind}:${normalizedValue(match)}`))
    : new Set<string>();
  return findPersonalData(draft, { kinds: config.kinds })
    .filter((match) => !(match.kind === 'email' && emailAllowed(match.value, config.allowEmails)))
    .filter((match) => match.kind === 'card' || !fromUser.has(`${match.kind}:${normalizedValue(match)}`))
    .map((match) => ({ check: 'personal-data' as const, action, kind: match.kind, reason: describeMatch(match) }));
}

function linkFindings(draft: string, checks: ChecksConfig): CheckFinding[] {
  const config = checks.links;
  if (config.action === 'off') return [];
  const action = config.action;
  return findLinks(draft)
    .filter((link) => link.host === null || !hostAllowed(link.host, config.allowDomains))
    .map((link) => ({ check: 'links' as const, action, reason: link.host ? `link to ${link.host}` : `link that does not parse (${link.link.slice(0, 60)})` }));
}

function mentionFindings(draft: string, checks: ChecksConfig): CheckFinding[] {
  const action = checks.massMentions.action;
  if (action === 'off') return [];
  return findMassMentions(draft).map((mention) => ({ check: 'mass-mentions' as const, action, reason: `mass mention ${mention}` }));
}

function lengthFindings(draft: string, checks: ChecksConfig): CheckFinding[] {
  const { action, maxChars } = checks.length;
  if (action === 'off') return [];
  // Characters as people count them: code points, not UTF-16 units.
  const length = [...draft].length;
  return length > maxChars ? [{ check: 'length', action, reason: `${length} characters, over the limit of ${maxChars}` }] : [];
}

const CONFIG_KEY: Record<CheckName, 'personalData' | 'links' | 'massMentions' | 'length'> = {
  'personal-data': 'personalData',
  links: 'links',
  'mass-mentions': 'massMentions',
  length: 'length',
};

/**
 * Run every check that is on against a draft. The result's action is the strictest of all
 * findings (block over escalate); its check is the first check, in the order personal-data,
 * links, mass-mentions, length, with that action.
 */
export function runDraftChecks(draft: string, options: RunDraftChecksOptions): DraftCheckResult {
  const { checks } = options;
  const findings = [
    ...personalDataFindings(draft, checks, options.userText ?? ''),
    ...linkFindings(draft, checks),
    ...mentionFindings(draft, checks),
    ...lengthFindings(draft, checks),
  ];
  const strictest = findings.some((finding) => finding.action === 'block') ? 'block' : findings.length ? 'escalate' : 'pass';
  if (strictest === 'pass') return { action: 'pass', check: null, reason: 'all checks passed', findings };
  const check = CHECK_ORDER.find((name) => findings.some((finding) => finding.check === name && finding.action === strictest))!;
  const reasons = [...new Set(findings.filter((finding) => finding.check === check).map((finding) => finding.reason))];
  const reason = `${check}: ${reasons.join('; ')}`;
  if (strictest === 'block') return { action: 'block', check, reason, reply: checks[CONFIG_KEY[check]].reply ?? checks.blockReply, findings };
  return { action: 'escalate', check, reason, findings };
}
