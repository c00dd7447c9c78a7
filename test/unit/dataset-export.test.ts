import { describe, expect, it } from 'vitest';
import type { ChatMessage } from '../../src/core/ports.js';
import type { Turn, Verdict } from '../../src/core/types.js';
import { type CriticPromptBuilder, datasetLineSchema, exportDataset, labelVerdict, parseDatasetLine } from '../../src/review/dataset-export.js';

/** A critic prompt builder like the real one: the conversation in order, the draft last. */
const testPromptBuilder: CriticPromptBuilder = ({ history, messages, draft }) => {
  const conversation = [
    ...history.map((entry) => `${entry.role === 'user' ? (entry.user ?? 'user') : 'assistant'}: ${entry.text}`),
    ...messages.map((message) => `${message.user.name ?? message.user.id}: ${message.text}`),
  ].join('\n');
  return [
    { role: 'system', content: 'You review drafts. Answer with the verdict JSON.' },
    { role: 'user', content: `Conversation:\n${conversation}\n\nDraft under review:\n${draft}` },
  ];
};

const critic = (decision: Verdict['decision'], extra: Partial<Verdict> = {}): Verdict => ({
  decision,
  reason: `critic says ${decision}`,
  categories: ['refund'],
  confidence: 0.7,
  revised_text: decision === 'edit' ? 'critic edit' : null,
  feedback: decision === 'revise' ? 'critic feedback' : null,
  ...extra,
});

let counter = 0;
/** A turn that was escalated and then resolved by a reviewer (or not, with `resolution: undefined`). */
function reviewedTurn(options: {
  text: string;
  draft: string | null;
  resolution?: Turn['resolution'];
  verdict?: Verdict;
  context?: Turn['context'];
  user?: { id: string; name?: string };
}): Turn {
  counter += 1;
  const conversation = { platform: 'web' as const, id: `c${counter}` };
  return {
    id: `turn-${counter}`,
    conversation,
    messages: [{ id: `m${counter}`, conversation, user: options.user ?? { id: 'U1', name: 'Jane' }, text: options.text, receivedAt: 1000 }],
    status: options.resolution ? (options.resolution.decision === 'rejected' ? 'rejected' : 'posted') : 'escalated',
    drafts: options.draft === null ? [] : [{ text: `an older draft`, at: 1001 }, { text: options.draft, at: 1002 }],
    ...(options.verdict ? { verdict: options.verdict } : {}),
    ...(options.context ? { context: options.context } : {}),
    escalation: { source: 'critic', reason: 'unsure', at: 1003 },
    ...(options.resolution ? { resolution: options.resolution } : {}),
    revisions: options.draft === null ? 0 : 1,
    folds: 0,
    createdAt: 1000,
    updatedAt: 2000,
  };
}

const reviewer = { via: 'dashboard', id: 'ops' };

/** Each line must be a valid fine-tuning line on its own: JSON, only `messages`, the verdict last. */
function validateLines(lines: string[]): Array<{ messages: ChatMessage[]; verdict: Verdict }> {
  return lines.map((line, index) => {
    expect(line, `line ${index + 1}`).not.toContain('\n');
    const raw = JSON.parse(line) as Record<string, unknown>;
    expect(Object.keys(raw)).toEqual(['messages']);
    const checked = datasetLineSchema.safeParse(raw);
    expect(checked.success, `line ${index + 1}: ${JSON.stringify(checked.error?.issues)}`).toBe(true);
    const parsed = parseDatasetLine(line);
    if (!parsed.ok) throw new Error(parsed.problems.join('\n'));
    expect(parsed.prompt.map((message) => message.role)).toEqual(['system', 'user']);
    return { messages: raw.messages as ChatMessage[], verdict: parsed.verdict };
  });
}

