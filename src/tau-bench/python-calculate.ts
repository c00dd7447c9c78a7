/**
 * τ-bench's `calculate` tool evaluates the model's expression with Python's `eval` after
 * checking that it only has the characters `0123456789+-*\/(). `, then returns
 * `str(round(float(result), 2))`. This is that subset of Python: int and float literals, `+ - *
 * / // **`, unary signs, parentheses, and the few other things those characters can spell
 * (`...` is Ellipsis, `()` an empty tuple, `(2)(3)` a call), with Python's results and error
 * texts (Python 3.11's wording).
 */
import { pythonFloatRepr } from './python-format.js';
import { PythonError } from './python-error.js';
import { pythonRoundFloat } from './python-numbers.js';

const ALLOWED = /^[0-9+\-*/(). ]*$/;

type Value = bigint | number | { kind: 'ellipsis' } | { kind: 'tuple'; length: number } | { kind: 'complex' };

function typeName(value: Value): string {
  if (typeof value === 'bigint') return 'int';
  if (typeof value === 'number') return 'float';
  return value.kind;
}

class SyntaxFailure extends Error {}

type Token = { type: 'number'; text: string } | { type: 'op'; text: string };

function syntaxError(message: string, line = 1): PythonError {
  return new PythonError('SyntaxError', `${message} (<string>, line ${line})`);
}

function tokenize(expression: string): Token[] {
  const tokens: Token[] = [];
  const pattern = /\s*(?:(\d+(?:\.\d*)?|\.\d+)|(\.\.\.|\*\*|\/\/|[-+*/().]))/y;
  let depth = 0;
  let position = 0;
  while (position < expression.length) {
    if (expression.slice(position).trim() === '') break;
    pattern.lastIndex = position;
    const match = pattern.exec(expression);
    if (match === null) throw syntaxError('invalid syntax');
    position = pattern.lastIndex;
    if (match[1] !== undefined) {
      const text = match[1];
      if (/^0+[1-9]\d*$/.test(text)) throw syntaxError('leading zeros in decimal integer literals are not permitted; use an 0o prefix for octal integers');
      tokens.push({ type: 'number', text });
      continue;
    }
    const op = match[2] ?? '';
    if (op === '(') depth += 1;
    if (op === ')') {
      if (depth === 0) throw syntaxError("unmatched ')'");
      depth -= 1;
    }
    tokens.push({ type: 'op', text: op });
  }
  if (depth > 0) throw syntaxError("'(' was never closed");
  return tokens;
}

type Node =
  | { type: 'literal'; value: Value }
  | { type: 'unary'; op: string; operand: Node }
  | { type: 'binary'; op: string; left: Node; right: Node }
  | { type: 'call'; callee: Node; argument: Node | null };

function parse(tokens: Token[]): Node {
  let index = 0;
  const peek = () => tokens[index];
  const isOp = (text: string) => {
    const token = peek();
    return token !== undefined && token.type === 'op' && token.text === text;
  };
  const expect = (text: string) => {
    if (!isOp(text)) throw new SyntaxFailure();
    index += 1;
  };
  const atom = (): Node => {
    const token = peek();
    if (token === undefined) throw new SyntaxFailure();
    index += 1;
    if (token.type === 'number') {
      const isFloat = token.text.includes('.');
      return { type: 'literal', value: isFloat ? Number(token.text) : BigInt(token.text) };
    }
    if (token.text === '...') return { type: 'literal', value: { kind: 'ellipsis' } };
    if (token.text === '(') {
      if (isOp(')')) {
        index += 1;
        return { type: 'literal', value: { kind: 'tuple', length: 0 } };
      }
      const inner = expression();
      expect(')');
      return inner;
    }
    throw new SyntaxFailure();
  };
  const primary = (): Node => {
    let node = atom();
    while (isOp('(')) {
      index += 1;
      const argument = isOp(')') ? null : expression();
      expect(')');
      node = { type: 'call', callee: node, argument };
    }
    return node;
  };
  const power = (): Node => {
    const base = primary();
    if (isOp('**')) {
      index += 1;
      return { type: 'binary', op: '**', left: base, right: factor() };
    }
    return base;
  };
  const factor = (): Node => {
    if (isOp('-') || isOp('+')) {
      const op = peek()?.text ?? '';
      index += 1;
      return { type: 'unary', op, operand: factor() };
    }
    return power();
  };
  const term = (): Node => {
    let node = factor();
    while (isOp('*') || isOp('/') || isOp('//')) {
      const op = peek()?.text ?? '';
      index += 1;
      node = { type: 'binary', op, left: node, right: factor() };
    }
    return node;
  };
  const expression = (): Node => {
    let node = term();
    while (isOp('+') || isOp('-')) {
      const op = peek()?.text ?? '';
      index += 1;
      node = { type: 'binary', op, left: node, right: term() };
    }
    return node;
  };
  const node = expression();
  if (index !== tokens.length) throw new SyntaxFailure();
  return node;
}

