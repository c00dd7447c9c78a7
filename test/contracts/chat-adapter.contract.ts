/**
 * The ChatAdapter contract: one suite that every adapter runs in one line (as hono's router
 * implementations share `runTest`), each against its real platform client pointed at the local
 * fake of its platform (or, for the web chat, over its HTTP API), through a harness that knows
 * how to drive that platform. What every adapter must do, whatever its platform:
 *
 * - render: the same text gives the same parts, in this process and in another one (recovery
 *   re-renders), every part within the platform's limit, and blank text gives no part;
 * - send: idempotent while recovering: a part whose outcome was lost, sent again with
 *   `recovering: true`, is one message on the platform; a recovering send of a part that never
 *   arrived posts it; the parts of a long reply arrive once each, in order;
 * - ingest: a platform message delivered twice (a retried Slack event, a replayed Discord gateway
 *   event, a retried web POST with the same clientMessageId) is ingested once;
 * - review surfaces (adapters with presentEscalation): presenting a turn twice, or again after a
 *   presentation whose outcome was lost, leaves one review message; a decision that comes too
 *   late (the turn was resolved elsewhere, or the review service answers `review.conflict`
 *   because someone else won the race) is shown the same way on every platform: the review
 *   message is brought up to date (the decision and who made it, no buttons), no second
 *   decision is recorded, and the reviewer who clicked, and only they, gets one notice in the
 *   words of `alreadyResolvedNotice` (src/core/review-notices.ts), e.g. "Already resolved:
 *   rejected by Ops (via api).". A held tool call is shown with the call ("wants to run
 *   <tool>"), its arguments and the reason, and a late edit of its arguments is shown the same way.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isCountersignError } from '../../src/core/errors.js';
import type { ChatAdapter, OutboundPart, ReviewTurn } from '../../src/core/ports.js';
import { alreadyResolvedNotice } from '../../src/core/review-notices.js';
import type { ConversationRef, InboundMessage, Resolution } from '../../src/core/types.js';
import { escalatedReviewTurn } from '../fakes/escalated-review-turn.js';
import { replyPart } from '../fakes/reply-part.js';
import type { FakeAdapterContext } from '../fakes/fake-adapter-context.js';

/** A message on the platform, as the platform holds it. */
export interface PlatformMessage {
  id: string;
  text: string;
}

/** A review message on the platform. */
export interface PlatformReviewMessage {
  /** Everything the message shows, as text (its content, blocks or embeds). */
  text: string;
  /** Whether it still offers the decision buttons. */
  actionable: boolean;
}

export interface ReviewSurfaceHarness {
  /** The turn's review messages on the platform, oldest first. */
  reviewMessages(turnId: string): Promise<PlatformReviewMessage[]>;
  /** The harness's reviewer clicks a button of the turn's (first) review message. */
  click(turnId: string, action: 'approve' | 'reject' | 'edit'): Promise<void>;
  /** The reviewer clicks Edit and waits for the edit box; `submit` sends it with `text`. */
  openEdit(turnId: string): Promise<{ submit(text: string): Promise<void> }>;
  /** The notices only the harness's reviewer saw (ephemeral messages), oldest first. */
  noticesToReviewer(): Promise<string[]>;
  /** Edit boxes (modals) opened so far. */
  editBoxesOpened(): Promise<number>;
}

