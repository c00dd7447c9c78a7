import { describe, expect, it } from 'vitest';
import { CountersignError } from '../../src/core/errors.js';
import type { ChatMessage, Completion, CompletionRequest, ModelClient } from '../../src/core/ports.js';
import type { Turn, Verdict, VerdictDecision } from '../../src/core/types.js';
import {
  createModelReview,
  type EvaluationProgress,
  type ExampleResult,
  formatEvaluationReport,
  formatProgress,
  type LabelledExample,
  parseLabelledDataset,
  percentile,
  type ReviewFn,
  runEvaluation,
  summarizeEvaluation,
} from '../../src/review/critic-evaluation.js';
import { type CriticPromptBuilder, datasetLineSchema, exportDataset } from '../../src/review/dataset-export.js';

const buildPrompt: CriticPromptBuilder = ({ history, messages, draft }) => [
  { role: 'system', content: 'You review drafts.' },
  { role: 'user', content: [...history.map((entry) => entry.text), ...messages.map((message) => message.text), `DRAFT: ${draft}`].join('\n') },
];

const verdictOf = (decision: VerdictDecision): Verdict => ({
  decision,
  reason: `because ${decision}`,
  categories: [],
  confidence: 0.8,
  revised_text: decision === 'edit' ? 'fixed' : null,
  feedback: decision === 'revise' ? 'try again' : null,
});

/**
 * The labelled set: each turn's draft tells the fake critic what to answer (`critic=...`) and
 * how long it took (`ms=...`); the reviewer's decision is the label.
 */
const SET: Array<{ label: 'approve' | 'edit' | 'escalate'; critic: VerdictDecision | 'fail' | 'throw'; ms: number }> = [
  { label: 'approve', critic: 'approve', ms: 100 },
  { label: 'approve', critic: 'approve', ms: 200 },
  { label: 'approve', critic: 'edit', ms: 300 },
  { label: 'approve', critic: 'escalate', ms: 400 },
  { label: 'edit', critic: 'edit', ms: 500 },
  { label: 'edit', critic: 'revise', ms: 600 },
  { label: 'edit', critic: 'fail', ms: 20_000 },
  { label: 'escalate', critic: 'escalate', ms: 700 },
  { label: 'escalate', critic: 'escalate', ms: 800 },
  { label: 'escalate', critic: 'approve', ms: 900 },
  { label: 'escalate', critic: 'throw', ms: 0 },
];

function labelledTurns(): Turn[] {
  return SET.map((item, index) => {
    const conversation = { platform: 'web' as const, id: `c${index}` };
    const draft = `draft ${index} critic=${item.critic} ms=${item.ms}`;
    return {
      id: `t${index}`,
      conversation,
      messages: [{ id: `m${index}`, conversation, user: { id: 'U1' }, text: `question ${index}`, receivedAt: 1 }],
      status: item.label === 'escalate' ? 'rejected' : 'posted',
      drafts: [{ text: draft, at: 2 }],
      resolution: {
        decision: item.label === 'escalate' ? 'rejected' : item.label === 'edit' ? 'edited' : 'approved',
        reviewer: { via: 'cli', id: 'ops' },
        at: 100 + index,
        ...(item.label === 'edit' ? { text: `better ${index}` } : {}),
      },
      revisions: 0,
      folds: 0,
      createdAt: 1,
      updatedAt: 3,
    };
  });
}

/** The JSONL the export writes, as a file's text, with a blank line at the end. */
function datasetText(): string {
  const { lines } = exportDataset(labelledTurns(), { buildPrompt });
  expect(lines).toHaveLength(SET.length);
  for (const line of lines) expect(datasetLineSchema.safeParse(JSON.parse(line)).success).toBe(true);
  return `${lines.join('\n')}\n\n`;
}

/** A fake critic that answers from the markers in the draft. */
const markerReview: ReviewFn = async (messages) => {
  const content = messages.at(-1)!.content;
  const critic = /critic=(\w+)/.exec(content)![1]!;
  const ms = Number(/ms=(\d+)/.exec(content)![1]);
  if (critic === 'throw') throw new CountersignError('model.http', 'HTTP 500 from the critic', { retryable: true });
  if (critic === 'fail') return { verdict: null, latencyMs: ms, error: 'model.timeout: no answer within 20000 ms' };
  return { verdict: verdictOf(critic as VerdictDecision), latencyMs: ms };
};

