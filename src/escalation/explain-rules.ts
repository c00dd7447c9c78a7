/**
 * What `countersign rules test --message "..." [--draft "..."] [--verdict file.json]` prints:
 * the checks' result on the draft, every rule with whether it held and why, and the decision.
 * Pure: the CLI parses its flags, loads the config and prints this text.
 */
import type { Platform, Verdict } from '../core/types.js';
import type { DraftCheckResult } from './draft-checks.js';
import type { RuleDecision, RuleTurn } from './evaluate-rules.js';

export interface RuleTestInput {
  message: string;
  draft?: string | null;
  platform?: Platform;
  channel?: string | null;
  user?: string;
  revisions?: number;
  turnsInConversation?: number;
}

/** The facts of a made-up turn for `rules test`, with defaults for what the flags leave out. */
export function ruleTurnForTest(input: RuleTestInput): RuleTurn {
  return {
    platform: input.platform ?? 'web',
    channel: input.channel ?? null,
    users: input.user ? [input.user] : ['test-user'],
    userText: input.message,
    draft: input.draft ?? null,
    revisions: input.revisions ?? 0,
    turnsInConversation: input.turnsInConversation ?? 1,
  };
}

/** The text `rules test` prints. `checks` is absent when there was no draft to check. */
export function formatRuleTest(options: { verdict: Verdict | null; decision: RuleDecision; checks?: DraftCheckResult }): string {
  const { verdict, decision, checks } = options;
  const lines: string[] = [];
  if (checks) {
    lines.push(`Checks: ${checks.action}${checks.action === 'pass' ? '' : ` (${checks.reason})`}`);
    for (const finding of checks.findings) lines.push(`  ${finding.check}: ${finding.reason} -> ${finding.action}`);
  } else {
    lines.push('Checks: skipped (no draft)');
  }
  lines.push(
    verdict
      ? `Verdict: ${verdict.decision} (confidence ${verdict.confidence}${verdict.categories.length ? `, categories ${verdict.categories.join(', ')}` : ''})`
      : 'Verdict: none (as if the critic failed)',
  );
  if (!decision.trace.length) lines.push('Rules: none configured');
  else lines.push('Rules (first match decides):');
  for (const [index, entry] of decision.trace.entries()) {
    const mark = index === decision.ruleIndex ? '=>' : entry.matched ? ' +' : ' -';
    lines.push(`${mark} ${entry.rule}: ${entry.because.join('; ')}`);
  }
  if (checks && checks.action !== 'pass') {
    lines.push(`Decision: ${checks.action} by check ${checks.check}, before the critic${checks.reply ? `; reply: ${JSON.stringify(checks.reply)}` : ''}`);
  } else if (decision.action === 'none') {
    lines.push(`Decision: ${decision.outcome} (${decision.reason})`);
  } else {
    const extras = [
      decision.reply !== undefined ? `reply: ${JSON.stringify(decision.reply)}` : null,
      decision.holdingMessage !== undefined ? `holding message: ${JSON.stringify(decision.holdingMessage)}` : null,
      decision.reviewers ? `reviewers: ${decision.reviewers.join(', ')}` : null,
      decision.conversation ? `conversation: ${decision.conversation}` : null,
    ].filter((extra): extra is string => extra !== null);
    lines.push(`Decision: ${decision.action} by rule ${JSON.stringify(decision.rule)}${extras.length ? `; ${extras.join('; ')}` : ''}`);
  }
  return lines.join('\n');
}
