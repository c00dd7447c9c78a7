import { describe, expect, it } from 'vitest';
import {
  editArgumentsModal,
  editModal,
  escalationMessage,
  isDiscordReviewer,
  parseReviewCustomId,
  resolutionMessage,
  reviewCustomId,
} from '../../adapters/discord/discord-review-ui.js';
import type { ReviewTurn } from '../../src/core/ports.js';

const now = Date.UTC(2026, 0, 2, 3, 4, 5);
const turn: ReviewTurn = {
  id: 'turn-abc',
  conversation: { platform: 'discord', id: '1:2', route: { channelId: '2' } },
  messages: [{ id: '9', conversation: { platform: 'discord', id: '1:2' }, user: { id: 'u', name: 'Ann' }, text: 'refund me', receivedAt: now }],
  status: 'escalated',
  drafts: [{ text: 'We will refund you @everyone ```code```', at: now }],
  verdict: { decision: 'escalate', reason: 'refund promise', categories: ['refund', 'money'], confidence: 0.8, revised_text: null, feedback: null },
  context: [
    { role: 'user', text: 'hello', at: now, user: 'Ann' },
    { role: 'assistant', text: 'hi, how can I help?', at: now },
    { role: 'user', text: 'refund me', at: now, user: 'Ann' },
  ],
  escalation: { source: 'critic', reason: 'refund promise', at: now },
  revisions: 0,
  folds: 0,
  createdAt: now,
  updatedAt: now,
};

const embedSize = (embed: { title?: string; description?: string; fields?: Array<{ name: string; value: string }>; footer?: { text: string } }) =>
  (embed.title?.length ?? 0) + (embed.description?.length ?? 0) + (embed.footer?.text.length ?? 0) + (embed.fields ?? []).reduce((sum, field) => sum + field.name.length + field.value.length, 0);

describe('escalationMessage', () => {
  it('shows conversation, draft, critic decision, reason and categories with three buttons', () => {
    const message = escalationMessage(turn, { reviewerRole: '55' });
    const embed = message.embeds[0]!;
    expect(embed.description).toContain('We will refund you @everyone');
    expect(embed.description).not.toContain('```');
    const fields = Object.fromEntries((embed.fields ?? []).map((field) => [field.name, field.value]));
    expect(fields['Recent conversation']).toBe('**Ann:** hello\n**bot:** hi, how can I help?\n**Ann:** refund me');
    expect(fields['Critic decision']).toBe('escalate (confidence 0.80)');
    expect(fields.Reason).toBe('refund promise');
    expect(fields.Categories).toBe('refund, money');
    expect(message.components[0]!.components.map((button) => ['label' in button ? button.label : null, 'custom_id' in button ? button.custom_id : null])).toEqual([
      ['Approve', 'countersign:approve:turn-abc'],
      ['Edit', 'countersign:edit:turn-abc'],
      ['Reject', 'countersign:reject:turn-abc'],
    ]);
    // Only the reviewer role may be pinged by the review message.
    expect(message.allowed_mentions).toEqual({ parse: [], roles: ['55'] });
  });

  it('stays inside Discord embed limits for huge drafts and conversations', () => {
    const huge: ReviewTurn = {
      ...turn,
      drafts: [{ text: 'd'.repeat(20_000), at: now }],
      context: Array.from({ length: 50 }, () => ({ role: 'user' as const, text: 'c'.repeat(5000), at: now, user: 'Ann' })),
      escalation: { source: 'critic', reason: 'r'.repeat(5000), at: now },
    };
    const embed = escalationMessage(huge).embeds[0]!;
    expect(embed.description!.length).toBeLessThanOrEqual(4096);
    expect((embed.fields ?? []).every((field) => field.value.length <= 1024 && field.value.length > 0)).toBe(true);
    expect(embedSize(embed)).toBeLessThanOrEqual(6000);
  });
});

describe('resolutionMessage', () => {
  it('says who decided what and when, and removes the buttons', () => {
    const resolved: ReviewTurn = { ...turn, status: 'approved', resolution: { decision: 'edited', reviewer: { via: 'discord', id: '77', name: 'Rita' }, at: now, text: 'Better text' } };
    const message = resolutionMessage(resolved);
    expect(message.components).toEqual([]);
    expect(message.content).toBe('Edited and approved by Rita');
    const fields = Object.fromEntries((message.embeds[0]!.fields ?? []).map((field) => [field.name, field.value]));
    expect(fields.Decision).toBe(`Edited and approved by <@77> (via discord) <t:${Math.floor(now / 1000)}:f>`);
    expect(fields['Posted instead']).toBe('Better text');
    const viaApi = resolutionMessage({ ...turn, status: 'rejected', resolution: { decision: 'rejected', reviewer: { via: 'api', id: 'ops' }, at: now } });
    expect(viaApi.content).toBe('Rejected by ops');
  });
});

