import type { Logger } from 'pino';

/**
 * A warning that a flood could repeat thousands of times a second (one per refused message):
 * logged the first time per key in each window, with how many were left out since the last
 * line, so the log says what happened without becoming the flood. Every occurrence is still
 * counted by its metric.
 */
export function createThrottledWarning(logger: Logger, message: string, windowMs = 60_000) {
  const recent = new Map<string, { at: number; suppressed: number }>();
  return (key: string, fields: Record<string, unknown>): void => {
    const now = Date.now();
    const seen = recent.get(key);
    if (seen && now - seen.at < windowMs) {
      seen.suppressed += 1;
      return;
    }
    logger.warn({ ...fields, suppressedSinceLastLine: seen?.suppressed ?? 0 }, message);
    recent.set(key, { at: now, suppressed: 0 });
    // Forget quiet keys, so the map stays as small as the keys of the last window.
    if (recent.size > 1000) for (const [name, entry] of recent) if (now - entry.at >= windowMs) recent.delete(name);
  };
}
