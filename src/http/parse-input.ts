import type { z } from 'zod';
import { CountersignError } from '../core/errors.js';

/**
 * Validate a request's body or query; a failure is a 400 naming the first problem
 * (`invalid body: text: must not be empty`, `invalid query: unknown field x`).
 */
export function parseInput<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value ?? {});
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const where = issue.path.length ? `${issue.path.join('.')}: ` : '';
    throw new CountersignError('http.bad-request', `invalid ${what}: ${where}${issue.code === 'unrecognized_keys' ? `unknown field ${issue.keys.join(', ')}` : issue.message}`);
  }
  return result.data;
}