describe('editModal', () => {
  it('prefills the draft in a paragraph text input', () => {
    const modal = editModal(turn);
    expect(modal.custom_id).toBe('countersign:edit-submit:turn-abc');
    expect(JSON.stringify(modal.components)).toContain(JSON.stringify('We will refund you @everyone ```code```'));
  });
});

describe('custom ids and reviewers', () => {
  it('round-trips custom ids and ignores foreign ones', () => {
    expect(parseReviewCustomId(reviewCustomId('edit-submit', 'turn-1:x'))).toEqual({ action: 'edit-submit', turnId: 'turn-1:x' });
    expect(parseReviewCustomId('other:approve:1')).toBeNull();
    expect(reviewCustomId('approve', 'x'.repeat(40)).length).toBeLessThanOrEqual(100);
  });

  it('lets the reviewer role and listed users act, and nobody when nothing is configured', () => {
    expect(isDiscordReviewer({ userId: '1', roleIds: ['9'] }, { reviewerRole: '9' })).toBe(true);
    expect(isDiscordReviewer({ userId: '1', roleIds: [] }, { reviewers: ['1'] })).toBe(true);
    expect(isDiscordReviewer({ userId: '2', roleIds: ['8'] }, { reviewerRole: '9', reviewers: ['1'] })).toBe(false);
    expect(isDiscordReviewer({ userId: '1', roleIds: ['9'] }, {})).toBe(false);
  });
});

describe('a held tool call', () => {
  const action = {
    server: 'airline',
    tool: 'issue_voucher',
    sourceName: 'issue_voucher',
    arguments: { userId: 'u1', amount: 120, note: 'closes ``` early?' },
    effect: 'write' as const,
    idempotent: true,
    description: 'Issue a travel voucher.',
    inputSchema: { type: 'object' },
    step: 1,
    index: 0,
    verdict: { decision: 'escalate' as const, reason: 'over the voucher limit', categories: ['money'], confidence: 0.7, revised_arguments: null, feedback: null },
  };
  const held: ReviewTurn = { ...turn, drafts: [], escalation: { source: 'critic', reason: 'over the voucher limit', at: now, action } };

  it('shows the call and its arguments in a code block nothing inside can close, and the critic verdict on the call', () => {
    const message = escalationMessage(held);
    const embed = message.embeds[0]!;
    expect(message.content).toBe('A tool call needs review (wants to run issue_voucher)');
    expect(embed.title).toContain('Tool call waiting for review');
    expect(embed.description).toContain('**wants to run issue_voucher** on `airline` · write, idempotent');
    expect(embed.description).toContain('"note": "closes \'\'\' early?"');
    expect(embed.description!.match(/```/g)).toHaveLength(2);
    expect(embed.fields?.find((field) => field.name === 'Reason')?.value).toBe('over the voucher limit');
    // The reply verdict of the turn is not the call's.
    expect(embed.fields?.find((field) => field.name === 'Critic decision')?.value).toBe('escalate (confidence 0.70)');
    expect(message.components[0]!.components.map((button) => ('label' in button ? button.label : null))).toEqual(['Approve', 'Edit arguments', 'Reject']);
  });

  it('a call of unknown outcome asks whether it took effect, with no edit', () => {
    const unknown: ReviewTurn = { ...held, escalation: { ...held.escalation!, action: { ...action, outcomeUnknown: true } } };
    const message = escalationMessage(unknown);
    expect(message.components[0]!.components.map((button) => ('label' in button ? button.label : null))).toEqual(['It took effect', 'It did not']);
    expect(message.embeds[0]!.description).toContain('may already have run issue_voucher');
  });

  it('the arguments modal is prefilled with indented JSON and answers to its own custom id', () => {
    const modal = editArgumentsModal(held, action);
    expect(parseReviewCustomId(modal.custom_id)).toEqual({ action: 'edit-arguments', turnId: 'turn-abc' });
    const input = (modal.components[0] as unknown as { component: { value: string } }).component;
    expect(JSON.parse(input.value)).toEqual(action.arguments);
    expect(input.value).toContain('\n  "amount": 120');
    expect(modal.title.length).toBeLessThanOrEqual(45);
  });
});
