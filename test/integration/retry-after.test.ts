/**
 * The worker honours a platform's Retry-After: a send refused with a rate limit fails the job
 * with `retryAfterMs`, and the next attempt comes no sooner than that (BullMQ's backoff takes
 * the error's own wait), not at once, and the reply is then posted once.
 */
import { describe, expect, it } from 'vitest';
import { CountersignError } from '../../src/core/errors.js';
import type { ChatAdapter, OutboundPart } from '../../src/core/ports.js';
import { createCountersign } from '../../src/main.js';
import { waitFor } from '../helpers/pipeline.js';
import { pipelinePerTest } from '../helpers/pipeline-per-test.js';

const perTest = pipelinePerTest();

/** A Slack-shaped adapter whose first send is rate-limited for `waitMs`. */
function rateLimitedOnce(waitMs: number) {
  const attempts: number[] = [];
  const posted: string[] = [];
  const adapter: ChatAdapter = {
    platform: 'slack',
    async start() {},
    async stop() {},
    render: (text) => [text],
    async send(part: OutboundPart) {
      attempts.push(Date.now());
      if (attempts.length === 1) throw new CountersignError('slack.rate-limited', `rate-limited; retry after ${waitMs / 1000}s`, { retryAfterMs: waitMs });
      posted.push(part.text);
      return { messageId: `m${attempts.length}` };
    },
  };
  return { adapter, attempts, posted };
}

describe("a platform's Retry-After", () => {
  it('delays the next attempt by at least the wait asked for, instead of the backoff, and the reply is posted once', async () => {
    const pipeline = await perTest.start({ noService: true });
    pipeline.config.queue.backoffMs = 100;
    const waitMs = 2500;
    const platform = rateLimitedOnce(waitMs);
    const service = perTest.stopAfter(createCountersign({ config: pipeline.config, adapters: [platform.adapter] }));
    await service.start();
    await service.ingest({ id: 'T1:C1:1.0001', conversation: { platform: 'slack', id: 'T1:C1:1.0001' }, user: { id: 'U1' }, text: 'hello' });
    await waitFor(() => platform.posted.length === 1, 'the reply to be posted after the rate limit', { timeoutMs: 30_000, intervalMs: 50 });
    expect(platform.attempts).toHaveLength(2);
    // A lower bound only: a busy machine can make the wait longer, never shorter.
    expect(platform.attempts[1]! - platform.attempts[0]!).toBeGreaterThanOrEqual(waitMs);
    expect(platform.posted).toEqual(['reply to: hello']);
  });
});
