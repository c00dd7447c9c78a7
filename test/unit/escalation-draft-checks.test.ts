import { describe, expect, it } from 'vitest';
import { findLinks, findMassMentions, runDraftChecks } from '../../src/escalation/draft-checks.js';
import { type ChecksConfig, validateChecks } from '../../src/core/rule-schema.js';
import { findPersonalData, luhnValid, maskPersonalData } from '../../src/core/personal-data.js';

function checks(raw: Record<string, unknown>): ChecksConfig {
  const result = validateChecks(raw, 'test.yaml');
  if (!result.ok) throw new Error(result.problems.join('\n'));
  return result.value;
}

describe('luhnValid', () => {
  it.each([
    ['4111111111111111', true],
    ['4111111111111112', false],
    ['378282246310005', true],
    ['5555555555554444', true],
    ['0', true],
    ['12a4', false],
    ['', false],
  ])('%s -> %s', (digits, valid) => expect(luhnValid(digits)).toBe(valid));
});

describe('findPersonalData', () => {
  it.each([
    // Found
    ['an email', 'Write to jane.doe+shop@mail.example.co.uk today.', ['email:jane.doe+shop@mail.example.co.uk']],
    ['a US phone number with parentheses', 'Call +1 (555) 123-4567.', ['phone:+1 (555) 123-4567']],
    ['a dashed phone number', 'Call 555-123-4567 today', ['phone:555-123-4567']],
    ['a dotted phone number', 'or 555.123.4567', ['phone:555.123.4567']],
    ['a UK phone number', 'ring 020 7946 0958', ['phone:020 7946 0958']],
    ['an international number without separators', 'WhatsApp +4915112345678', ['phone:+4915112345678']],
    ['a Visa card in groups', 'card 4111 1111 1111 1111 exp 12/27', ['card:4111 1111 1111 1111']],
    ['a dashed Mastercard', 'use 5555-5555-5555-4444', ['card:5555-5555-5555-4444']],
    ['an Amex card in one run', 'amex 378282246310005.', ['card:378282246310005']],
    ['an Amex card in 4-6-5 groups', 'amex 3782 822463 10005', ['card:3782 822463 10005']],
    ['a card number even when called an order number (fails closed)', 'order #4111111111111111', ['card:4111111111111111']],
    ['several kinds in order', 'a@b.io, 4111111111111111, +44 20 7946 0958', ['email:a@b.io', 'card:4111111111111111', 'phone:+44 20 7946 0958']],
    // False positives avoided
    ['a card-shaped number that fails Luhn', 'card 4111 1111 1111 1112', []],
    ['a Luhn-valid number no card starts with', 'ref 1234567812345670', []],
    ['a long tracking number', 'tracking 9400111899223344556677', []],
    ['a millisecond timestamp', 'at 1700000000000', []],
    ['mixed separators', '4111 1111-1111 1111', []],
    ['an order number with dashes', 'Order number 555-123-4567 shipped', []],
    ['an invoice number', 'invoice #: 2024-001-123456', []],
    ['a ticket id', 'Ticket ID 123 456 7890', []],
    ['an ISO date', 'ships 2024-01-15', []],
    ['a date and time', 'on 12.05.2024 14:30', []],
    ['opening hours', 'open 09:00-17:30', []],
    ['a price', 'total $1,234.56 or 1 234 567 €', []],
    ['a price in euros with a code', 'costs 1 234 567 EUR', []],
    ['a version and an IP address', 'version 1.22.333.4444 on 192.168.100.200', []],
    ['a decimal', 'pi is 3.14159265358979', []],
    ['a short number', 'room 1234, extension 5678', []],
    ['an unseparated number without +', 'id 4915112345678', []],
    ['a package@version', 'install zod@4.0.1 and @types/node', []],
    ['a mention and a handle', 'thanks @jane and @here', []],
  ])('%s', (_what, text, expected) => {
    expect(findPersonalData(text).map((match) => `${match.kind}:${match.value}`)).toEqual(expected);
  });

  it('looks only for the kinds asked for', () => {
    expect(findPersonalData('a@b.io 555-123-4567', { kinds: ['phone'] }).map((match) => match.kind)).toEqual(['phone']);
  });

  it('masks each kind with a placeholder', () => {
    expect(maskPersonalData('Mail a@b.io, call 555-123-4567, card 4111111111111111.')).toBe('Mail [email], call [phone], card [card].');
    expect(maskPersonalData('nothing here 2024-01-15')).toBe('nothing here 2024-01-15');
    expect(maskPersonalData('a@b.io', { replacements: { email: '<redacted>' } })).toBe('<redacted>');
  });
});