describe('parseLabelledDataset', () => {
  it('reads the exported set, skipping blank lines', () => {
    const { examples, problems } = parseLabelledDataset(datasetText(), 'set.jsonl');
    expect(problems).toEqual([]);
    expect(examples.map((example) => example.expected.decision)).toEqual(SET.map((item) => item.label));
    expect(examples[0]!.line).toBe(1);
    expect(examples[0]!.prompt.map((message) => message.role)).toEqual(['system', 'user']);
  });

  it('names the file and line of every bad line', () => {
    const good = datasetText().split('\n')[0]!;
    const text = [good, '', 'not json', JSON.stringify({ messages: [{ role: 'user', content: 'u' }, { role: 'assistant', content: '{"decision":"maybe"}' }] }), good].join('\n');
    const { examples, problems } = parseLabelledDataset(text, 'set.jsonl');
    expect(examples.map((example) => example.line)).toEqual([1, 5]);
    expect(problems[0]).toMatch(/^set\.jsonl:3: not valid JSON \(/);
    expect(problems.slice(1)).toEqual([
      'set.jsonl:4: messages[1].content: the assistant verdict: decision: Invalid option: expected one of "approve"|"edit"|"revise"|"escalate"',
      'set.jsonl:4: messages[1].content: the assistant verdict: reason: Invalid input: expected string, received undefined',
      'set.jsonl:4: messages[1].content: the assistant verdict: categories: Invalid input: expected array, received undefined',
      'set.jsonl:4: messages[1].content: the assistant verdict: confidence: Invalid input: expected number, received undefined',
      'set.jsonl:4: messages[1].content: the assistant verdict: revised_text: Invalid input: expected string, received undefined',
      'set.jsonl:4: messages[1].content: the assistant verdict: feedback: Invalid input: expected string, received undefined',
    ]);
  });
});

describe('runEvaluation', () => {
  it('computes the confusion matrix, escalation precision and recall, and latency percentiles', async () => {
    const { examples } = parseLabelledDataset(datasetText(), 'set.jsonl');
    const report = await runEvaluation({ examples, review: markerReview, concurrency: 3 });
    expect(report.total).toBe(11);
    expect(report.answered).toBe(9);
    expect(report.failed).toBe(2);
    expect(report.confusion).toEqual({
      approve: { approve: 2, edit: 1, revise: 0, escalate: 1, failed: 0 },
      edit: { approve: 0, edit: 1, revise: 1, escalate: 0, failed: 1 },
      revise: { approve: 0, edit: 0, revise: 0, escalate: 0, failed: 0 },
      escalate: { approve: 1, edit: 0, revise: 0, escalate: 2, failed: 1 },
    });
    expect(report.agreement).toBeCloseTo(5 / 9);
    // Answered only: 2 true positives, 1 false positive (an approve escalated), 1 false negative.
    expect(report.escalation).toEqual({ truePositives: 2, falsePositives: 1, falseNegatives: 1, precision: 2 / 3, recall: 2 / 3 });
    expect(report.latency.count).toBe(11);
    expect(report.latency.p50).toBe(500);
    expect(report.latency.p95).toBe(20_000);
    expect(report.results.map((result) => result.line)).toEqual(examples.map((example) => example.line));
    expect(report.results[10]).toMatchObject({ predicted: 'failed', error: 'model.http: HTTP 500 from the critic', verdict: null });
    expect(report.results[6]).toMatchObject({ predicted: 'failed', error: 'model.timeout: no answer within 20000 ms', latencyMs: 20_000 });
  });

  it('keeps at most `concurrency` calls in flight, keeps dataset order, and reports progress after each', async () => {
    const { examples } = parseLabelledDataset(datasetText(), 'set.jsonl');
    const concurrency = 2;
    const pending: Array<() => void> = [];
    let inFlight = 0;
    let maxInFlight = 0;
    let scheduled = false;
    // Once the runner has started every call it is going to start (after the current macrotask),
    // answer the newest call, so calls finish out of order; repeat while calls wait.
    const settleLater = () => {
      if (scheduled) return;
      scheduled = true;
      setImmediate(() => {
        scheduled = false;
        pending.pop()?.();
        if (pending.length) settleLater();
      });
    };
    const review: ReviewFn = (messages) =>
      new Promise((resolve) => {
        inFlight += 1;
        maxInFlight = Math.max(maxInFlight, inFlight);
        pending.push(() => {
          inFlight -= 1;
          resolve(markerReview(messages).catch((error: Error) => ({ verdict: null, latencyMs: 0, error: error.message })));
        });
        settleLater();
      });
    const progress: EvaluationProgress[] = [];
    const report = await runEvaluation({ examples, review, concurrency, onProgress: (update) => progress.push(update) });
    expect(maxInFlight).toBe(concurrency);
    expect(progress.map((update) => update.done)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(progress.every((update) => update.total === 11)).toBe(true);
    expect(progress.at(-1)!.failed).toBe(2);
    // The first example was answered last, yet the results keep the dataset's order.
    expect(progress.at(-1)!.latest.line).toBe(1);
    expect(report.results.map((result) => result.line)).toEqual(examples.map((example) => example.line));
  });

  it('stops taking examples when aborted', async () => {
    const { examples } = parseLabelledDataset(datasetText(), 'set.jsonl');
    const controller = new AbortController();
    let calls = 0;
    const review: ReviewFn = async (messages) => {
      calls += 1;
      if (calls === 3) controller.abort();
      return markerReview(messages);
    };
    await expect(runEvaluation({ examples, review, concurrency: 1, signal: controller.signal })).rejects.toMatchObject({
      code: 'eval.aborted',
      message: 'evaluation stopped after 3 of 11 examples',
    });
    expect(calls).toBe(3);
  });

  it('handles an empty set', async () => {
    const report = await runEvaluation({ examples: [], review: markerReview });
    expect(report).toMatchObject({ total: 0, answered: 0, failed: 0, agreement: null, escalation: { precision: null, recall: null }, latency: { count: 0, p50: null, p95: null } });
  });
});

describe('percentile', () => {
  it.each([
    [[], 50, null],
    [[7], 50, 7],
    [[7], 95, 7],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 50, 5],
    [[10, 9, 8, 7, 6, 5, 4, 3, 2, 1], 95, 10],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90, 9],
    [[3, 1, 2], 0, 1],
    [[3, 1, 2], 100, 3],
  ])('%j p%d = %s', (values, p, expected) => expect(percentile(values, p)).toBe(expected));
});