export interface ChatAdapterHarness {
  /** The adapter under test, started on `context`. */
  adapter: ChatAdapter;
  context: FakeAdapterContext;
  /** Another instance built with the same options and never started: another process, which re-renders a reply to recover it. */
  createAnother(): ChatAdapter;
  /** The longest part the platform shows whole, in characters (Infinity where there is no limit). */
  partLimit: number;
  /** A conversation a user started on the platform, and the user's message (ingested) that a reply answers. */
  openConversation(text?: string): Promise<{ conversation: ConversationRef; replyTo: InboundMessage[] }>;
  /** The bot's messages in the conversation, as the platform holds them, oldest first. */
  botMessages(conversation: ConversationRef): Promise<PlatformMessage[]>;
  /** The next post reaches the platform, but its answer is lost (a dropped connection, a lost reply). */
  loseNextPostOutcome(): void;
  /** A user writes `text`; the platform delivers it, then delivers the same message again (its retry or replay). Resolves once both were handled. */
  deliverTwice(text: string): Promise<void>;
  /** How this platform's reviewers decide, for adapters with presentEscalation. */
  review?: ReviewSurfaceHarness;
  close(): Promise<void>;
}

export interface ChatAdapterContractOptions {
  /** The adapter's name in the test titles. */
  name: string;
  /** Whether the adapter is a review surface (presentEscalation): its harness then has `review`. */
  reviews: boolean;
  createHarness(): Promise<ChatAdapterHarness>;
}

