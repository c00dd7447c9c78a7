/**
 * Python values as τ-bench's environment sees them. τ-bench is Python: its database comes from
 * `json.load`, the model's tool arguments from `json.loads`, and both what a tool prints and the
 * reward's database hash depend on Python's types. JavaScript's `JSON.parse` loses two
 * distinctions that matter there, so this module keeps them:
 *
 * - int vs float: `100` and `100.0` print differently (`json.dumps`, `str`) and hash differently.
 *   An int is a `bigint`, a float a `number`.
 * - dict order: a dict keeps insertion order for every key; a JavaScript object puts
 *   integer-like keys ("123456" is a reservation id in the airline data) first. A dict is a `Map`.
 */
import { CountersignError } from '../core/errors.js';

export type PythonValue = null | boolean | bigint | number | string | PythonValue[] | PythonDict;
export type PythonDict = Map<string, PythonValue>;

/** Python's `str < str`: code point order (JavaScript's `<` compares UTF-16 units). */
export function compareCodePoints(left: string, right: string): number {
  const length = Math.min(left.length, right.length);
  for (let index = 0; index < length; index += 1) {
    const a = left.codePointAt(index) ?? 0;
    const b = right.codePointAt(index) ?? 0;
    if (a !== b) return a < b ? -1 : 1;
    if (a > 0xffff) index += 1;
  }
  return left.length === right.length ? 0 : left.length < right.length ? -1 : 1;
}

export function isPythonDict(value: PythonValue | undefined): value is PythonDict {
  return value instanceof Map;
}

/**
 * A value of JSON.parse's output as Python's `json.loads` would have built it from the same
 * text, as far as it can still be told: integral numbers become ints (JSON.parse cannot say
 * whether the text was `100` or `100.0`), every other number a float.
 */
export function fromJsonValue(value: unknown): PythonValue {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isInteger(value) ? BigInt(value) : value;
  if (Array.isArray(value)) return value.map(fromJsonValue);
  if (typeof value === 'object') {
    const dict: PythonDict = new Map();
    for (const [key, entry] of Object.entries(value)) dict.set(key, fromJsonValue(entry));
    return dict;
  }
  throw new CountersignError('tau.value', `not a JSON value: ${typeof value}`);
}

/** The plain JSON value of a Python value (ints become numbers; for comparisons and MCP). */
export function toJsonValue(value: PythonValue): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (Array.isArray(value)) return value.map(toJsonValue);
  if (value instanceof Map) {
    const object: Record<string, unknown> = {};
    for (const [key, entry] of value) {
      // defineProperty: a "__proto__" key must stay an own data property.
      Object.defineProperty(object, key, { value: toJsonValue(entry), enumerable: true, writable: true, configurable: true });
    }
    return object;
  }
  return value;
}

/** A deep copy (Python's `copy.deepcopy` of JSON-shaped data). */
export function deepCopy<T extends PythonValue>(value: T): T {
  return structuredClone(value);
}

const NUMBER = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?/y;
const WHITESPACE = /[ \t\n\r]*/y;

/**
 * Python's `json.loads`: ints as `bigint`, floats as `number`, objects as `Map` in document
 * order (a repeated key keeps its first position and its last value, as a dict does), and
 * Python's extensions `NaN`, `Infinity` and `-Infinity`.
 */
export function parsePythonJson(text: string): PythonValue {
  let position = 0;
  const fail = (what: string): never => {
    throw new CountersignError('tau.json', `invalid JSON: ${what} at character ${position}`);
  };
  const skipWhitespace = () => {
    WHITESPACE.lastIndex = position;
    WHITESPACE.exec(text);
    position = WHITESPACE.lastIndex;
  };
  const parseString = (): string => {
    const start = position;
    position += 1;
    for (;;) {
      const next = text.indexOf('"', position);
      if (next < 0) fail('unterminated string');
      let backslashes = 0;
      for (let index = next - 1; index > start && text[index] === '\\'; index -= 1) backslashes += 1;
      position = next + 1;
      if (backslashes % 2 === 0) break;
    }
    // JSON.parse decodes the escapes and refuses raw control characters, as json.loads does.
    try {
      return JSON.parse(text.slice(start, position)) as string;
    } catch {
      return fail('invalid string');
    }
  };
  const parseValue = (depth: number): PythonValue => {
    if (depth > 10_000) fail('nesting too deep');
    skipWhitespace();
    const char = text[position];
    if (char === '"') return parseString();
    if (char === '{') {
      position += 1;
      const dict: PythonDict = new Map();
      skipWhitespace();
      if (text[position] === '}') {
        position += 1;
        return dict;
      }
      for (;;) {
        skipWhitespace();
        if (text[position] !== '"') fail('expected a property name');
        const key = parseString();
        skipWhitespace();
        if (text[position] !== ':') fail("expected ':'");
        position += 1;
        dict.set(key, parseValue(depth + 1));
        skipWhitespace();
        if (text[position] === ',') {
          position += 1;
          continue;
        }
        if (text[position] === '}') {
          position += 1;
          return dict;
        }
        fail("expected ',' or '}'");
      }
    }
    if (char === '[') {
      position += 1;
      const list: PythonValue[] = [];
      skipWhitespace();
      if (text[position] === ']') {
        position += 1;
        return list;
      }
      for (;;) {
        list.push(parseValue(depth + 1));
        skipWhitespace();
        if (text[position] === ',') {
          position += 1;
          continue;
        }
        if (text[position] === ']') {
          position += 1;
          return list;
        }
        fail("expected ',' or ']'");
      }
    }
    for (const [word, value] of [
      ['null', null],
      ['true', true],
      ['false', false],
      ['NaN', Number.NaN],
      ['Infinity', Number.POSITIVE_INFINITY],
      ['-Infinity', Number.NEGATIVE_INFINITY],
    ] as const) {
      if (text.startsWith(word, position)) {
        position += word.length;
        return value;
      }
    }
    NUMBER.lastIndex = position;
    const match = NUMBER.exec(text);
    if (match === null) return fail('unexpected character');
    position = NUMBER.lastIndex;
    return match[1] === undefined && match[2] === undefined ? BigInt(match[0]) : Number(match[0]);
  };
  const value = parseValue(0);
  skipWhitespace();
  if (position !== text.length) fail('extra data');
  return value;
}
