import { describe, expect, it } from 'vitest';
import { deferred, verdict, waitFor } from '../helpers/pipeline.js';
import { pipelinePerTest } from '../helpers/pipeline-per-test.js';

const perTest = pipelinePerTest();

describe('graceful shutdown of a worker process', () => {
  it('SIGTERM during a turn: the active turn finishes and is posted once, then the process exits 0', async () => {
    const reviewing = deferred();
    const release = deferred();
    const pipeline = await perTest.start({
      role: 'ingest',
      critic: async () => {
        reviewing.resolve();
        await release.promise;
        return { content: verdict('approve') };
      },
    });
    const worker = await perTest.startWorker({ env: pipeline.env });
    await pipeline.send('shutdown', 'Finish me');
    await reviewing.promise;
    worker.child.kill('SIGTERM');
    // The worker stops taking work but keeps the active turn: it says so before it exits.
    await waitFor(() => worker.logs().some((line) => line.msg === 'stopping: no new work; waiting for active turns'), 'the worker to start stopping');
    release.resolve();
    expect(await worker.exited).toBe(0);
    expect(await pipeline.botTexts('shutdown')).toEqual(['reply to: Finish me']);
    expect(pipeline.critic.calls).toHaveLength(1);
    expect(worker.logs().some((line) => line.msg === 'stopped')).toBe(true);
  });
});