/** Wait for a condition with a deadline, checking every 20 ms. */
export async function eventually<T>(check: () => T | null | undefined | false | Promise<T | null | undefined | false>, description: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${description}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Texts that have broken renderers (long replies with code, huge words, fences and one-line code
 * blocks, emoji, CRLF), each with pieces of it that must survive rendering whatever the markup.
 */
function renderCorpus(): Record<string, { text: string; keeps: string[] }> {
  const paragraphs = Array.from({ length: 60 }, (_, index) => `Paragraph ${index}: **bold** and _italic_ with a [link](https://example.com/${index}) ${'lorem ipsum dolor sit amet '.repeat(12)}`);
  paragraphs.splice(30, 0, `\`\`\`ts\n${Array.from({ length: 120 }, (_, index) => `const line${index} = ${index}; // of the code`).join('\n')}\n\`\`\``);
  return {
    'a short reply': { text: 'Hello *there* & welcome <friend>.', keeps: ['Hello', 'there', 'welcome', 'friend'] },
    'Markdown with a list, a quote and code': {
      text: '# Your order\n\n- **Lamp**: shipped\n- _Shade_: pending\n\n> Thanks for waiting.\n\n```\nORDER-1234\n```',
      keeps: ['Your order', 'Lamp', 'Shade', 'Thanks for waiting.', 'ORDER-1234'],
    },
    'a 30,000-character reply with a long code block': {
      text: paragraphs.join('\n\n').slice(0, 30_000),
      keeps: ['Paragraph 0:', 'Paragraph 29:', 'const line0 = 0;', 'const line119 = 119;', 'Paragraph 40:'],
    },
    'one 9,000-character word': { text: 'x'.repeat(9_000), keeps: ['x'.repeat(1_000)] },
    '3,000 emoji': { text: '😀'.repeat(3_000), keeps: ['😀'.repeat(100)] },
    'a code fence whose opening line is 2,500 characters': { text: `\`\`\`${'z'.repeat(2_500)}\nsome code\nmore code\n\`\`\``, keeps: ['some code', 'more code'] },
    'a 4,000-character one-line code block between paragraphs': {
      text: `Before the code.\n\n\`\`\`${Array.from({ length: 500 }, (_, index) => `word${index}`).join(' ')}\`\`\`\n\nAfter the code.`,
      keeps: ['Before the code.', 'word0', 'word250', 'word499', 'After the code.'],
    },
    'Windows line ends': { text: Array.from({ length: 600 }, (_, index) => `line ${index} of a long answer`).join('\r\n'), keeps: ['line 0 of', 'line 599 of'] },
  };
}

/** A turn the critic escalated (a reply review item). */
function escalatedTurn(conversation: ConversationRef, replyTo: InboundMessage[]): ReviewTurn {
  return escalatedReviewTurn(replyTo, { conversation });
}

/** A turn whose tool call waits for a human (an action review item). */
function heldCallTurn(conversation: ConversationRef, replyTo: InboundMessage[]): ReviewTurn {
  const turn = escalatedTurn(conversation, replyTo);
  return {
    ...turn,
    drafts: [],
    verdict: undefined,
    escalation: {
      source: 'critic',
      reason: 'Cancellations need a human.',
      at: turn.createdAt,
      action: {
        server: 'airline',
        tool: 'cancel_booking',
        sourceName: 'cancel_booking',
        arguments: { bookingId: 'ABC123' },
        effect: 'write',
        idempotent: false,
        description: 'Cancel a booking.',
        inputSchema: { type: 'object', properties: { bookingId: { type: 'string' } }, required: ['bookingId'] },
        step: 0,
        index: 0,
        verdict: { decision: 'escalate', reason: 'Cancellations need a human.', categories: ['cancellation'], confidence: 0.8, revised_arguments: null, feedback: null },
      },
    },
  };
}

export function chatAdapterContract(options: ChatAdapterContractOptions): void {
  describe(`ChatAdapter contract: ${options.name}`, () => {
    let harness: ChatAdapterHarness;
    let adapter: ChatAdapter;
    let context: FakeAdapterContext;
    beforeEach(async () => {
      harness = await options.createHarness();
      adapter = harness.adapter;
      context = harness.context;
    });
    afterEach(async () => {
      await harness?.close();
    });

    const part = (conversation: ConversationRef, replyTo: InboundMessage[], text: string, overrides: Partial<OutboundPart> = {}) =>
      replyPart(conversation, text, { turnId: 'turn-c1', replyTo, ...overrides });

    describe('render', () => {
      it('renders the same text to the same parts, in this process and in another', () => {
        const another = harness.createAnother();
        for (const [name, { text }] of Object.entries(renderCorpus())) {
          const parts = adapter.render(text);
          expect(adapter.render(text), name).toEqual(parts);
          expect(another.render(text), name).toEqual(parts);
        }
      });

      it("keeps every part within the platform's limit, no part blank, nothing lost; blank text renders to no parts", () => {
        for (const [name, { text, keeps }] of Object.entries(renderCorpus())) {
          const parts = adapter.render(text);
          expect(parts.length, name).toBeGreaterThan(0);
          for (const rendered of parts) {
            expect(rendered.length, `${name}: a part of ${rendered.length} characters`).toBeLessThanOrEqual(harness.partLimit);
            expect(rendered.trim(), name).not.toBe('');
          }
          for (const piece of keeps) expect(parts.some((rendered) => rendered.includes(piece)), `${name}: ${piece.slice(0, 40)}`).toBe(true);
        }
        expect(adapter.render('')).toEqual([]);
        expect(adapter.render(' \n\t\n ')).toEqual([]);
      });
    });

    describe('send', () => {
      it('posts a part once; sent again recovering, it is found and not posted again', async () => {
        const { conversation, replyTo } = await harness.openConversation();
        const sent = await adapter.send(part(conversation, replyTo, 'Your lamp ships tomorrow.'));
        const again = await adapter.send(part(conversation, replyTo, 'Your lamp ships tomorrow.', { recovering: true }));
        expect(again).toEqual({ messageId: sent.messageId, alreadyPosted: true });
        expect(await harness.botMessages(conversation)).toEqual([{ id: sent.messageId, text: 'Your lamp ships tomorrow.' }]);
      });

      it('a part whose outcome was lost fails retryably, and sent again recovering is one message', async () => {
        const { conversation, replyTo } = await harness.openConversation();
        harness.loseNextPostOutcome();
        const failure = await adapter.send(part(conversation, replyTo, 'Only once, please.')).then(
          () => null,
          (error: unknown) => error,
        );
        expect(isCountersignError(failure), String(failure)).toBe(true);
        expect((failure as { retryable: boolean }).retryable).toBe(true);
        const arrived = await harness.botMessages(conversation);
        expect(arrived.map((message) => message.text)).toEqual(['Only once, please.']);
        const recovered = await adapter.send(part(conversation, replyTo, 'Only once, please.', { recovering: true }));
        expect(recovered).toEqual({ messageId: arrived[0]!.id, alreadyPosted: true });
        expect(await harness.botMessages(conversation)).toEqual(arrived);
      });

      it('a recovering send of a part that never reached the platform posts it', async () => {
        const { conversation, replyTo } = await harness.openConversation();
        const sent = await adapter.send(part(conversation, replyTo, 'The first attempt never got there.', { recovering: true }));
        expect(sent.alreadyPosted).toBeFalsy();
        expect(await harness.botMessages(conversation)).toEqual([{ id: sent.messageId, text: 'The first attempt never got there.' }]);
      });

      it('posts the parts of a long reply once each, in order, across a recovery pass', async () => {
        const { conversation, replyTo } = await harness.openConversation();
        const parts = adapter.render(renderCorpus()['a 30,000-character reply with a long code block']!.text);
        const sendAll = async (recovering: boolean) => {
          for (const [index, text] of parts.entries()) {
            await adapter.send(part(conversation, replyTo, text, { part: index, parts: parts.length, key: `turn-c1:${index}`, recovering }));
          }
        };
        await sendAll(false);
        await sendAll(true);
        expect((await harness.botMessages(conversation)).map((message) => message.text)).toEqual(parts);
      });
    });

    describe('ingest', () => {
      it('a platform message delivered twice is ingested once', async () => {
        const text = `is my order on its way? (${Math.random().toString(36).slice(2, 8)})`;
        const before = context.ingestCalls.length;
        await harness.deliverTwice(text);
        const calls = context.ingestCalls.slice(before).filter((call) => call.message.text === text);
        expect(calls.length).toBeGreaterThanOrEqual(1);
        // Every delivery named the same platform message, so the service's dedupe could see it.
        expect(new Set(calls.map((call) => call.message.id)).size).toBe(1);
        const accepted = context.accepted.filter((message) => message.text === text);
        expect(accepted).toHaveLength(1);
        expect(accepted[0]!.conversation.platform).toBe(adapter.platform);
      });
    });

    if (!options.reviews) {
      it('is no review surface: it has no presentEscalation (a review surface runs the review checks of this suite)', () => {
        expect(adapter.presentEscalation).toBeUndefined();
        expect(adapter.presentResolution).toBeUndefined();
      });
      return;
    }

    describe('review', () => {
      const review = () => harness.review!;

      async function presentTurn(make = escalatedTurn): Promise<ReviewTurn> {
        const { conversation, replyTo } = await harness.openConversation('I want a refund');
        const turn = make(conversation, replyTo);
        context.review.turns.set(turn.id, turn);
        await adapter.presentEscalation!(turn);
        return turn;
      }

      /** The reviewer's late decision is shown the same way: the notice, an up-to-date review message, no second decision. */
      async function expectShownAsResolved(turnId: string, decisionsBefore: number, words: { decision: string; who: string }) {
        const notices = await eventually(async () => {
          const shown = await review().noticesToReviewer();
          return shown.length ? shown : null;
        }, 'the notice to the reviewer');
        expect(notices).toEqual([alreadyResolvedNotice(await context.review.get(turnId))]);
        const [message] = await eventually(async () => {
          const messages = await review().reviewMessages(turnId);
          return messages.length && !messages[0]!.actionable ? messages : null;
        }, 'the review message to lose its buttons');
        expect(message!.text).toContain(words.decision);
        expect(message!.text).toContain(words.who);
        expect(context.review.decisions).toHaveLength(decisionsBefore);
        // Nothing more arrives for this click (one notice, not one per retry).
        await new Promise((resolve) => setTimeout(resolve, 300));
        expect(await review().noticesToReviewer()).toHaveLength(1);
      }

      it('presenting a turn twice leaves one review message', async () => {
        const turn = await presentTurn();
        await adapter.presentEscalation!(turn);
        const messages = await review().reviewMessages(turn.id);
        expect(messages).toHaveLength(1);
        expect(messages[0]!.actionable).toBe(true);
      });

      it('presenting a turn again after a presentation whose outcome was lost leaves one review message', async () => {
        const { conversation, replyTo } = await harness.openConversation('I want a refund');
        const turn = escalatedReviewTurn(replyTo, { conversation });
        context.review.turns.set(turn.id, turn);
        harness.loseNextPostOutcome();
        await expect(adapter.presentEscalation!(turn)).rejects.toSatisfy((error: unknown) => isCountersignError(error) && error.retryable);
        expect(await review().reviewMessages(turn.id)).toHaveLength(1);
        await adapter.presentEscalation!(turn);
        const messages = await review().reviewMessages(turn.id);
        expect(messages).toHaveLength(1);
        expect(messages[0]!.actionable).toBe(true);
      });

      it('a decision on a turn resolved elsewhere: the reviewer is told by whom, the review message shows it', async () => {
        const turn = await presentTurn();
        await context.review.reject(turn.id, { reviewer: { via: 'api', id: 'ops', name: 'Ops' } });
        await review().click(turn.id, 'approve');
        await expectShownAsResolved(turn.id, 1, { decision: 'Rejected', who: 'Ops' });
        expect(await review().noticesToReviewer()).toEqual(['Already resolved: rejected by Ops (via api).']);
      });

      it('a decision that loses the race (the review service answers review.conflict) is shown the same way', async () => {
        const turn = await presentTurn();
        const winner: Omit<Resolution, 'at'> = { decision: 'approved', reviewer: { via: 'dashboard', id: 'd1', name: 'Dana' } };
        context.review.loseNextRace(turn.id, winner);
        await review().click(turn.id, 'reject');
        await expectShownAsResolved(turn.id, 1, { decision: 'Approved', who: 'Dana' });
        expect(context.review.decisions.map((decision) => decision.reviewer.name)).toEqual(['Dana']);
      });

      it('the Edit button of a resolved turn is answered the same way, with no edit box', async () => {
        const turn = await presentTurn();
        await context.review.approve(turn.id, { reviewer: { via: 'api', id: 'ops', name: 'Ops' }, text: 'A human wrote this.' });
        await review().click(turn.id, 'edit');
        await expectShownAsResolved(turn.id, 1, { decision: 'Edited and approved', who: 'Ops' });
        expect(await review().editBoxesOpened()).toBe(0);
      });

      it('a held tool call shows the call, its arguments and the reason; an edit of its arguments submitted after the turn was resolved elsewhere is shown the same way', async () => {
        const turn = await presentTurn(heldCallTurn);
        const [message] = await review().reviewMessages(turn.id);
        expect(message!.actionable).toBe(true);
        for (const shown of ['wants to run cancel_booking', 'bookingId', 'ABC123', 'Cancellations need a human.', 'write, not idempotent']) expect(message!.text).toContain(shown);
        const edit = await review().openEdit(turn.id);
        await context.review.reject(turn.id, { reviewer: { via: 'cli', id: 'root', name: 'Root' } });
        await edit.submit('{ "bookingId": "ABC124" }');
        await expectShownAsResolved(turn.id, 1, { decision: 'Rejected', who: 'Root' });
      });

      it('an edit submitted after the turn was resolved elsewhere is shown the same way', async () => {
        const turn = await presentTurn();
        const edit = await review().openEdit(turn.id);
        await context.review.reject(turn.id, { reviewer: { via: 'cli', id: 'root', name: 'Root' } });
        await edit.submit('We can offer a refund of the shipping costs.');
        await expectShownAsResolved(turn.id, 1, { decision: 'Rejected', who: 'Root' });
      });
    });
  });
}