/** `int / int` as Python does it: correctly rounded where it matters here, errors past floats. */
function trueDivideInts(left: bigint, right: bigint): number {
  if (right === 0n) throw new PythonError('ZeroDivisionError', 'division by zero');
  const limit = 1n << 53n;
  const small = (value: bigint) => (value < 0n ? -value : value) <= limit;
  if (small(left) && small(right)) return Number(left) / Number(right);
  const negative = left < 0n !== right < 0n;
  const numerator = left < 0n ? -left : left;
  const denominator = right < 0n ? -right : right;
  // Scale so the quotient has 64 significant bits, then let Number() round it.
  const shift = BigInt(64 - (numerator.toString(2).length - denominator.toString(2).length));
  const quotient = shift >= 0n ? (numerator << shift) / denominator : numerator / (denominator << -shift);
  const magnitude = Number(quotient) * 2 ** -Number(shift);
  if (!Number.isFinite(magnitude)) throw new PythonError('OverflowError', 'integer division result too large for a float');
  return negative ? -magnitude : magnitude;
}

function toFloat(value: bigint): number {
  const result = Number(value);
  if (!Number.isFinite(result)) throw new PythonError('OverflowError', 'int too large to convert to float');
  return result;
}

function unsupported(op: string, left: Value, right: Value): PythonError {
  return new PythonError('TypeError', `unsupported operand type(s) for ${op}: '${typeName(left)}' and '${typeName(right)}'`);
}

function power(left: Value, right: Value): Value {
  if (typeof left === 'object' || typeof right === 'object') {
    if ((typeof left === 'object' && left.kind === 'complex') || (typeof right === 'object' && right.kind === 'complex')) {
      if (typeof left !== 'object' || typeof right !== 'object' || (left.kind === 'complex' && right.kind === 'complex')) return { kind: 'complex' };
    }
    throw unsupported('** or pow()', left, right);
  }
  if (typeof left === 'bigint' && typeof right === 'bigint' && right >= 0n) {
    const bits = BigInt((left < 0n ? -left : left).toString(2).length);
    // Python would build the int and then fail to make a float of it: spare the memory.
    if (left !== 0n && left !== 1n && left !== -1n && bits * right > 1_000_000n) throw new PythonError('OverflowError', 'int too large to convert to float');
    return left ** right;
  }
  const base = typeof left === 'bigint' ? toFloat(left) : left;
  const exponent = typeof right === 'bigint' ? toFloat(right) : right;
  if (base === 0 && exponent < 0) throw new PythonError('ZeroDivisionError', '0.0 cannot be raised to a negative power');
  if (base < 0 && !Number.isInteger(exponent)) return { kind: 'complex' };
  const result = base ** exponent;
  if (!Number.isFinite(result) && Number.isFinite(base) && Number.isFinite(exponent)) throw new PythonError('OverflowError', "(34, 'Numerical result out of range')");
  return result;
}

