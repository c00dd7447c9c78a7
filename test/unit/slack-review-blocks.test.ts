/** The Slack review message and modal of a held tool call (the pipeline test clicks through them; these are the edges). */
import { describe, expect, it } from 'vitest';
import { buildEditArgumentsModal, buildResolutionMessage, buildReviewMessage, EDIT_ARGUMENTS_BLOCK_ID } from '../../adapters/slack/slack-review-blocks.js';
import type { PendingAction, Turn } from '../../src/core/types.js';

function heldCall(action: Partial<PendingAction> = {}): Turn {
  const pending: PendingAction = {
    server: 'airline',
    tool: 'issue_voucher',
    sourceName: 'issue_voucher',
    arguments: { userId: 'u1', amount: 120, note: 'a <b>note</b> with ``` fences' },
    effect: 'write',
    idempotent: true,
    description: 'Issue a travel voucher.',
    inputSchema: { type: 'object' },
    step: 0,
    index: 0,
    ...action,
  };
  return {
    id: 'turn1',
    conversation: { platform: 'slack', id: 'T1:C1:1.0', route: { channel: 'C1' } },
    messages: [{ id: 'm1', conversation: { platform: 'slack', id: 'T1:C1:1.0' }, user: { id: 'U1' }, text: 'a voucher please', receivedAt: 1 }],
    status: 'escalated',
    drafts: [],
    escalation: { source: 'rule', rule: 'big-vouchers', reason: 'vouchers over 100 need a human', at: 2, action: pending },
    revisions: 0,
    folds: 0,
    createdAt: 1,
    updatedAt: 2,
  };
}

const texts = (blocks: unknown[]) => blocks.map((block) => (block as { text?: { text?: string } }).text?.text ?? JSON.stringify(block)).join('\n');
const buttons = (blocks: unknown[]) =>
  blocks.flatMap((block) => ((block as { type: string }).type === 'actions' ? (block as { elements: Array<{ text: { text: string } }> }).elements.map((button) => button.text.text) : []));

describe('Slack review of a held tool call', () => {
  it('shows the arguments in a code block with Slack escapes, a ``` inside kept from closing it', () => {
    const message = buildReviewMessage(heldCall());
    const shown = texts(message.blocks);
    expect(shown).toContain('*wants to run issue_voucher* on `airline` · write, idempotent');
    expect(shown).toContain('"note": "a &lt;b&gt;note&lt;/b&gt; with `\u200b`` fences"');
    expect(shown).toContain('*Escalated by:* rule (big-vouchers): vouchers over 100 need a human');
    expect(buttons(message.blocks)).toEqual(['Approve', 'Edit arguments', 'Reject']);
  });

  it('a call whose outcome is unknown asks whether it took effect, with no edit', () => {
    const message = buildReviewMessage(heldCall({ outcomeUnknown: true }));
    expect(message.text).toContain('may already have run issue_voucher');
    expect(buttons(message.blocks)).toEqual(['It took effect', 'It did not']);
    expect(texts(message.blocks)).toContain('it may have run');
  });

  it('the arguments modal prefills indented JSON, or says where to go when it does not fit', () => {
    const modal = buildEditArgumentsModal(heldCall().escalation!.action!, { turnId: 'turn1', channel: 'C0REVIEW', ts: '1.1' }) as { blocks: Array<Record<string, unknown>> };
    const input = modal.blocks.find((block) => block.block_id === EDIT_ARGUMENTS_BLOCK_ID) as { element: { initial_value?: string } };
    expect(JSON.parse(input.element.initial_value!)).toEqual(heldCall().escalation!.action!.arguments);
    expect(input.element.initial_value).toContain('\n  "amount": 120');

    const huge = heldCall({ arguments: { text: 'x'.repeat(4000) } });
    const big = buildEditArgumentsModal(huge.escalation!.action!, { turnId: 'turn1', channel: 'C0REVIEW', ts: '1.1' }) as { blocks: Array<Record<string, unknown>> };
    expect((big.blocks.find((block) => block.block_id === EDIT_ARGUMENTS_BLOCK_ID) as { element: Record<string, unknown> }).element.initial_value).toBeUndefined();
    expect(JSON.stringify(big.blocks)).toContain('Use the review dashboard or API for this call.');
  });

  it('after an edit, the resolution shows the arguments the call runs with', () => {
    const turn = heldCall();
    const resolved: Turn = { ...turn, status: 'approved', resolution: { decision: 'edited', reviewer: { via: 'slack', id: 'U9' }, at: 3, arguments: { userId: 'u1', amount: 100 } } };
    const shown = texts(buildResolutionMessage(resolved).blocks);
    expect(shown).toContain('Edited and approved* by <@U9>');
    expect(shown).toContain("*Runs with the reviewer's arguments*\n```{\n  \"userId\": \"u1\",\n  \"amount\": 100\n}```");
  });
});
