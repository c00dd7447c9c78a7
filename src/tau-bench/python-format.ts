/**
 * Python's text forms of values, byte for byte: `json.dumps` with its defaults (what every
 * τ-bench tool returns), `repr` (inside `str(tuple)`, which the reward's database hash is taken
 * of) and `str` (in f-strings of tool messages).
 */
import type { PythonValue } from './python-value.js';
import { compareCodePoints } from './python-value.js';

/**
 * `repr(float)`: the shortest digits that read back to the same float (both languages choose the
 * same digits), laid out as Python does: positional from 1e-4 up to 1e16, with at least one
 * decimal (`100.0`), otherwise scientific with a signed, two-digit exponent (`1e-05`, `1e+16`).
 */
export function pythonFloatRepr(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (value === Number.POSITIVE_INFINITY) return 'inf';
  if (value === Number.NEGATIVE_INFINITY) return '-inf';
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
  const sign = value < 0 ? '-' : '';
  const [mantissa = '', exponentText = '0'] = Math.abs(value).toExponential().split('e');
  const digits = mantissa.replace('.', '');
  const exponent = Number(exponentText);
  if (exponent < -4 || exponent >= 16) {
    const fraction = digits.length > 1 ? `.${digits.slice(1)}` : '';
    const magnitude = String(Math.abs(exponent)).padStart(2, '0');
    return `${sign}${digits[0]}${fraction}e${exponent < 0 ? '-' : '+'}${magnitude}`;
  }
  if (exponent < 0) return `${sign}0.${'0'.repeat(-exponent - 1)}${digits}`;
  const whole = digits.slice(0, exponent + 1).padEnd(exponent + 1, '0');
  const fraction = digits.slice(exponent + 1) || '0';
  return `${sign}${whole}.${fraction}`;
}

/** `str(value)` for the scalars tool messages interpolate. */
export function pythonStr(value: PythonValue): string {
  if (typeof value === 'string') return value;
  return pythonRepr(value);
}

// json.dumps(ensure_ascii=True) escapes everything outside ' '..'~' (DEL included).
const JSON_ESCAPE = /[\\"\u0000-\u001f\u007f-\uffff]/g;
const JSON_NAMED: Record<string, string> = { '\\': '\\\\', '"': '\\"', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function jsonString(value: string): string {
  return `"${value.replace(JSON_ESCAPE, (char) => JSON_NAMED[char] ?? `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`)}"`;
}

/** `json.dumps(value)` with Python's defaults: separators `", "` and `": "`, ASCII only. */
export function pythonJsonDumps(value: PythonValue): string {
  if (value === null) return 'null';
  if (value === true) return 'true';
  if (value === false) return 'false';
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return 'NaN';
    if (value === Number.POSITIVE_INFINITY) return 'Infinity';
    if (value === Number.NEGATIVE_INFINITY) return '-Infinity';
    return pythonFloatRepr(value);
  }
  if (typeof value === 'string') return jsonString(value);
  if (Array.isArray(value)) return `[${value.map(pythonJsonDumps).join(', ')}]`;
  const parts: string[] = [];
  for (const [key, entry] of value) parts.push(`${jsonString(key)}: ${pythonJsonDumps(entry)}`);
  return `{${parts.join(', ')}}`;
}

// str.isprintable() is false for the categories Cc, Cf, Cs, Co, Cn, Zl, Zp and Zs (but ' ').
const NOT_PRINTABLE = /[\p{C}\p{Zl}\p{Zp}\p{Zs}]/u;

function reprCharacter(char: string, quote: string): string {
  if (char === '\\') return '\\\\';
  if (char === quote) return `\\${quote}`;
  if (char === '\n') return '\\n';
  if (char === '\r') return '\\r';
  if (char === '\t') return '\\t';
  const code = char.codePointAt(0) ?? 0;
  if (code < 0x20 || code === 0x7f) return `\\x${code.toString(16).padStart(2, '0')}`;
  if (code < 0x7f || char === ' ' || !NOT_PRINTABLE.test(char)) return char;
  if (code < 0x100) return `\\x${code.toString(16).padStart(2, '0')}`;
  if (code < 0x10000) return `\\u${code.toString(16).padStart(4, '0')}`;
  return `\\U${code.toString(16).padStart(8, '0')}`;
}

/** `repr(str)`: single quotes unless the text has a single quote and no double quote. */
export function pythonStringRepr(value: string): string {
  const quote = value.includes("'") && !value.includes('"') ? '"' : "'";
  let out = quote;
  for (const char of value) out += reprCharacter(char, quote);
  return out + quote;
}

/** `repr(tuple)` from the reprs of its items: `()`, `(x,)`, `(x, y)`. */
export function pythonTupleRepr(items: readonly string[]): string {
  if (items.length === 1) return `(${items[0]},)`;
  return `(${items.join(', ')})`;
}

/** `repr` of a scalar (`None`, `True`, ints, floats, strings). Lists and dicts: see data-hash. */
export function pythonRepr(value: PythonValue): string {
  if (value === null) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') return pythonFloatRepr(value);
  if (typeof value === 'string') return pythonStringRepr(value);
  return pythonHashableRepr(value);
}

/**
 * `str(to_hashable(value))` of τ-bench's reward: a dict becomes the tuple of its `(key, value)`
 * pairs sorted by key, a list the tuple of its items, recursively.
 */
export function pythonHashableRepr(value: PythonValue): string {
  if (Array.isArray(value)) return pythonTupleRepr(value.map(pythonHashableRepr));
  if (value instanceof Map) {
    const keys = [...value.keys()].sort(compareCodePoints);
    return pythonTupleRepr(keys.map((key) => pythonTupleRepr([pythonStringRepr(key), pythonHashableRepr(value.get(key) ?? null)])));
  }
  return pythonRepr(value);
}
