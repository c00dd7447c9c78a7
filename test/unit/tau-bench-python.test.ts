import { describe, expect, it } from 'vitest';
import { createAirlineDatabase } from '../../src/tau-bench/airline-database.js';
import { hashAirlineDatabase } from '../../src/tau-bench/data-hash.js';
import { calculateLikePython } from '../../src/tau-bench/python-calculate.js';
import { pythonFloatRepr, pythonHashableRepr, pythonJsonDumps, pythonStringRepr } from '../../src/tau-bench/python-format.js';
import { pythonRoundFloat } from '../../src/tau-bench/python-numbers.js';
import type { PythonDict } from '../../src/tau-bench/python-value.js';
import { fromJsonValue, parsePythonJson } from '../../src/tau-bench/python-value.js';

// A small database exercising what Python's text forms depend on. The expected text and hash
// below were produced by τ-bench's own `to_hashable` / `consistent_hash` and `json.dumps`
// (Python 3.11) from this same JSON.
const VECTOR = String.raw`{"flights": {"HAT002": {"b": 1, "a": [1.5, 100.0, 0.1, 1e-05, 1e16, 123456789.125, -0.0]}, "HAT001": {"x": "it's", "y": "say \"hi\"", "z": "both ' and \"", "w": "back\\slash\nnew\ttab\u0001\u007f"}},
 "reservations": {"123456": {"one": [7], "empty": [], "nested": {}, "flags": [true, false, null]}},
 "users": {"u": {"name": "Zo\u00eb \u65e5\u672c \ud83d\ude00", "nbsp": "a\u00a0b", "zw": "a\u200bb", "big": 123456789012345678901234567890, "neg": -5}}}`;