describe('findLinks', () => {
  it.each([
    ['a URL with trailing punctuation', 'See https://docs.example.com/a_(b)).', ['docs.example.com']],
    ['a www host', 'visit www.evil.io/x, now', ['www.evil.io']],
    ['a bare host', 'go to example.com.', ['example.com']],
    ['a Slack link', '<https://evil.test/x|click>', ['evil.test']],
    ['a markdown link', '[docs](https://a.example.org/p)', ['a.example.org']],
    ['user info that hides the real host', 'https://example.com@evil.com/login', ['evil.com']],
    ['file names and libraries are not links', 'Use Node.js, open file.txt, read README.md', []],
    ['an email address is not a link', 'mail help@example.com', []],
  ])('%s', (_what, text, hosts) => {
    expect(findLinks(text).map((link) => link.host)).toEqual(hosts);
  });
});

describe('findMassMentions', () => {
  it.each([
    ['@everyone hi', ['@everyone']],
    ['hey @here.', ['@here']],
    ['<!here|here> <!channel> and <!everyone>', ['<!here|here>', '<!channel>', '<!everyone>']],
    ['ops@here.com', []],
    ['email@everyone.com', []],
    ['@hereford', []],
    ['<@U123> and @jane', []],
  ])('%s', (text, expected) => expect(findMassMentions(text)).toEqual(expected));
});

interface CheckCase {
  name: string;
  config: Record<string, unknown>;
  draft: string;
  userText?: string;
  action: 'pass' | 'escalate' | 'block';
  check?: string | null;
  reason?: string;
  reply?: string;
}

const CASES: CheckCase[] = [
  // personal data
  { name: 'personal data off by default', config: {}, draft: 'Your card 4111111111111111', action: 'pass' },
  { name: 'a card number escalates', config: { personalData: 'escalate' }, draft: 'Your card 4111 1111 1111 1111 is on file', action: 'escalate', check: 'personal-data', reason: 'personal-data: card number ending 1111' },
  { name: 'an email is described without the address', config: { personalData: 'block' }, draft: 'Contact jane.doe@gmail.com', action: 'block', reason: 'personal-data: email j***@gmail.com', reply: "Sorry, I can't help with that here. A teammate will follow up if needed." },
  { name: 'the support address is allowed', config: { personalData: { action: 'block', allowEmails: ['help@example.com'] } }, draft: 'Write to Help@Example.com', action: 'pass' },
  { name: 'a whole allowed domain and its subdomains', config: { personalData: { action: 'block', allowEmails: ['@example.com'] } }, draft: 'Write to billing@eu.example.com or sales@example.com', action: 'pass' },
  { name: 'an allowed domain does not allow look-alikes', config: { personalData: { action: 'block', allowEmails: ['@example.com'] } }, draft: 'Write to billing@notexample.com', action: 'block' },
  { name: "the user's own email quoted back, when allowed", config: { personalData: { action: 'escalate', allowFromUserText: true } }, userText: 'my email is Jane@Example.org', draft: '> my email is jane@example.org\nThanks, I have noted jane@example.org.', action: 'pass' },
  { name: "the user's own email, when not allowed", config: { personalData: 'escalate' }, userText: 'my email is jane@example.org', draft: 'Noted: jane@example.org', action: 'escalate' },
  { name: 'another email next to the quoted one still counts', config: { personalData: { action: 'escalate', allowFromUserText: true } }, userText: 'my email is jane@example.org', draft: 'Noted jane@example.org; I also told bob@example.org', action: 'escalate', reason: 'personal-data: email b***@example.org' },
  { name: "the user's own phone number quoted back in another format", config: { personalData: { action: 'escalate', allowFromUserText: true } }, userText: 'call me on 555-123-4567', draft: 'We will call (555) 123-4567.', action: 'pass' },
  { name: "a card number is never allowed, even the user's own", config: { personalData: { action: 'escalate', allowFromUserText: true } }, userText: 'my card is 4111111111111111', draft: 'Your card 4111111111111111', action: 'escalate' },
  { name: 'only the configured kinds', config: { personalData: { action: 'escalate', kinds: ['card'] } }, draft: 'mail a@b.io or call 555-123-4567', action: 'pass' },
  { name: 'order numbers, dates and prices are fine', config: { personalData: 'block' }, draft: 'Order #A-123456 (order number 555-123-4567) ships 2024-01-15 for $1,234.56; tracking 9400111899223344556677.', action: 'pass' },
  // links
  { name: 'links off by default', config: {}, draft: 'see https://evil.test', action: 'pass' },
  { name: 'a link outside the allowlist', config: { links: { action: 'escalate', allowDomains: ['example.com'] } }, draft: 'See https://docs.example.com/x and https://evil.test/y', action: 'escalate', check: 'links', reason: 'links: link to evil.test' },
  { name: 'links inside the allowlist', config: { links: { action: 'block', allowDomains: ['example.com', 'status.vendor.io'] } }, draft: 'See https://example.com, www.example.com/help and status.vendor.io', action: 'pass' },
  { name: 'an allowed domain does not allow its suffix look-alikes', config: { links: { action: 'block', allowDomains: ['example.com'] } }, draft: 'https://example.com.evil.test/login', action: 'block', reason: 'links: link to example.com.evil.test' },
  { name: 'an empty allowlist allows no link', config: { links: 'escalate' }, draft: 'www.example.com', action: 'escalate' },
  // mass mentions
  { name: 'mass mentions are off by default', config: {}, draft: 'Heads up @everyone!', action: 'pass' },
  { name: 'mass mentions escalate when turned on', config: { massMentions: 'escalate' }, draft: 'Heads up @everyone!', action: 'escalate', check: 'mass-mentions', reason: 'mass-mentions: mass mention @everyone' },
  { name: 'Slack special mentions', config: { massMentions: { action: 'block', reply: 'Not here.' } }, draft: '<!channel> and <!here>', action: 'block', reason: 'mass-mentions: mass mention <!channel>; mass mention <!here>', reply: 'Not here.' },
  { name: 'an address at here.com is not a mention', config: { massMentions: 'escalate' }, draft: 'mail ops@here.com', action: 'pass' },
  { name: 'mass mentions off', config: { massMentions: 'off' }, draft: '@here', action: 'pass' },
  // length
  { name: 'length off by default', config: {}, draft: 'x'.repeat(10_000), action: 'pass' },
  { name: 'over the length limit', config: { length: { action: 'escalate', maxChars: 10 } }, draft: 'x'.repeat(11), action: 'escalate', reason: 'length: 11 characters, over the limit of 10' },
  { name: 'at the length limit, counting emoji as one character', config: { length: { action: 'escalate', maxChars: 3 } }, draft: '😀😀😀', action: 'pass' },
  // combinations
  { name: 'block wins over escalate, whatever the check order', config: { personalData: 'escalate', length: { action: 'block', maxChars: 5 } }, draft: 'mail a@b.io', action: 'block', check: 'length', reply: "Sorry, I can't help with that here. A teammate will follow up if needed." },
  { name: 'the first check with the strictest action decides', config: { personalData: 'escalate', links: 'escalate' }, draft: 'a@b.io at https://evil.test', action: 'escalate', check: 'personal-data' },
  { name: "a check's own reply wins over blockReply", config: { links: { action: 'block', reply: 'No links, sorry.' }, blockReply: 'Generic.' }, draft: 'https://x.test', action: 'block', reply: 'No links, sorry.' },
  { name: 'blockReply for a check without its own', config: { links: 'block', blockReply: 'Generic.' }, draft: 'https://x.test', action: 'block', reply: 'Generic.' },
];

