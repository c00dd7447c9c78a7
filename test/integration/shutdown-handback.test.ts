/**
 * stop() (SIGTERM) with a turn that outlasts shutdownTimeoutMs: the turn is handed back and
 * stop() returns. Before the fix stop() never returned: its close(true) got back the close()
 * already waiting for the turn, which kept renewing the job's lock, so the process neither
 * exited nor let another worker take the turn over.
 */
import { describe, expect, it } from 'vitest';
import { createCountersign } from '../../src/main.js';
import { conversationHeaders, deferred, turnMessages, waitFor } from '../helpers/pipeline.js';
import { pipelinePerTest } from '../helpers/pipeline-per-test.js';

const perTest = pipelinePerTest();

describe('stop() with a turn still running past the shutdown timeout', () => {
  it('returns, and the turn is finished once by another worker', async () => {
    const drafting = deferred();
    let drafts = 0;
    const pipeline = await perTest.start({
      noService: true,
      env: { QUEUE_LOCK_DURATION_MS: '2000', QUEUE_STALLED_INTERVAL_MS: '1000' },
      // The first draft never comes (a stuck model call); the next one does.
      actor: (request) => {
        if (++drafts === 1) {
          drafting.resolve();
          return { hang: true };
        }
        return { content: `reply to: ${turnMessages(request).at(-1)}` };
      },
    });
    pipeline.config.shutdownTimeoutMs = 500;
    const first = perTest.stopAfter(createCountersign({ config: pipeline.config }));
    await first.start();
    const response = await fetch(`${first.url}/api/chat/handback/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...conversationHeaders('handback') },
      body: JSON.stringify({ text: 'Still there?' }),
    });
    expect(response.status).toBe(202);
    await drafting.promise;
    const stopped = await Promise.race([first.stop().then(() => 'stopped'), new Promise((resolve) => setTimeout(() => resolve('still waiting'), 20_000))]);
    expect(stopped).toBe('stopped');

    const second = perTest.stopAfter(createCountersign({ config: pipeline.config }));
    await second.start();
    const botTexts = async () => {
      const answer = await fetch(`${second.url}/api/chat/handback/messages`, { headers: conversationHeaders('handback') });
      return ((await answer.json()) as { messages: Array<{ role: string; text: string }> }).messages.filter((entry) => entry.role === 'bot').map((entry) => entry.text);
    };
    await waitFor(async () => (await botTexts()).length === 1, 'the handed-back turn to be answered', { timeoutMs: 25_000 });
    await pipeline.waitIdle('handback');
    expect(await botTexts()).toEqual(['reply to: Still there?']);
    expect(drafts).toBe(2);
  }, 60_000);
});
