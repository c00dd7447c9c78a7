/**
 * Finding and masking personal data in chat text: email addresses, phone numbers and payment
 * card numbers. Shared by the draft checks (which escalate or block a draft that leaks them)
 * and the dataset export (which can mask them before turns become training data).
 *
 * The detectors lean towards precision: a chat bot talks about order numbers, dates, prices,
 * versions and timestamps all day, and a check that escalates those trains operators to ignore
 * it. So phone numbers need separators or a leading `+`, card numbers must pass the Luhn check
 * and start like a real card, and numbers introduced as an order, invoice, ticket (...) number
 * are not phone numbers.
 */

export type PersonalDataKind = 'email' | 'phone' | 'card';

export const PERSONAL_DATA_KINDS: readonly PersonalDataKind[] = ['email', 'phone', 'card'];

/** One piece of personal data found in a text. */
export interface PersonalDataMatch {
  kind: PersonalDataKind;
  /** The text as it appears. */
  value: string;
  /** Start and end (exclusive) offsets in the searched text. */
  start: number;
  end: number;
}

export interface FindPersonalDataOptions {
  /**
   * Kinds to look for.
   * @defaultValue all: `['email', 'phone', 'card']`
   */
  kinds?: readonly PersonalDataKind[];
}

/** The Luhn (mod 10) check digit test that every payment card number passes. */
export function luhnValid(digits: string): boolean {
  if (!/^\d+$/.test(digits)) return false;
  let sum = 0;
  let double = false;
  for (let index = digits.length - 1; index >= 0; index -= 1) {
    let digit = digits.charCodeAt(index) - 48;
    if (double) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
    double = !double;
  }
  return sum % 10 === 0;
}

/**
 * Whether a digit string starts like an issued card (Visa, Mastercard, Amex, Discover, JCB,
 * Diners, UnionPay, Maestro) and has a length such a card has. Cuts the 1-in-10 chance that an
 * arbitrary long number passes Luhn down to numbers that at least look like a card.
 */
function plausibleCard(digits: string): boolean {
  const length = digits.length;
  if (length < 13 || length > 19) return false;
  const two = Number(digits.slice(0, 2));
  const four = Number(digits.slice(0, 4));
  // Visa; its old 13-digit numbers are no longer issued and would match too many phone-like ids.
  if (digits.startsWith('4')) return length === 16 || length === 19;
  if (two >= 51 && two <= 55) return length === 16; // Mastercard
  if (four >= 2221 && four <= 2720) return length === 16; // Mastercard 2-series
  if (two === 34 || two === 37) return length === 15; // American Express
  if (two === 36 || two === 38 || (four >= 3000 && four <= 3059)) return length >= 14 && length <= 19; // Diners
  if (four >= 3528 && four <= 3589) return length >= 16 && length <= 19; // JCB
  if (digits.startsWith('6011') || digits.startsWith('65') || (four >= 6440 && four <= 6499)) return length >= 16; // Discover
  if (two === 62) return length >= 16; // UnionPay
  if (two === 50 || (two >= 56 && two <= 69) || two === 67) return length >= 12; // Maestro
  return false;
}

const EMAIL = /(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,24}(?![\w-]|\.[A-Za-z0-9])/g;

// 13 to 19 digits in one run, or in groups of four (Amex: 4-6-5) split by the same space or dash:
// real cards are written one of these ways, and "1234 5678-9012 3456" is not one.
const CARD = /(?<![\w.,/+-])(?:\d{13,19}|\d{4}([ -])\d{4}\1\d{4}\1\d{1,4}|\d{4}([ -])\d{6}\2\d{4,5})(?![\w/]|[.,-]\d)/g;