describe('formatEvaluationReport', () => {
  it('prints the table and the metrics', async () => {
    const { examples } = parseLabelledDataset(datasetText(), 'set.jsonl');
    const report = await runEvaluation({ examples, review: markerReview });
    expect(formatEvaluationReport(report)).toBe(
      [
        'Critic evaluation: 11 examples, 9 answered, 2 failed',
        '',
        'label \\ critic  approve  edit  revise  escalate  failed  total',
        'approve               2     1       0         1       0      4',
        'edit                  0     1       1         0       1      3',
        'revise                0     0       0         0       0      0',
        'escalate              1     0       0         2       1      4',
        '',
        'Agreement:  55.6% (5/9 answered)',
        'Escalation: precision 66.7% (2/3), recall 66.7% (2/3)',
        'Latency:    p50 500 ms, p95 20000 ms (11 calls)',
        '',
        'Failed:',
        '  line 7: model.timeout: no answer within 20000 ms',
        '  line 11: model.http: HTTP 500 from the critic',
      ].join('\n'),
    );
    expect(formatEvaluationReport(report, { maxFailures: 1 }).split('\n').slice(-2)).toEqual(['  line 7: model.timeout: no answer within 20000 ms', '  ... and 1 more']);
  });

  it('says n/a where there is nothing to divide', () => {
    const results: ExampleResult[] = [{ line: 1, expected: 'approve', predicted: 'failed', latencyMs: 5, verdict: null, error: 'x' }];
    const text = formatEvaluationReport(summarizeEvaluation(results));
    expect(text).toContain('Agreement:  n/a (0/0 answered)');
    expect(text).toContain('Escalation: precision n/a (0/0), recall n/a (0/0)');
    expect(text).toContain('Latency:    p50 5 ms, p95 5 ms (1 calls)');
  });
});