describe('labelVerdict', () => {
  it.each([
    ['approved as drafted', { decision: 'approved', reviewer, at: 5 }, 'approve', null],
    ['approved with the same text', { decision: 'edited', reviewer, at: 5, text: ' The draft. ' }, 'approve', null],
    ['approved with their own text', { decision: 'edited', reviewer, at: 5, text: 'Better text.' }, 'edit', 'Better text.'],
    ['approved (not edited) but with text', { decision: 'approved', reviewer, at: 5, text: 'Better text.' }, 'edit', 'Better text.'],
    ['rejected', { decision: 'rejected', reviewer, at: 5 }, 'escalate', null],
  ] as const)('%s', (_what, resolution, label, revised) => {
    const result = labelVerdict(reviewedTurn({ text: 'hi', draft: 'The draft.', resolution }));
    if (!result.ok) throw new Error(result.reason);
    expect(result.label).toBe(label);
    expect(result.verdict).toMatchObject({ decision: label, revised_text: revised, feedback: null, confidence: 1, categories: [] });
  });

  it("keeps the critic's reason and categories where the reviewer agreed, its categories otherwise", () => {
    const agreed = labelVerdict(reviewedTurn({ text: 'hi', draft: 'd', verdict: critic('escalate'), resolution: { decision: 'rejected', reviewer, at: 5 } }));
    expect(agreed).toMatchObject({ ok: true, verdict: { reason: 'critic says escalate', categories: ['refund'] } });
    const disagreed = labelVerdict(reviewedTurn({ text: 'hi', draft: 'd', verdict: critic('escalate'), resolution: { decision: 'approved', reviewer, at: 5 } }));
    expect(disagreed).toMatchObject({ ok: true, verdict: { reason: 'The draft is accurate, polite and within policy, so it can be posted as written.', categories: ['refund'] } });
  });

  it.each([
    ['not reviewed', reviewedTurn({ text: 'hi', draft: 'd' }), 'not reviewed'],
    ['no draft (the actor failed)', reviewedTurn({ text: 'hi', draft: null, resolution: { decision: 'rejected', reviewer, at: 5 } }), 'no draft to learn from'],
    ['edited with empty text', reviewedTurn({ text: 'hi', draft: 'd', resolution: { decision: 'edited', reviewer, at: 5, text: '  ' } }), 'edited without text'],
  ])('has no label when %s', (_what, turn, reason) => {
    expect(labelVerdict(turn)).toEqual({ ok: false, reason });
  });
});

describe('exportDataset', () => {
  const turns = [
    reviewedTurn({
      text: 'Can I get a refund? Mail me at jane.doe@gmail.com',
      draft: 'Yes, a full refund is on its way to jane.doe@gmail.com.',
      verdict: critic('escalate'),
      resolution: { decision: 'edited', reviewer, at: 300, text: 'A teammate will check your refund and email jane.doe@gmail.com.' },
      context: [
        { role: 'user', text: 'Hello, my card 4111 1111 1111 1111 was charged twice', at: 1, user: 'Jane' },
        { role: 'assistant', text: 'Sorry to hear that!', at: 2 },
      ],
    }),
    reviewedTurn({ text: 'Where is my order?', draft: 'It ships tomorrow.', verdict: critic('escalate'), resolution: { decision: 'approved', reviewer, at: 100 } }),
    reviewedTurn({ text: 'You are useless', draft: 'Whatever.', verdict: critic('revise'), resolution: { decision: 'rejected', reviewer, at: 200 }, user: { id: 'U2', name: 'Bob' } }),
    reviewedTurn({ text: 'pending', draft: 'pending draft' }),
    reviewedTurn({ text: 'old', draft: 'old draft', resolution: { decision: 'approved', reviewer, at: 10 } }),
    reviewedTurn({ text: 'actor failed', draft: null, resolution: { decision: 'rejected', reviewer, at: 150 } }),
  ];

  it('writes one valid line per reviewed turn, oldest first, with the human label as the target', () => {
    const result = exportDataset(turns, { buildPrompt: testPromptBuilder, since: 50 });
    expect(result.labels).toEqual({ approve: 1, edit: 1, escalate: 1 });
    expect(result.skipped).toEqual([
      { turnId: turns[3]!.id, reason: 'not reviewed' },
      { turnId: turns[4]!.id, reason: 'resolved before --since' },
      { turnId: turns[5]!.id, reason: 'no draft to learn from' },
    ]);
    const lines = validateLines(result.lines);
    expect(lines.map((line) => line.verdict.decision)).toEqual(['approve', 'escalate', 'edit']);
    expect(lines[0]!.messages[1]!.content).toBe('Conversation:\nJane: Where is my order?\n\nDraft under review:\nIt ships tomorrow.');
    expect(lines[1]!.verdict).toEqual({
      decision: 'escalate',
      reason: 'The draft should not be posted; a human needs to handle this reply.',
      categories: ['refund'],
      confidence: 1,
      revised_text: null,
      feedback: null,
    });
    expect(lines[2]!.verdict).toEqual({
      decision: 'edit',
      reason: 'The draft needs corrections before it can be posted; the revised text fixes them.',
      categories: ['refund'],
      confidence: 1,
      revised_text: 'A teammate will check your refund and email jane.doe@gmail.com.',
      feedback: null,
    });
    // Unmasked: the conversation is as it was.
    expect(result.lines[2]).toContain('4111 1111 1111 1111');
  });

  it('masks personal data and user names when asked', () => {
    const result = exportDataset(turns, { buildPrompt: testPromptBuilder, mask: true, since: 250 });
    expect(result.lines).toHaveLength(1);
    const [line] = validateLines(result.lines);
    expect(line!.messages[1]!.content).toBe(
      [
        'Conversation:',
        'user-1: Hello, my card [card] was charged twice',
        'assistant: Sorry to hear that!',
        'user-1: Can I get a refund? Mail me at [email]',
        '',
        'Draft under review:',
        'Yes, a full refund is on its way to [email].',
      ].join('\n'),
    );
    expect(line!.verdict.revised_text).toBe('A teammate will check your refund and email [email].');
    expect(result.lines[0]).not.toMatch(/jane|4111/i);
  });

  it('honours until, and writes nothing for no turns', () => {
    expect(exportDataset(turns, { buildPrompt: testPromptBuilder, since: 50, until: 200 }).labels).toEqual({ approve: 1, edit: 0, escalate: 0 });
    expect(exportDataset([], { buildPrompt: testPromptBuilder })).toEqual({ lines: [], labels: { approve: 0, edit: 0, escalate: 0 }, skipped: [] });
  });
});

