/**
 * Configuration problems in words a person can act on: list positions as `[i]`
 * (`adapters[1]`, `rules[0].when`), an unknown field with the field it probably meant, a
 * value that is not a number or not one of the choices quoted back, and a YAML syntax error at
 * the line where the broken construct starts (an unclosed quote or bracket is reported by the
 * parser where it gave up, often the end of the file).
 */
import type { z } from 'zod';

/** `['rules', 0, 'when']` -> `rules[0].when` */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let text = '';
  for (const part of path) {
    if (typeof part === 'number' || (typeof part === 'string' && /^\d+$/.test(part))) text += `[${String(part)}]`;
    else text += text ? `.${String(part)}` : String(part);
  }
  return text;
}

/** Levenshtein distance, small strings only (field names). */
function distance(a: string, b: string): number {
  const previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = previous[0]!;
    previous[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = previous[j]!;
      previous[j] = Math.min(previous[j]! + 1, previous[j - 1]! + 1, diagonal + (a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1));
      diagonal = above;
    }
  }
  return previous[b.length]!;
}

/** The known name closest to a misspelt one, if it is close enough to be what was meant. */
export function closest(name: string, known: readonly string[]): string | null {
  let best: string | null = null;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of known) {
    const d = distance(name, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  if (best === null) return null;
  const lower = name.toLowerCase();
  const containment = best.toLowerCase().includes(lower) || lower.includes(best.toLowerCase());
  return bestDistance <= Math.max(2, Math.floor(best.length / 3)) || (containment && lower.length >= 3) ? best : null;
}

type AnySchema = { _zod: { def: Record<string, unknown> & { type: string } } };

/** Unwrap defaults, optionals, nullables and pipes (preprocess) down to the schema that validates. */
function unwrap(schema: AnySchema): AnySchema {
  let current = schema;
  for (let guard = 0; guard < 20; guard++) {
    const def = current._zod.def;
    if ((def.type === 'default' || def.type === 'optional' || def.type === 'nullable' || def.type === 'prefault' || def.type === 'catch') && def.innerType) current = def.innerType as AnySchema;
    else if (def.type === 'pipe') current = ((def.out as AnySchema)._zod.def.type === 'transform' ? def.in : def.out) as AnySchema;
    else return current;
  }
  return current;
}

/** The field names of the object schema at `path`, or [] when there is none. */
export function fieldsAt(root: unknown, path: ReadonlyArray<PropertyKey>): string[] {
  let current: AnySchema | undefined = unwrap(root as AnySchema);
  for (const part of path) {
    if (!current) return [];
    const def: Record<string, unknown> & { type: string } = current._zod.def;
    if (def.type === 'object') current = (def.shape as Record<string, AnySchema>)[String(part)];
    else if (def.type === 'array') current = def.element as AnySchema;
    else if (def.type === 'record') current = def.valueType as AnySchema;
    else return [];
    current = current ? unwrap(current) : undefined;
  }
  return current && current._zod.def.type === 'object' ? Object.keys(current._zod.def.shape as object) : [];
}

/** The raw value at a path of the configuration tree (to quote it back). */
function valueAt(tree: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let current = tree;
  for (const part of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[String(part)];
  }
  return current;
}

const quote = (value: unknown) => (typeof value === 'string' ? JSON.stringify(value) : JSON.stringify(value) ?? String(value));

/** What a number field's name says about its unit, for an example in the message. */
function unitHint(path: ReadonlyArray<PropertyKey>): string {
  const name = String(path.at(-1) ?? '');
  if (/Ms$/.test(name)) return ' (milliseconds: write 20000 for 20 seconds)';
  if (/Seconds$/.test(name)) return ' (seconds)';
  if (/Chars$/.test(name)) return ' (characters)';
  return '';
}

/** One zod issue as `path: message`, in the words above. */
export function describeIssue(issue: z.core.$ZodIssue, tree: unknown, schema: unknown): { path: string; message: string } {
  const path = formatPath(issue.path);
  if (issue.code === 'unrecognized_keys') {
    const known = fieldsAt(schema, issue.path);
    const parts = issue.keys.map((key) => {
      const meant = closest(key, known);
      return meant ? `unknown field "${key}" (did you mean "${meant}"?)` : `unknown field "${key}"${known.length ? ` (the fields here: ${known.join(', ')})` : ''}`;
    });
    return { path, message: parts.join('; ') };
  }
  const raw = valueAt(tree, issue.path);
  // A schema's own message says it best; only zod's generic ones are rewritten below.
  if (!/^Invalid (input|option)/.test(issue.message)) return { path, message: issue.message };
  if (issue.code === 'invalid_type' && issue.expected === 'number' && raw !== undefined) {
    return { path, message: `${quote(raw)} is not a number${unitHint(issue.path)}` };
  }
  if (issue.code === 'invalid_value' && Array.isArray(issue.values) && raw !== undefined) {
    const choices = issue.values.map(String);
    const meant = typeof raw === 'string' ? closest(raw, choices) : null;
    return { path, message: `${quote(raw)} is not one of ${choices.join(', ')}${meant ? ` (did you mean "${meant}"?)` : ''}` };
  }
  if (issue.code === 'invalid_type' && raw === undefined) return { path, message: `required (${issue.expected})` };
  return { path, message: issue.message };
}

/**
 * Where a YAML syntax error really is: for an unclosed quote or flow collection the parser
 * reports where it gave up; this finds where the construct opened, scanning back from there.
 */
export function yamlErrorOffset(text: string, code: string, message: string, reportedAt: number): number {
  const opener = code === 'MISSING_CHAR' && /quote/.test(message) ? (message.includes("'") ? "'" : '"') : /end with a \]/.test(message) ? '[' : /end with a \}/.test(message) ? '{' : null;
  if (!opener) return reportedAt;
  for (let index = Math.min(reportedAt, text.length - 1); index >= 0; index--) {
    if (text[index] !== opener) continue;
    const before = index === 0 ? '\n' : text[index - 1]!;
    // An opener starts a value: after a separator, not inside a word (it's, a"b).
    if (/[\s:,[{-]/.test(before)) return index;
  }
  return reportedAt;
}
