/**
 * web.showReview through the real pipeline, with the demo's own models (the offline actor and
 * critic of `npm run demo`): each reply's transcript entry says who countersigned it (critic
 * approved, edited, redrafted; human reviewer approved or wrote it; the operator's holding
 * message), with the critic's reason and the drafts the user never received. With showReview
 * off the chat API shows none of it, also for replies stored while it was on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReplyReview, TranscriptEntry } from '../../adapters/web/transcript-entry.js';
import { DEMO_PROMPTS, createDemoModelScript } from '../../src/demo/demo-models.js';
import { createCountersign, type Countersign } from '../../src/main.js';
import { type Pipeline, readWholeTranscript, startPipeline, waitFor } from '../helpers/pipeline.js';

const prompt = (decision: string) => DEMO_PROMPTS.find((entry) => entry.decision === decision)!.text;

let pipeline: Pipeline;

beforeAll(async () => {
  const models = createDemoModelScript();
  pipeline = await startPipeline({
    actor: models,
    critic: models,
    configure: (config) => {
      config.web = { ...config.web, showReview: true };
    },
  });
});

afterAll(async () => {
  await pipeline?.stop();
});

const entries = (conversation: string, base = pipeline.url()) => readWholeTranscript<TranscriptEntry>(base, conversation);

/** The bot entries of a conversation, once there are `count`. */
async function botEntries(conversation: string, count: number): Promise<TranscriptEntry[]> {
  return waitFor(async () => {
    const bots = (await entries(conversation)).filter((entry) => entry.role === 'bot');
    return bots.length >= count ? bots : null;
  }, `${count} bot entries in ${conversation}`);
}

async function pendingTurn(conversation: string): Promise<string> {
  return waitFor(async () => {
    const listed = await pipeline.reviewApi('GET', '/api/review/turns?status=pending');
    return (listed.body.turns as Array<{ id: string; conversation: string }>).find((turn) => turn.conversation === `web:${conversation}`)?.id;
  }, `the escalated turn of ${conversation}`);
}

describe('web.showReview on', () => {
  it('approve: the critic approved the draft, with its reason; nothing unsent', async () => {
    expect((await pipeline.send('review-approve', prompt('approve'))).status).toBe(202);
    const [reply] = await botEntries('review-approve', 1);
    expect(reply!.review).toEqual({ by: 'critic-approved', reason: expect.any(String), unsent: [] });
  });

  it('edit: the critic edited the draft; the draft with the promise is kept as never received', async () => {
    await pipeline.send('review-edit', prompt('edit'));
    const [reply] = await botEntries('review-edit', 1);
    const review = reply!.review as ReplyReview;
    expect(review.by).toBe('critic-edited');
    expect(review.reason).toMatch(/\S/);
    expect(review.unsent).toHaveLength(1);
    expect(review.unsent[0]).toMatchObject({ fate: 'edited' });
    // The user got the edit; the promise stayed in the draft they never received.
    expect(review.unsent[0]!.text).toMatch(/I promise/);
    expect(reply!.text).not.toMatch(/I promise/);
  });

  it("revise: redrafted after the critic's feedback; the rude first draft is kept with the feedback", async () => {
    await pipeline.send('review-revise', prompt('revise'));
    const [reply] = await botEntries('review-revise', 1);
    const review = reply!.review as ReplyReview;
    expect(review).toMatchObject({ by: 'critic-redrafted', redrafts: 1 });
    expect(review.edited).toBeUndefined();
    expect(review.unsent).toEqual([{ fate: 'redrafted', text: expect.stringMatching(/^Ugh/), note: expect.stringMatching(/sarcasm/) }]);
    expect(reply!.text).not.toMatch(/^Ugh/);
  });

  it('escalate: the holding message is the operator\'s, with why; the reviewer\'s own text replaces the draft, which is kept as never received', async () => {
    await pipeline.send('review-escalate', prompt('escalate'));
    const turnId = await pendingTurn('review-escalate');
    const [holding] = await botEntries('review-escalate', 1);
    // The draft waits for a human: it is not shown before the human decided.
    expect(holding!.review).toEqual({ by: 'operator-holding', reason: expect.stringMatching(/only a human/), unsent: [] });

    const written = 'A colleague will call you today about compensation.';
    expect((await pipeline.reviewApi('POST', `/api/review/turns/${turnId}/approve`, { text: written })).status).toBe(200);
    const [, reply] = await botEntries('review-escalate', 2);
    expect(reply!.text).toBe(written);
    expect(reply!.review).toEqual({
      by: 'reviewer-wrote',
      reason: expect.stringMatching(/only a human/),
      unsent: [{ fate: 'replaced', text: expect.stringMatching(/looking into your reservation/), note: expect.any(String) }],
    });
  });

  it('escalate, approved as drafted: the reviewer approved the draft the user got; nothing unsent', async () => {
    await pipeline.send('review-escalate-2', prompt('escalate'));
    const turnId = await pendingTurn('review-escalate-2');
    expect((await pipeline.reviewApi('POST', `/api/review/turns/${turnId}/approve`, {})).status).toBe(200);
    const [, reply] = await botEntries('review-escalate-2', 2);
    expect(reply!.review).toEqual({ by: 'reviewer-approved', reason: expect.stringMatching(/only a human/), unsent: [] });
  });

  it('stores nothing with the user\'s own messages', async () => {
    const users = (await entries('review-edit')).filter((entry) => entry.role === 'user');
    expect(users).toHaveLength(1);
    expect(users[0]).not.toHaveProperty('review');
  });
});

describe('web.showReview off', () => {
  let quiet: Countersign;

  beforeAll(async () => {
    // A second service of the same deployment (same Redis prefix) with showReview off.
    quiet = createCountersign({ config: { ...pipeline.config, web: { ...pipeline.config.web, showReview: false } }, role: 'ingest' });
    await quiet.start();
  });

  afterAll(async () => {
    await quiet?.stop();
  });

  it('answers the transcript without any review, also for replies stored while it was on', async () => {
    const shown = await entries('review-edit', quiet.url);
    expect(shown.map((entry) => entry.role)).toEqual(['user', 'bot']);
    for (const entry of shown) expect(Object.keys(entry).sort()).toEqual(['at', 'id', 'role', 'text']);
    // The same entries, as stored, carry the review (the first service shows it).
    const stored = await entries('review-edit');
    expect(stored[1]!.review?.by).toBe('critic-edited');
    expect(shown[1]!.text).toBe(stored[1]!.text);
  });

  it('stores no review for replies it posts', async () => {
    const web = quiet.adapters.get('web')!;
    await web.send({ conversation: { platform: 'web', id: 'review-off' }, deliveryId: 'manual', turnId: 'manual', part: 0, parts: 1, text: 'posted with showReview off', key: 'manual:0', replyTo: [], recovering: false, kind: 'reply' });
    const raw = await pipeline.redis.lrange(pipeline.keys.adapter('web', 'transcript:review-off'), 0, -1);
    const manual = raw.map((item) => JSON.parse(item) as TranscriptEntry).find((entry) => entry.id === 'manual:0');
    expect(manual).toBeDefined();
    expect(manual).not.toHaveProperty('review');
  });
});