describe('Python values (τ-bench compatibility)', () => {
  it('json.loads: ints stay ints, floats floats, dict order as written (integer-like keys too)', () => {
    const value = parsePythonJson('{"b": 1, "a": 1.0, "123": [2e3, -0], "b": 3}') as PythonDict;
    expect([...value.keys()]).toEqual(['b', 'a', '123']);
    // A repeated key keeps its first place and its last value, as a dict does.
    expect(value.get('b')).toBe(3n);
    expect(value.get('a')).toBe(1);
    expect(value.get('123')).toEqual([2000, 0n]);
    expect(() => parsePythonJson('{"a": 1,}')).toThrow(/invalid JSON/);
    expect(() => parsePythonJson('[1] x')).toThrow(/extra data/);
  });

  it('json.dumps: Python separators, float forms and ASCII escapes', () => {
    const users = (parsePythonJson(VECTOR) as PythonDict).get('users') as PythonDict;
    expect(pythonJsonDumps(users.get('u') ?? null)).toBe(
      String.raw`{"name": "Zo\u00eb \u65e5\u672c \ud83d\ude00", "nbsp": "a\u00a0b", "zw": "a\u200bb", "big": 123456789012345678901234567890, "neg": -5}`,
    );
    const flights = (parsePythonJson(VECTOR) as PythonDict).get('flights') ?? null;
    expect(pythonJsonDumps(flights)).toBe(
      String.raw`{"HAT002": {"b": 1, "a": [1.5, 100.0, 0.1, 1e-05, 1e+16, 123456789.125, -0.0]}, "HAT001": {"x": "it's", "y": "say \"hi\"", "z": "both ' and \"", "w": "back\\slash\nnew\ttab\u0001\u007f"}}`,
    );
    expect(pythonJsonDumps(fromJsonValue({ a: [], b: {}, c: null, d: true }))).toBe('{"a": [], "b": {}, "c": null, "d": true}');
  });

  it('repr of floats and strings as Python writes them', () => {
    const floats: [number, string][] = [
      [100, '100.0'],
      [0.1 + 0.2, '0.30000000000000004'],
      [1e-4, '0.0001'],
      [1e-5, '1e-05'],
      [1.5e-7, '1.5e-07'],
      [1e15, '1000000000000000.0'],
      [1e16, '1e+16'],
      [1.2345e22, '1.2345e+22'],
      [-2.5, '-2.5'],
      [Number.POSITIVE_INFINITY, 'inf'],
    ];
    for (const [value, text] of floats) expect(pythonFloatRepr(value)).toBe(text);
    expect(pythonStringRepr("it's")).toBe(`"it's"`);
    expect(pythonStringRepr(`both ' and "`)).toBe(`'both \\' and "'`);
    expect(pythonStringRepr('a\u00a0b\u200b\u0001é')).toBe("'a\\xa0b\\u200b\\x01é'");
  });

  it("τ-bench's database hash: the same text and SHA-256 as to_hashable / consistent_hash", () => {
    const value = parsePythonJson(VECTOR) as PythonDict;
    expect(pythonHashableRepr(value)).toBe(
      `(('flights', (('HAT001', (('w', 'back\\\\slash\\nnew\\ttab\\x01\\x7f'), ('x', "it's"), ('y', 'say "hi"'), ('z', 'both \\' and "'))), ('HAT002', (('a', (1.5, 100.0, 0.1, 1e-05, 1e+16, 123456789.125, -0.0)), ('b', 1))))), ('reservations', (('123456', (('empty', ()), ('flags', (True, False, None)), ('nested', ()), ('one', (7,)))),)), ('users', (('u', (('big', 123456789012345678901234567890), ('name', 'Zoë 日本 😀'), ('nbsp', 'a\\xa0b'), ('neg', -5), ('zw', 'a\\u200bb'))),)))`,
    );
    const data = { flights: value.get('flights') as PythonDict, reservations: value.get('reservations') as PythonDict, users: value.get('users') as PythonDict };
    expect(hashAirlineDatabase(createAirlineDatabase(data))).toBe('c721ababb0e2165cd33b4bc3da295c5a3e6a243bc272d3f1cd644dd5b4b583b5');
  });

  it('an int and the equal float hash differently, as in τ-bench', () => {
    const make = (amount: string) => {
      const users = parsePythonJson(`{"u": {"amount": ${amount}}}`) as PythonDict;
      return hashAirlineDatabase(createAirlineDatabase({ flights: new Map(), reservations: new Map(), users }));
    };
    expect(make('100')).not.toBe(make('100.0'));
    expect(make('100')).toBe(make('100'));
  });

  it('round(x, 2) rounds the exact binary value half to even', () => {
    expect(pythonRoundFloat(0.125, 2)).toBe(0.12);
    expect(pythonRoundFloat(0.375, 2)).toBe(0.38);
    expect(pythonRoundFloat(2.675, 2)).toBe(2.67);
    expect(pythonRoundFloat(1 / 3, 2)).toBe(0.33);
    expect(Object.is(pythonRoundFloat(-0.001, 2), -0)).toBe(true);
  });

  it("calculate: Python eval's results and error texts (expected values from Python 3.11)", () => {
    const cases: [string, string][] = [
      ['', 'Error: invalid syntax (<string>, line 0)'],
      ['1+', 'Error: invalid syntax (<string>, line 1)'],
      ['(1+2', "Error: '(' was never closed (<string>, line 1)"],
      ['1+2)', "Error: unmatched ')' (<string>, line 1)"],
      ['01', 'Error: leading zeros in decimal integer literals are not permitted; use an 0o prefix for octal integers (<string>, line 1)'],
      ['1 2', 'Error: invalid syntax (<string>, line 1)'],
      ['...', "Error: float() argument must be a string or a real number, not 'ellipsis'"],
      ['()', "Error: float() argument must be a string or a real number, not 'tuple'"],
      ['1/0', 'Error: division by zero'],
      ['1.0/0', 'Error: float division by zero'],
      ['1//0', 'Error: integer division or modulo by zero'],
      ['1.0//0', 'Error: float floor division by zero'],
      ['2**-1', '0.5'],
      ['0**-1', 'Error: 0.0 cannot be raised to a negative power'],
      ['(-8)**0.5', "Error: float() argument must be a string or a real number, not 'complex'"],
      ['10**400', 'Error: int too large to convert to float'],
      ['2.0**10000', "Error: (34, 'Numerical result out of range')"],
      ['1.', '1.0'],
      ['.5', '0.5'],
      ['1..2', 'Error: invalid syntax (<string>, line 1)'],
      ['3 * (4 + 5) / 2', '13.5'],
      ['0.1+0.2', '0.3'],
      ['1/3', '0.33'],
      ['2.675*1', '2.67'],
      ['1e5', 'Error: invalid characters in expression'],
      ['00', '0.0'],
      ['00.5', '0.5'],
      ['-(2)**2', '-4.0'],
      ['--1', '1.0'],
      ['+-+1', '-1.0'],
      ['(1)(2)', "Error: 'int' object is not callable"],
      ['0.125', '0.12'],
      ['100', '100.0'],
      ['7 // 2 * 3 - -1', '10.0'],
      ['-7 // 2', '-4.0'],
      ['2 ** 3 ** 2', '512.0'],
    ];
    for (const [expression, output] of cases) expect([expression, calculateLikePython(expression)]).toEqual([expression, output]);
  });
});
