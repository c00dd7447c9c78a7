import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Constant-time string equality for secrets (review token, CSRF token): both sides are hashed
 * first, so neither the content nor the length leaks through timing.
 */
export function constantTimeEqual(a: string, b: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(a), digest(b));
}