describe('formatProgress', () => {
  it.each([
    [{ done: 0, total: 4, failed: 0 }, 8, '[........] 0/4'],
    [{ done: 2, total: 4, failed: 1 }, 8, '[####....] 2/4 (1 failed)'],
    [{ done: 12, total: 120, failed: 0 }, 10, '[#.........]  12/120'],
    [{ done: 0, total: 0, failed: 0 }, 4, '[####] 0/0'],
  ])('%j', (progress, width, text) => expect(formatProgress(progress, width)).toBe(text));
});

describe('createModelReview', () => {
  function fakeModel(answer: (request: CompletionRequest) => Partial<Completion> | Error): ModelClient & { requests: CompletionRequest[] } {
    const requests: CompletionRequest[] = [];
    return {
      model: 'critic-test',
      requests,
      async complete(request) {
        requests.push(request);
        const result = answer(request);
        if (result instanceof Error) throw result;
        return { content: null, refusal: null, finishReason: 'stop', latencyMs: 42, ...result };
      },
    };
  }
  const messages: ChatMessage[] = [{ role: 'user', content: 'review this' }];
  const json = JSON.stringify(verdictOf('edit'));

  it.each([
    ['a verdict', { content: json }, { verdict: verdictOf('edit'), latencyMs: 42 }],
    ['a verdict in a code fence, with extra keys', { content: `\`\`\`json\n${JSON.stringify({ ...verdictOf('approve'), extra: 1 })}\n\`\`\`` }, { verdict: verdictOf('approve'), latencyMs: 42 }],
    ['prose', { content: 'Looks fine to me' }, { verdict: null, latencyMs: 42, error: 'not a verdict: Looks fine to me' }],
    ['an edit without revised text', { content: JSON.stringify({ ...verdictOf('edit'), revised_text: null }) }, { verdict: null, latencyMs: 42 }],
    ['a refusal', { refusal: 'I cannot help' }, { verdict: null, latencyMs: 42, error: 'refused: I cannot help' }],
  ])('turns %s into an outcome', async (_what, completion, expected) => {
    const model = fakeModel(() => completion);
    const outcome = await createModelReview(model, { timeoutMs: 1234 })(messages);
    expect(outcome).toMatchObject(expected);
    expect(model.requests[0]).toMatchObject({ messages, timeoutMs: 1234 });
  });

  it('reports a model error as a failed call, and uses the given parser', async () => {
    const failing = await createModelReview(fakeModel(() => new CountersignError('model.timeout', 'no answer within 1234 ms')))(messages);
    expect(failing).toMatchObject({ verdict: null, error: 'model.timeout: no answer within 1234 ms' });
    const custom = await createModelReview(fakeModel(() => ({ content: 'APPROVE' })), { parseVerdict: (content) => (content === 'APPROVE' ? verdictOf('approve') : null) })(messages);
    expect(custom.verdict).toEqual(verdictOf('approve'));
  });

  it('runs an evaluation end to end through a model client', async () => {
    const { examples } = parseLabelledDataset(datasetText(), 'set.jsonl');
    // A critic model that approves everything: perfect on approve labels, blind to escalations.
    const model = fakeModel(() => ({ content: JSON.stringify(verdictOf('approve')) }));
    const report = await runEvaluation({ examples: examples as LabelledExample[], review: createModelReview(model), concurrency: 4 });
    expect(model.requests).toHaveLength(11);
    expect(report.escalation).toEqual({ truePositives: 0, falsePositives: 0, falseNegatives: 4, precision: null, recall: 0 });
    expect(report.confusion.approve.approve).toBe(4);
  });
});