describe('parseDatasetLine', () => {
  const prompt = [
    { role: 'system', content: 's' },
    { role: 'user', content: 'u' },
  ];
  const line = (messages: unknown) => JSON.stringify({ messages });
  const verdict = (extra: Record<string, unknown>) =>
    JSON.stringify({ decision: 'approve', reason: 'ok', categories: [], confidence: 1, revised_text: null, feedback: null, ...extra });

  it.each([
    ['not JSON', '{"messages": [', /^not valid JSON \(/],
    ['no assistant last', line(prompt), 'messages[1].role: the last message must be the assistant verdict'],
    ['an assistant answer that is not JSON', line([...prompt, { role: 'assistant', content: 'approve' }]), 'messages[2].content: the assistant verdict is not JSON'],
    ['an edit without revised text', line([...prompt, { role: 'assistant', content: verdict({ decision: 'edit' }) }]), 'messages[2].content: the assistant verdict: revised_text: required for edit'],
    ['a verdict with extra keys', line([...prompt, { role: 'assistant', content: verdict({ score: 3 }) }]), /^messages\[2\]\.content: the assistant verdict: \(root\): /],
    ['a confidence above 1', line([...prompt, { role: 'assistant', content: verdict({ confidence: 2 }) }]), /^messages\[2\]\.content: the assistant verdict: confidence: /],
    ['a prompt without a user message', line([{ role: 'system', content: 's' }, { role: 'assistant', content: verdict({}) }]), 'messages: the prompt has no user message'],
    ['an unknown role', line([{ role: 'tool', content: 's' }, ...prompt, { role: 'assistant', content: verdict({}) }]), /^messages\[0\]\.role: /],
    ['extra top-level keys', JSON.stringify({ messages: [...prompt, { role: 'assistant', content: verdict({}) }], label: 'x' }), /unrecognized key/i],
  ])('refuses %s', (_what, text, problem) => {
    const result = parseDatasetLine(text);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    if (typeof problem === 'string') expect(result.problems).toEqual([problem]);
    else expect(result.problems[0]).toMatch(problem);
  });
});
