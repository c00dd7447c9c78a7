import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { compilePattern, DEFAULT_CHECKS, formatFieldPath, validateChecks, validateRules } from '../../src/core/rule-schema.js';

// A rules section with one mistake of each kind operators make.
const BAD_RULES = `
rules:
  - name: legal-threats
    when:
      userText: 'lawyer|sue|court'
    then: escalate
  - name: refund-promises
    when:
      any:
        - draft: ['full refund', 'refund(']
        - userText: /money back/g
    then:
      action: block
  - when:
      platfrom: slack
    then:
      action: escalate
      reply: We will get back to you.
  - name: legal-threats
    when: {}
    then:
      action: hold
  - name: low-confidence
    when:
      confidenceBelow: 1.5
      revisionsAtLeast: -1
      turnsAtLeast: 0
      decision: [approve, maybe]
      categories: 7
      not: []
    then:
      action: escalate
      conversation: wait
      reviewers: []
  - just a string
  - name: has space
    when:
      all: []
    then: block
  - name: vip
    when:
      user: U123
`;

describe('validateRules', () => {
  it('reports every problem of a bad rule file with the file, the rule and the field', () => {
    const raw = parse(BAD_RULES) as { rules: unknown };
    const result = validateRules(raw.rules, 'countersign.yaml');
    expect(result.ok).toBe(false);
    expect(result.problems).toEqual([
      'countersign.yaml: rules[1] "refund-promises": when.any[0].draft[1]: invalid regular expression /refund(/i: Unterminated group',
      'countersign.yaml: rules[1] "refund-promises": when.any[1].userText: flag "g" is not allowed in /money back/g (it makes matching depend on earlier matches)',
      'countersign.yaml: rules[1] "refund-promises": then.reply: required: the text to post instead of the draft',
      'countersign.yaml: rules[2] (unnamed): name: required',
      'countersign.yaml: rules[2] (unnamed): when.platfrom: unknown field (did you mean "platform"?)',
      'countersign.yaml: rules[2] (unnamed): then.reply: only for block (escalate posts the holding message)',
      'countersign.yaml: rules[3] "legal-threats": when: must name at least one condition (decision, categories, confidenceBelow, userText, draft, platform, channel, user, revisionsAtLeast, turnsAtLeast, tool, args, all, any, not)',
      'countersign.yaml: rules[3] "legal-threats": then.action: must be escalate or block (found "hold")',
      'countersign.yaml: rules[3] "legal-threats": name: already used by rules[0]',
      'countersign.yaml: rules[4] "low-confidence": when.decision[1]: must be approve, edit, revise or escalate (found "maybe")',
      'countersign.yaml: rules[4] "low-confidence": when.categories: must be a category, a list of categories (any of them), or a mapping with any and/or all',
      'countersign.yaml: rules[4] "low-confidence": when.confidenceBelow: must be a number between 0 and 1',
      'countersign.yaml: rules[4] "low-confidence": when.revisionsAtLeast: must be a whole number, 0 or more',
      'countersign.yaml: rules[4] "low-confidence": when.turnsAtLeast: must be a whole number, 1 or more',
      'countersign.yaml: rules[4] "low-confidence": when.not: must be a mapping of conditions',
      'countersign.yaml: rules[4] "low-confidence": then.reviewers: must list at least one',
      'countersign.yaml: rules[4] "low-confidence": then.conversation: must be hold or continue (found "wait")',
      'countersign.yaml: rules[5] (unnamed): must be a mapping with name, when and then',
      `countersign.yaml: rules[6] "has space": name: must be 1-64 letters, digits, '-', '_' or '.', starting with a letter or digit`,
      'countersign.yaml: rules[6] "has space": when.all: must list at least one condition',
      'countersign.yaml: rules[6] "has space": then.reply: required: the text to post instead of the draft',
      'countersign.yaml: rules[7] "vip": then: required',
    ]);
  });

  it.each([
    ['a mapping', { a: 1 }, 'config/bot.yaml: rules: must be a list of rules, found a mapping'],
    ['a string', 'escalate everything', 'config/bot.yaml: rules: must be a list of rules, found a string ("escalate everything")'],
    ['a number', 3, 'config/bot.yaml: rules: must be a list of rules, found a number (3)'],
  ])('refuses a rules section that is %s', (_what, raw, problem) => {
    expect(validateRules(raw, 'config/bot.yaml').problems).toEqual([problem]);
  });

  it.each([
    ['a wrong type deep inside', `{ name: 'x', when: { all: [{ any: [{ channel: 5 }] }] }, then: 'escalate' }`, 'f.yaml: rules[0] "x": when.all[0].any[0].channel: must be a channel id or a list of them'],
    ['a misspelt action field', `{ name: 'x', when: { user: 'U1' }, then: { action: 'escalate', holdingMesage: 'hi' } }`, 'f.yaml: rules[0] "x": then.holdingMesage: unknown field (did you mean "holdingMessage"?)'],
    ['an unknown field with no near name', `{ name: 'x', when: { user: 'U1' }, then: 'escalate', priority: 3 }`, 'f.yaml: rules[0] "x": priority: unknown field'],
    ['holding message on block', `{ name: 'x', when: { user: 'U1' }, then: { action: 'block', reply: 'No.', holdingMessage: 'wait' } }`, 'f.yaml: rules[0] "x": then.holdingMessage: only for escalate (block posts its reply)'],
    ['a bad flag', `{ name: 'x', when: { draft: '/a/x' }, then: 'escalate' }`, 'f.yaml: rules[0] "x": when.draft: unknown flag "x" in /a/x (use i, m, s or u)'],
    ['an empty pattern', `{ name: 'x', when: { draft: '' }, then: 'escalate' }`, 'f.yaml: rules[0] "x": when.draft: must not be empty'],
    ['a pattern that is a number', `{ name: 'x', when: { userText: [42] }, then: 'escalate' }`, 'f.yaml: rules[0] "x": when.userText[0]: must be a pattern (a string)'],
    ['an empty category mapping', `{ name: 'x', when: { categories: {} }, then: 'escalate' }`, 'f.yaml: rules[0] "x": when.categories: name categories under any and/or all'],
    ['a platform that does not exist', `{ name: 'x', when: { platform: 'teams' }, then: 'escalate' }`, 'f.yaml: rules[0] "x": when.platform[0]: must be web, slack or discord (found "teams")'],
    ['a name that is a number', `{ name: 12, when: { user: 'U1' }, then: 'escalate' }`, 'f.yaml: rules[0] (unnamed): name: must be a string'],
    ['a when that is a list', `{ name: 'x', when: [{ user: 'U1' }], then: 'escalate' }`, 'f.yaml: rules[0] "x": when: must be a mapping of conditions'],
  ])('names the field for %s', (_what, rule, problem) => {
    // Each rule is written as a YAML flow mapping, as an operator could write it.
    expect(validateRules([parse(rule)], 'f.yaml').problems).toEqual([problem]);
  });

  it('accepts no rules at all', () => {
    expect(validateRules(undefined, 'f.yaml')).toEqual({ ok: true, value: [], problems: [] });
    expect(validateRules(null, 'f.yaml')).toEqual({ ok: true, value: [], problems: [] });
  });

  it('turns valid rules into typed, compiled rules with shorthands expanded', () => {
    const raw = parse(`
rules:
  - name: refunds
    when:
      all:
        - decision: [approve, edit]
        - categories: refund
        - not: { platform: web }
      draft: '/\\bRefund\\b/'
    then:
      action: block
      reply: A teammate will reply about refunds.
      conversation: hold
  - name: legal
    when: { userText: [lawyer, 'su(e|ing)'], categories: { all: [legal, threat] } }
    then: { action: escalate, holdingMessage: '', reviewers: U1 }
`) as { rules: unknown };
    const result = validateRules(raw.rules, 'f.yaml');
    if (!result.ok) throw new Error(result.problems.join('\n'));
    const [refunds, legal] = result.value;
    expect(refunds!.when.all).toEqual([{ decision: ['approve', 'edit'] }, { categories: { any: ['refund'] } }, { not: { platform: ['web'] } }]);
    expect(refunds!.when.draft![0]!.source).toBe('/\\bRefund\\b/');
    expect(refunds!.when.draft![0]!.regex.test('a Refund now')).toBe(true);
    expect(refunds!.when.draft![0]!.regex.test('a refund now')).toBe(false);
    expect(refunds!.then).toEqual({ action: 'block', reply: 'A teammate will reply about refunds.', conversation: 'hold' });
    expect(legal!.when.userText!.map((pattern) => pattern.source)).toEqual(['/lawyer/i', '/su(e|ing)/i']);
    expect(legal!.when.categories).toEqual({ all: ['legal', 'threat'] });
    expect(legal!.then).toEqual({ action: 'escalate', holdingMessage: '', reviewers: ['U1'] });
  });
});