describe('runDraftChecks', () => {
  it.each(CASES)('$name', ({ config, draft, userText, action, check, reason, reply }) => {
    const result = runDraftChecks(draft, { checks: checks(config), ...(userText !== undefined ? { userText } : {}) });
    expect(result.action).toBe(action);
    if (action === 'pass') {
      expect(result).toEqual({ action: 'pass', check: null, reason: 'all checks passed', findings: [] });
      return;
    }
    expect(result.findings.length).toBeGreaterThan(0);
    if (check !== undefined) expect(result.check).toBe(check);
    if (reason !== undefined) expect(result.reason).toBe(reason);
    if (reply !== undefined) expect(result.reply).toBe(reply);
    if (action === 'escalate') expect(result.reply).toBeUndefined();
  });

  it('lists every finding of every check that is on', () => {
    const result = runDraftChecks('@here mail a@b.io, see https://evil.test, card 4111111111111111', {
      checks: checks({ personalData: 'escalate', links: 'block', massMentions: 'escalate' }),
    });
    expect(result.findings).toEqual([
      { check: 'personal-data', action: 'escalate', kind: 'email', reason: 'email a***@b.io' },
      { check: 'personal-data', action: 'escalate', kind: 'card', reason: 'card number ending 1111' },
      { check: 'links', action: 'block', reason: 'link to evil.test' },
      { check: 'mass-mentions', action: 'escalate', reason: 'mass mention @here' },
    ]);
    expect(result).toMatchObject({ action: 'block', check: 'links', reason: 'links: link to evil.test' });
  });

  it('never puts the personal data itself into a reason', () => {
    const result = runDraftChecks('jane.doe@gmail.com 555-123-4567 4111111111111111', { checks: checks({ personalData: 'escalate' }) });
    const text = JSON.stringify(result);
    expect(text).not.toContain('jane.doe');
    expect(text).not.toContain('555-123');
    expect(text).not.toContain('411111111111');
  });
});
