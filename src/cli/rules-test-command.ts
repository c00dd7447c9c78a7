import { readFileSync } from 'node:fs';
import type { Config } from '../config/schema.js';
import type { Platform, Verdict } from '../core/types.js';
import { testVerdictSchema } from '../agents/verdict-schema.js';
import { runDraftChecks } from '../escalation/draft-checks.js';
import { evaluateRules } from '../escalation/evaluate-rules.js';
import { formatRuleTest, ruleTurnForTest } from '../escalation/explain-rules.js';

export interface RulesTestOptions {
  message: string;
  draft?: string;
  verdict?: string;
  platform: Platform;
  channel?: string;
  user?: string;
  turns: string;
}

/** `countersign rules test`: the checks and rules of the configuration, on a made-up turn. */
export function runRulesTest(config: Config, options: RulesTestOptions): { ok: boolean; text: string } {
  let verdict: Verdict | null = null;
  if (options.verdict) {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(options.verdict, 'utf8'));
    } catch (error) {
      return { ok: false, text: `${options.verdict}: cannot read a JSON verdict (${error instanceof Error ? error.message : String(error)})` };
    }
    const parsed = testVerdictSchema.safeParse(raw);
    if (!parsed.success) {
      // Every problem at once: fixing a file one error per run is slow.
      return { ok: false, text: parsed.error.issues.map((issue) => `${options.verdict}: ${issue.path.join('.') || '(root)'}: ${issue.message}`).join('\n') };
    }
    verdict = parsed.data as Verdict;
  }
  const turns = Number(options.turns);
  if (!Number.isInteger(turns) || turns < 1) return { ok: false, text: '--turns: a whole number, at least 1' };
  const turn = ruleTurnForTest({
    message: options.message,
    draft: options.draft ?? null,
    platform: options.platform,
    channel: options.channel ?? null,
    ...(options.user ? { user: options.user } : {}),
    turnsInConversation: turns,
  });
  const checks = options.draft ? runDraftChecks(options.draft, { checks: config.escalation.checks, userText: options.message }) : undefined;
  const decision = evaluateRules(turn, verdict, config.escalation.rules);
  return { ok: true, text: formatRuleTest({ verdict, decision, ...(checks ? { checks } : {}) }) };
}
