/**
 * Retry policy as data: every error code's retryability and HTTP status in one table, and the
 * worker's wait before a retry taken from the error (a platform's Retry-After) before backoff.
 */
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, statusOfCode } from '../../src/core/error-codes.js';
import { CountersignError } from '../../src/core/errors.js';
import { retryDelay } from '../../src/queue/conversation-queue.js';

describe('the error codes', () => {
  it('are spelt one way: area.kebab-case', () => {
    for (const code of Object.keys(ERROR_CODES)) expect(code).toMatch(/^[a-z]+\.[a-z]+(-[a-z]+)*$/);
  });

  it("give an error its retryability from the table, or from the throw site for a family whose members differ", () => {
    expect(new CountersignError('review.conflict', 'x').retryable).toBe(false);
    expect(new CountersignError('delivery.claimed', 'x').retryable).toBe(true);
    expect(new CountersignError('model.http', 'HTTP 429', { retryable: true }).retryable).toBe(true);
    expect(new CountersignError('model.http', 'HTTP 400', { retryable: false }).retryable).toBe(false);
  });

  it('carry the HTTP status of the codes a client sees', () => {
    expect(statusOfCode('review.conflict')).toBe(409);
    expect(statusOfCode('review.refused')).toBe(422);
    expect(statusOfCode('delivery.claimed')).toBeUndefined();
  });

  it('carry retryAfterMs and outcomeUnknown as fields', () => {
    const limited = new CountersignError('slack.rate-limited', 'wait', { retryAfterMs: 12_000 });
    expect(limited.retryAfterMs).toBe(12_000);
    expect(new CountersignError('slack.outcome-unknown', 'lost', { outcomeUnknown: true }).outcomeUnknown).toBe(true);
    expect(new CountersignError('delivery.claimed', 'x').outcomeUnknown).toBe(false);
  });
});

describe('the wait before a retry', () => {
  it("is what the platform asked for (Retry-After), whatever the attempt", () => {
    const limited = new CountersignError('discord.rate-limited', 'wait', { retryAfterMs: 7_500 });
    expect(retryDelay(1, limited, 500)).toBe(7_500);
    expect(retryDelay(5, limited, 500)).toBe(7_500);
  });

  it('is otherwise an exponential backoff from queue.backoffMs', () => {
    const other = new CountersignError('delivery.claimed', 'busy');
    expect([1, 2, 3, 4].map((attempt) => retryDelay(attempt, other, 500))).toEqual([500, 1000, 2000, 4000]);
    expect(retryDelay(2, new Error('redis'), 250)).toBe(500);
  });
});
