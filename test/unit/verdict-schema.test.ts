import { describe, expect, it } from 'vitest';
import { parseVerdict, VERDICT_JSON_SCHEMA } from '../../src/agents/verdict-schema.js';

const good = { decision: 'approve', reason: 'fine', categories: ['greeting'], confidence: 0.8, revised_text: null, feedback: null };
const json = (value: unknown) => JSON.stringify(value);

describe('parseVerdict', () => {
  it('accepts each decision with the fields it needs', () => {
    expect(parseVerdict(json(good))).toEqual({ ok: true, verdict: good });
    expect(parseVerdict(json({ ...good, decision: 'edit', revised_text: 'better' }))).toMatchObject({ ok: true, verdict: { decision: 'edit', revised_text: 'better' } });
    expect(parseVerdict(json({ ...good, decision: 'revise', feedback: 'shorter' }))).toMatchObject({ ok: true, verdict: { decision: 'revise', feedback: 'shorter' } });
    expect(parseVerdict(json({ ...good, decision: 'escalate' }))).toMatchObject({ ok: true, verdict: { decision: 'escalate' } });
  });

  it('fills the optional fields small models leave out', () => {
    expect(parseVerdict(json({ decision: 'approve', reason: 'ok', confidence: 1 }))).toEqual({
      ok: true,
      verdict: { decision: 'approve', reason: 'ok', confidence: 1, categories: [], revised_text: null, feedback: null },
    });
  });

  it('tolerates a Markdown code fence around the object, with or without a language', () => {
    for (const fenced of [`\`\`\`json\n${json(good)}\n\`\`\``, `\`\`\`\n${json(good)}\n\`\`\``, `  \`\`\`JSON ${json(good)} \`\`\`  `]) {
      expect(parseVerdict(fenced)).toEqual({ ok: true, verdict: good });
    }
  });

  it('refuses anything else around the object: prose, two objects, a fence with text after it', () => {
    for (const content of [`Verdict: ${json(good)}`, `${json(good)} Thanks!`, `${json(good)}\n${json(good)}`, `\`\`\`json\n${json(good)}\n\`\`\`\nok`]) {
      const parsed = parseVerdict(content);
      expect(parsed.ok, content).toBe(false);
    }
  });

  it('refuses invalid shapes with a problem that names the field', () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ ...good, decision: 'post' }, /decision/],
      [{ ...good, decision: 'APPROVE' }, /decision/],
      [{ ...good, reason: '' }, /reason/],
      [{ ...good, reason: undefined }, /reason/],
      [{ ...good, confidence: 1.5 }, /confidence/],
      [{ ...good, confidence: '0.9' }, /confidence/],
      [{ ...good, categories: 'refund' }, /categories/],
      [{ ...good, decision: 'edit', revised_text: null }, /revised_text/],
      [{ ...good, decision: 'edit', revised_text: '   ' }, /revised_text/],
      [{ ...good, decision: 'revise', feedback: null }, /feedback/],
      [[good], /\(root\)/],
      ['approve', /\(root\)/],
      [null, /\(root\)/],
    ];
    for (const [value, problem] of cases) {
      const parsed = parseVerdict(json(value));
      expect(parsed.ok, json(value)).toBe(false);
      if (!parsed.ok) expect(parsed.problem).toMatch(problem);
    }
  });

  it('refuses nothing, whitespace and non-JSON', () => {
    expect(parseVerdict(null)).toEqual({ ok: false, problem: 'the critic answered nothing' });
    expect(parseVerdict('  \n ')).toEqual({ ok: false, problem: 'the critic answered nothing' });
    const truncated = parseVerdict('{"decision": "approve", "reason": "fi');
    expect(truncated.ok).toBe(false);
    if (!truncated.ok) expect(truncated.problem).toMatch(/not JSON/);
  });

  it('the JSON Schema sent to the server requires every field (strict structured outputs)', () => {
    expect([...VERDICT_JSON_SCHEMA.required].sort()).toEqual(Object.keys(VERDICT_JSON_SCHEMA.properties).sort());
    expect(VERDICT_JSON_SCHEMA.additionalProperties).toBe(false);
    expect(VERDICT_JSON_SCHEMA.properties.decision.enum).toEqual(['approve', 'edit', 'revise', 'escalate']);
  });
});
