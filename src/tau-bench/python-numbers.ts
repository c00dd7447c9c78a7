/**
 * Python arithmetic on ints (`bigint`) and floats (`number`): int op int stays an exact int,
 * anything with a float is a float, as in Python. Booleans count as ints (Python's bool is one).
 */
import { PythonError } from './python-error.js';
import type { PythonValue } from './python-value.js';

export type PythonNumber = bigint | number;

function typeName(value: PythonValue): string {
  if (value === null) return 'NoneType';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'bigint') return 'int';
  if (typeof value === 'number') return 'float';
  if (typeof value === 'string') return 'str';
  if (Array.isArray(value)) return 'list';
  return 'dict';
}

function operand(value: PythonValue, left: PythonValue, right: PythonValue, operator: string): PythonNumber {
  if (typeof value === 'bigint' || typeof value === 'number') return value;
  if (typeof value === 'boolean') return value ? 1n : 0n;
  throw new PythonError('TypeError', `unsupported operand type(s) for ${operator}: '${typeName(left)}' and '${typeName(right)}'`);
}

function arithmetic(left: PythonValue, right: PythonValue, operator: '+' | '-' | '*', ints: (a: bigint, b: bigint) => bigint, floats: (a: number, b: number) => number): PythonNumber {
  const a = operand(left, left, right, operator);
  const b = operand(right, left, right, operator);
  if (typeof a === 'bigint' && typeof b === 'bigint') return ints(a, b);
  return floats(Number(a), Number(b));
}

export const pythonAdd = (left: PythonValue, right: PythonValue) => arithmetic(left, right, '+', (a, b) => a + b, (a, b) => a + b);
export const pythonSubtract = (left: PythonValue, right: PythonValue) => arithmetic(left, right, '-', (a, b) => a - b, (a, b) => a - b);
export const pythonMultiply = (left: PythonValue, right: PythonValue) => arithmetic(left, right, '*', (a, b) => a * b, (a, b) => a * b);

export function pythonNegate(value: PythonValue): PythonNumber {
  if (typeof value === 'bigint') return -value;
  if (typeof value === 'number') return -value;
  if (typeof value === 'boolean') return value ? -1n : 0n;
  throw new PythonError('TypeError', `bad operand type for unary -: '${typeName(value)}'`);
}

/** `sum(values)`: starts from the int 0, like Python. */
export function pythonSum(values: readonly PythonValue[]): PythonNumber {
  let total: PythonNumber = 0n;
  for (const value of values) total = pythonAdd(total, value);
  return total;
}

/** Python's numeric comparison: exact between ints, int vs float by value. */
export function pythonCompare(left: PythonValue, right: PythonValue, operator: '<' | '>'): number {
  const guard = (value: PythonValue): PythonNumber => {
    if (typeof value === 'bigint' || typeof value === 'number') return value;
    if (typeof value === 'boolean') return value ? 1n : 0n;
    throw new PythonError('TypeError', `'${operator}' not supported between instances of '${typeName(left)}' and '${typeName(right)}'`);
  };
  const a = guard(left);
  const b = guard(right);
  if (typeof a === 'bigint' && typeof b === 'bigint') return a === b ? 0 : a < b ? -1 : 1;
  const x = Number(a);
  const y = Number(b);
  return x === y ? 0 : x < y ? -1 : x > y ? 1 : Number.NaN;
}

/** `left < right` / `left > right` for numbers. */
export const pythonLess = (left: PythonValue, right: PythonValue) => pythonCompare(left, right, '<') < 0;

/** `left == right` for numbers (`375 == 375.0`); values of other types are equal only if identical. */
export function pythonNumbersEqual(left: PythonValue, right: PythonValue): boolean {
  const numeric = (value: PythonValue) => typeof value === 'bigint' || typeof value === 'number' || typeof value === 'boolean';
  if (!numeric(left) || !numeric(right)) return left === right;
  return pythonCompare(left, right, '<') === 0;
}

/** `max(0, value)` as τ-bench writes it: Python returns the first of equal arguments. */
export function pythonMaxZero(value: PythonNumber): PythonNumber {
  return pythonCompare(value, 0n, '>') > 0 ? value : 0n;
}

/**
 * `round(value, digits)` of a float: the exact binary value rounded half to even at `digits`
 * decimals, then read back as the nearest float (CPython rounds through the exact decimal
 * expansion the same way; `toFixed` would round halves up).
 */
export function pythonRoundFloat(value: number, digits: number): number {
  if (!Number.isFinite(value) || value === 0) return value;
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.abs(value));
  const bits = view.getBigUint64(0);
  const exponentBits = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & 0xfffffffffffffn;
  // |value| = mantissa * 2^exponent exactly.
  const mantissa = exponentBits === 0 ? fraction : fraction | (1n << 52n);
  const exponent = (exponentBits === 0 ? 1 : exponentBits) - 1075;
  const scale = 10n ** BigInt(digits);
  let rounded: bigint;
  if (exponent >= 0) {
    rounded = (mantissa << BigInt(exponent)) * scale;
  } else {
    const denominator = 1n << BigInt(-exponent);
    const numerator = mantissa * scale;
    rounded = numerator / denominator;
    const twiceRemainder = (numerator % denominator) * 2n;
    if (twiceRemainder > denominator || (twiceRemainder === denominator && rounded % 2n === 1n)) rounded += 1n;
  }
  const magnitude = Number(`${rounded}e-${digits}`);
  return value < 0 ? -magnitude : magnitude;
}