function binary(op: string, left: Value, right: Value): Value {
  if (op === '**') return power(left, right);
  const leftTuple = typeof left === 'object' && left.kind === 'tuple';
  const rightTuple = typeof right === 'object' && right.kind === 'tuple';
  if (leftTuple || rightTuple) {
    if (op === '+' && leftTuple && rightTuple) return { kind: 'tuple', length: 0 };
    if (op === '+' && leftTuple) throw new PythonError('TypeError', `can only concatenate tuple (not "${typeName(right)}") to tuple`);
    if (op === '*') {
      const other = leftTuple ? right : left;
      if (typeof other === 'bigint') return { kind: 'tuple', length: 0 };
      throw new PythonError('TypeError', `can't multiply sequence by non-int of type '${typeName(other)}'`);
    }
    throw unsupported(op, left, right);
  }
  if (typeof left === 'object' || typeof right === 'object') {
    const complexOrNumber = (value: Value) => typeof value !== 'object' || value.kind === 'complex';
    if (op !== '//' && complexOrNumber(left) && complexOrNumber(right)) return { kind: 'complex' };
    throw unsupported(op, left, right);
  }
  if (typeof left === 'bigint' && typeof right === 'bigint') {
    if (op === '+') return left + right;
    if (op === '-') return left - right;
    if (op === '*') return left * right;
    if (op === '/') return trueDivideInts(left, right);
    if (right === 0n) throw new PythonError('ZeroDivisionError', 'integer division or modulo by zero');
    const quotient = left / right;
    return (left % right !== 0n && left < 0n !== right < 0n) ? quotient - 1n : quotient;
  }
  const a = typeof left === 'bigint' ? toFloat(left) : left;
  const b = typeof right === 'bigint' ? toFloat(right) : right;
  if (op === '+') return a + b;
  if (op === '-') return a - b;
  if (op === '*') return a * b;
  if (b === 0) throw new PythonError('ZeroDivisionError', op === '/' ? 'float division by zero' : 'float floor division by zero');
  return op === '/' ? a / b : Math.floor(a / b);
}

function evaluate(node: Node): Value {
  switch (node.type) {
    case 'literal':
      return node.value;
    case 'unary': {
      const value = evaluate(node.operand);
      if (typeof value === 'bigint') return node.op === '-' ? -value : value;
      if (typeof value === 'number') return node.op === '-' ? -value : value;
      if (value.kind === 'complex') return value;
      throw new PythonError('TypeError', `bad operand type for unary ${node.op}: '${typeName(value)}'`);
    }
    case 'binary':
      return binary(node.op, evaluate(node.left), evaluate(node.right));
    case 'call': {
      const callee = evaluate(node.callee);
      if (node.argument !== null) evaluate(node.argument);
      throw new PythonError('TypeError', `'${typeName(callee)}' object is not callable`);
    }
  }
}

/** The text τ-bench's `calculate` returns for `expression` (results and errors alike). */
export function calculateLikePython(expression: string): string {
  if (!ALLOWED.test(expression)) return 'Error: invalid characters in expression';
  try {
    if (expression.trim() === '') throw syntaxError('invalid syntax', 0);
    let tree: Node;
    try {
      tree = parse(tokenize(expression));
    } catch (error) {
      if (error instanceof SyntaxFailure) throw syntaxError('invalid syntax');
      throw error;
    }
    const value = evaluate(tree);
    if (typeof value === 'object') throw new PythonError('TypeError', `float() argument must be a string or a real number, not '${typeName(value)}'`);
    const asFloat = typeof value === 'bigint' ? toFloat(value) : value;
    return pythonFloatRepr(pythonRoundFloat(asFloat, 2));
  } catch (error) {
    if (error instanceof PythonError) return `Error: ${error.message}`;
    throw error;
  }
}
