import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { isCountersignError } from '../../src/core/errors.js';
import { createKeys } from '../../src/core/keys.js';
import type { ChatAdapter, OutboundPart, SentPart } from '../../src/core/ports.js';
import type { Platform, Turn, Verdict } from '../../src/core/types.js';
import { approvalFields, approveByCritic } from '../../src/delivery/approval.js';
import { createOutbox } from '../../src/delivery/outbox.js';
import { redisPerTest } from '../helpers/redis-per-test.js';

/** A platform that remembers what it posted by idempotency key, as Slack metadata or Discord nonces allow. */
function recordingAdapter(parts: (text: string) => string[] = (text) => [text]) {
  const posted = new Map<string, string>();
  const sends: OutboundPart[] = [];
  let failNext = false;
  const adapter: ChatAdapter = {
    platform: 'web',
    async start() {},
    async stop() {},
    render: parts,
    async send(part): Promise<SentPart> {
      sends.push(part);
      if (failNext) {
        failNext = false;
        throw new Error('the platform is down');
      }
      if (part.recovering && posted.has(part.key)) return { messageId: posted.get(part.key)!, alreadyPosted: true };
      posted.set(part.key, `msg-${posted.size + 1}`);
      return { messageId: posted.get(part.key)! };
    },
  };
  return { adapter, posted, sends, failOnce: () => (failNext = true) };
}

const approve: Verdict = { decision: 'approve', reason: 'fine', categories: [], confidence: 1, revised_text: null, feedback: null };
const turn: Pick<Turn, 'id' | 'conversation' | 'messages'> = { id: 'turn-1', conversation: { platform: 'web', id: 'c1' }, messages: [] };

const store = redisPerTest('outbox');

function setup(adapter: ChatAdapter, claimLeaseMs?: number) {
  const keys = createKeys(store.prefix);
  const outbox = createOutbox({ redis: store.redis, keys, adapters: new Map<Platform, ChatAdapter>([['web', adapter]]), logger: pino({ level: 'silent' }), ...(claimLeaseMs ? { claimLeaseMs } : {}) });
  return { keys, outbox };
}

async function record(keys: ReturnType<typeof createKeys>, text: string) {
  await store.redis.hset(keys.outbox(turn.id), ...approvalFields(approveByCritic(turn, approve, text)));
}

describe('the outbox: exactly-once delivery', () => {
  it('delivers each part once; a second deliver of the same record posts nothing', async () => {
    const platform = recordingAdapter((text) => text.split('|'));
    const { keys, outbox } = setup(platform.adapter);
    await record(keys, 'one|two|three');
    expect(await outbox.deliver(turn.id)).toMatchObject({ messageIds: ['msg-1', 'msg-2', 'msg-3'], recovered: 0 });
    expect(await outbox.deliver(turn.id)).toMatchObject({ messageIds: [] });
    expect(platform.sends.map((part) => [part.key, part.text, part.recovering])).toEqual([
      ['turn-1:0', 'one', false],
      ['turn-1:1', 'two', false],
      ['turn-1:2', 'three', false],
    ]);
    expect(await outbox.state(turn.id)).toBe('sent');
  });

  it('nothing is delivered without an approved record', async () => {
    const platform = recordingAdapter();
    const { outbox } = setup(platform.adapter);
    expect(await outbox.deliver('never-approved')).toBeNull();
    expect(platform.sends).toEqual([]);
  });

  it('a part whose send failed after the claim is re-sent with recovering: true, and a part found posted is not posted again', async () => {
    const platform = recordingAdapter((text) => text.split('|'));
    const { keys, outbox } = setup(platform.adapter);
    await record(keys, 'a|b');
    platform.failOnce();
    await expect(outbox.deliver(turn.id)).rejects.toThrow('the platform is down');
    await outbox.deliver(turn.id);
    expect(platform.sends.map((part) => [part.key, part.recovering])).toEqual([
      ['turn-1:0', false],
      ['turn-1:0', true],
      ['turn-1:1', false],
    ]);
    expect([...platform.posted.keys()]).toEqual(['turn-1:0', 'turn-1:1']);
  });

  it('a worker that died after the send but before recording it: the next one recovers instead of posting twice', async () => {
    const platform = recordingAdapter();
    const { keys, outbox } = setup(platform.adapter, 1000);
    await record(keys, 'only once');
    // The dead worker claimed part 0 (its lease since expired) and its post reached the platform.
    await store.redis.hset(keys.outbox(turn.id), 'claim:0', `dead-worker|${Date.now() - 1}`);
    platform.posted.set('turn-1:0', 'msg-from-dead-worker');
    const report = await outbox.deliver(turn.id);
    expect(report).toMatchObject({ messageIds: ['msg-from-dead-worker'], recovered: 1 });
    expect(platform.sends).toHaveLength(1);
    expect(platform.sends[0]!.recovering).toBe(true);
    expect(platform.posted.size).toBe(1);
    expect(await store.redis.hget(keys.outbox(turn.id), 'id:0')).toBe('msg-from-dead-worker');
  });

  it("a part claimed by another live worker is left alone (retryable delivery.claimed)", async () => {
    const platform = recordingAdapter();
    const { keys, outbox } = setup(platform.adapter);
    await record(keys, 'busy');
    await store.redis.hset(keys.outbox(turn.id), 'claim:0', `other-worker|${Date.now() + 60_000}`);
    const error = await outbox.deliver(turn.id).catch((caught: unknown) => caught);
    expect(isCountersignError(error, 'delivery.claimed')).toBe(true);
    expect((error as { retryable: boolean }).retryable).toBe(true);
    expect(platform.sends).toEqual([]);
  });

  it('only approvals issued by delivery/approval.ts can be recorded', () => {
    const forged = { ...approveByCritic(turn, approve, 'x') };
    expect(() => approvalFields(forged)).toThrow(/not issued/);
    expect(() => approveByCritic(turn, { ...approve, decision: 'escalate' }, 'x')).toThrow(/not an approval/);
  });
});