// A phone number: an optional +country code, an optional (area code), then two to five groups of
// digits separated by one space, dot or dash; or a `+` followed by 8-15 digits without separators.
const PHONE =
  /(?<![\w.,/#$€£¥+:-])(?:\+\d{1,3}[ .-]?(?:\(\d{1,4}\)[ .-]?)?\d{1,4}(?:[ .-]\d{2,5}){1,4}|\(\d{2,5}\)[ .-]?\d{2,5}(?:[ .-]\d{2,5}){1,3}|\d{2,5}(?:[ .-]\d{2,5}){2,4}|\d{3,5}[ .-]\d{6,8}|\+\d{8,15})(?![\w/@]|[.,:-]\d|[ .-]?(?:%|€|£|\$|usd|eur|gbp)\b)/gi;

// Words that introduce a reference number rather than a phone number, right before the number.
const REFERENCE_CONTEXT =
  /(?:order|invoice|ticket|case|ref|reference|tracking|confirmation|booking|reservation|account|acct|transaction|receipt|serial|sku|id|po|item|model|version|build|release|claim|policy|member|customer)\s*(?:#|no\.?|nr\.?|num(?:ber)?\.?|id)?\s*[:#]?\s*$/i;

const DATE_SHAPE = /^(?:\d{4}[-.]\d{1,2}[-.]\d{1,2}|\d{1,2}[-.]\d{1,2}[-.]\d{2,4})$/;
const IPV4_SHAPE = /^(?:\d{1,3}\.){3}\d{1,3}$/;
const TIME_RANGE = /^\d{1,2}[.:]\d{2}\s*-\s*\d{1,2}[.:]\d{2}$/;

function digitsOf(text: string): string {
  return text.replace(/\D/g, '');
}

function looksLikePhone(value: string, before: string): boolean {
  const digits = digitsOf(value);
  const international = value.startsWith('+');
  if (digits.length < (international ? 8 : 10) || digits.length > 15) return false;
  if (DATE_SHAPE.test(value) || IPV4_SHAPE.test(value) || TIME_RANGE.test(value)) return false;
  // A date followed by a time or a year range ("2024-01-15 1030", "2019-2024 ...") is not a phone.
  if (/^\d{4}[-.]\d{2}[-.]\d{2}[ T]/.test(value)) return false;
  // "Version 1.22.333" and similar: dotted groups that are not a phone's usual 3-3-4 or 2-2-2-2.
  if (!international && /\./.test(value) && /^\d{1,2}\./.test(value)) return false;
  if (REFERENCE_CONTEXT.test(before.slice(-40))) return false;
  return true;
}

/**
 * Every email address, phone number and payment card number in `text`, in order of position,
 * never overlapping (a card number is not also reported as a phone number).
 */
export function findPersonalData(text: string, options: FindPersonalDataOptions = {}): PersonalDataMatch[] {
  const kinds = new Set(options.kinds ?? PERSONAL_DATA_KINDS);
  const found: PersonalDataMatch[] = [];
  const taken: Array<[number, number]> = [];
  const overlaps = (start: number, end: number) => taken.some(([from, to]) => start < to && end > from);
  const take = (match: PersonalDataMatch) => {
    taken.push([match.start, match.end]);
    if (kinds.has(match.kind)) found.push(match);
  };
  // Emails first: their digits ("jo.555.1234.5678@...") must not read as phone numbers.
  for (const match of text.matchAll(EMAIL)) {
    take({ kind: 'email', value: match[0], start: match.index, end: match.index + match[0].length });
  }
  for (const match of text.matchAll(CARD)) {
    const start = match.index;
    const end = start + match[0].length;
    if (overlaps(start, end)) continue;
    const value = match[0];
    const digits = digitsOf(value);
    if (luhnValid(digits) && plausibleCard(digits)) take({ kind: 'card', value, start, end });
  }
  for (const match of text.matchAll(PHONE)) {
    const start = match.index;
    const value = match[0];
    const end = start + value.length;
    if (overlaps(start, end)) continue;
    if (looksLikePhone(value, text.slice(0, start))) take({ kind: 'phone', value, start, end });
  }
  return found.sort((a, b) => a.start - b.start);
}

/**
 * A form of a match that is safe to show in logs, escalation reasons and review screens: the
 * kind and just enough to recognise it (`j***@example.com`, `phone ending 4567`, `card ending 1111`).
 */
export function describeMatch(match: Pick<PersonalDataMatch, 'kind' | 'value'>): string {
  if (match.kind === 'email') {
    const [local = '', domain = ''] = match.value.split('@');
    return `email ${local.slice(0, 1)}***@${domain}`;
  }
  const digits = digitsOf(match.value);
  return `${match.kind === 'card' ? 'card number' : 'phone number'} ending ${digits.slice(-4)}`;
}

export interface MaskPersonalDataOptions extends FindPersonalDataOptions {
  /**
   * The replacement of each kind.
   * @defaultValue `[email]`, `[phone]`, `[card]`
   */
  replacements?: Partial<Record<PersonalDataKind, string>>;
}

/** `text` with every email address, phone number and card number replaced by a placeholder. */
export function maskPersonalData(text: string, options: MaskPersonalDataOptions = {}): string {
  const matches = findPersonalData(text, options);
  if (!matches.length) return text;
  let masked = '';
  let at = 0;
  for (const match of matches) {
    masked += text.slice(at, match.start) + (options.replacements?.[match.kind] ?? `[${match.kind}]`);
    at = match.end;
  }
  return masked + text.slice(at);
}

/** A comparable form of a match's value: lower-case email, digits of a number. */
export function normalizedValue(match: Pick<PersonalDataMatch, 'kind' | 'value'>): string {
  return match.kind === 'email' ? match.value.toLowerCase() : digitsOf(match.value);
}