describe('compilePattern', () => {
  it.each([
    ['lawyer', '/lawyer/i', 'My LAWYER says', true],
    ['/lawyer/', '/lawyer/', 'My LAWYER says', false],
    ['/a.b/s', '/a.b/s', 'a\nb', true],
    ['/^line$/m', '/^line$/m', 'first\nline\nlast', true],
    ['/x/', '/x/', 'y', false],
    ['a/b', '/a/b/i', 'A/B', true],
  ])('%s', (written, source, text, matches) => {
    const pattern = compilePattern(written);
    expect(pattern.source).toBe(source);
    expect(pattern.regex.test(text)).toBe(matches);
  });
});

describe('formatFieldPath', () => {
  it('writes keys with dots and list items with brackets', () => {
    expect(formatFieldPath(['when', 'all', 1, 'userText', 0])).toBe('when.all[1].userText[0]');
    expect(formatFieldPath([])).toBe('');
  });
});

describe('validateChecks', () => {
  it('fills in the defaults: every check off', () => {
    expect(validateChecks(undefined, 'f.yaml')).toEqual({ ok: true, value: DEFAULT_CHECKS, problems: [] });
    expect(DEFAULT_CHECKS).toMatchObject({
      personalData: { action: 'off', kinds: ['email', 'phone', 'card'], allowEmails: [], allowFromUserText: false },
      links: { action: 'off', allowDomains: [] },
      massMentions: { action: 'off' },
      length: { action: 'off', maxChars: 4000 },
    });
  });

  it('accepts the shorthand `check: action`', () => {
    const result = validateChecks({ personalData: 'block', links: { action: 'escalate', allowDomains: 'example.com' } }, 'f.yaml');
    if (!result.ok) throw new Error(result.problems.join('\n'));
    expect(result.value.personalData.action).toBe('block');
    expect(result.value.links.allowDomains).toEqual(['example.com']);
  });

  it('reports every problem with the field', () => {
    const result = validateChecks(
      {
        links: { action: 'warn', allowDomains: ['https://example.com'] },
        personalData: { kinds: ['ssn'], allowEmails: 'support', allowFromUserText: 'yes' },
        length: { maxChars: 0 },
        massMentions: { action: 'block', reply: '' },
        extra: 1,
      },
      'countersign.yaml',
    );
    expect(result.problems).toEqual([
      'countersign.yaml: checks.personalData.kinds[0]: must be email, phone or card (found "ssn")',
      'countersign.yaml: checks.personalData.allowEmails[0]: must be an address (help@example.com) or a domain (@example.com)',
      'countersign.yaml: checks.personalData.allowFromUserText: must be true or false',
      'countersign.yaml: checks.links.action: must be off, escalate or block (found "warn")',
      'countersign.yaml: checks.links.allowDomains[0]: must be a host name like example.com (no scheme, path or port)',
      'countersign.yaml: checks.massMentions.reply: must not be empty',
      'countersign.yaml: checks.length.maxChars: must be a whole number, 1 or more',
      'countersign.yaml: checks.extra: unknown field',
    ]);
  });
});
