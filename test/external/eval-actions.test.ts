/**
 * `countersign eval --actions`: a critic of actions judged on the labelled write calls of
 * τ-bench's recorded conversations. Scripted judges (one that catches exactly the mistakes, one
 * that approves everything) check the report's arithmetic; a scripted critic model behind the
 * real `openai` client checks the request it is sent and the verdicts it returns, a failed review
 * included; the command checks its usage. Reads τ-bench's data from ../shared/data/tau-bench-airline.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { evaluateActionCritic } from '../../src/cli/tau/eval-actions-command.js';
import { loadConfig } from '../../src/config/load-config.js';
import { startModelServer } from '../../src/demo/model-server.js';
import { actionReviewCase, formatActionEvaluationReport } from '../../src/tau-bench/action-evaluation.js';
import { buildActionLabels } from '../../src/tau-bench/action-labels.js';
import { proposedCallOf } from '../../src/tau-bench/scripted-models.js';
import { loadTauTrajectories, type TauTrajectory } from '../../src/tau-bench/tau-trajectories.js';
import { runCli } from '../helpers/cli.js';
import {TAU_TRAJECTORIES_FILE } from '../helpers/external-files.js';

const silent = { stdout: () => {}, stderr: () => {} };

describe('eval --actions on the labelled τ-bench write calls', () => {
  let trajectories: TauTrajectory[];
  const config = loadConfig({ file: '/nonexistent-countersign.yaml', env: { OPENAI_API_KEY: 'unused' } });

  beforeAll(async () => {
    trajectories = await loadTauTrajectories(TAU_TRAJECTORIES_FILE);
  });

  it('shows the critic the conversation before the call, the calls of its turn, and the call last', () => {
    const set = buildActionLabels(trajectories);
    const item = set.items.find((candidate) => candidate.label === 'right' && candidate.call.name === 'cancel_reservation')!;
    const review = actionReviewCase(item);
    expect(review.call).toMatchObject({ tool: 'cancel_reservation', effect: 'write', arguments: item.call.arguments });
    expect(review.call.inputSchema).toHaveProperty('properties.reservation_id');
    expect(review.messages.length).toBeGreaterThan(0);
    // Every recorded message before the call is in the review once: history, the turn's user messages, its calls.
    const recordedBefore = item.messages.filter((message) => message.role === 'user' || (message.role === 'assistant' && (message.tool_calls ?? []).length === 0)).length;
    const shownText = review.history.filter((entry) => entry.role !== 'tool').length + review.messages.length;
    expect(shownText).toBe(recordedBefore);
    const callsBefore = item.messages.filter((message) => message.role === 'assistant' && (message.tool_calls ?? []).length > 0).length;
    expect(review.history.filter((entry) => entry.role === 'tool').length + review.earlierCalls.length).toBe(callsBefore);
  });

  it('a critic that catches exactly the mistakes: precision and recall 100%; one that approves all: recall 0', async () => {
    const catcher = await evaluateActionCritic(config, { trajectories: TAU_TRAJECTORIES_FILE, judge: async (_review, item) => ({ decision: item.label === 'mistake' ? 'escalate' : 'approve', latencyMs: 5 }), tty: false }, silent);
    expect(catcher.labels).toEqual({ right: 88, mistake: 88 });
    expect(catcher.excluded).toEqual({ refused: 73, 'unmatched-in-solved': 1 });
    expect(catcher.matrix.mistake).toEqual({ approve: 0, edit: 0, revise: 0, escalate: 88, failed: 0 });
    expect(catcher.matrix.right).toEqual({ approve: 88, edit: 0, revise: 0, escalate: 0, failed: 0 });
    expect([catcher.precision, catcher.recall, catcher.falseAlarmRate]).toEqual([1, 1, 0]);
    expect(catcher.latencyMs).toEqual({ median: 5, p95: 5 });
    const approver = await evaluateActionCritic(config, { trajectories: TAU_TRAJECTORIES_FILE, judge: async () => ({ decision: 'approve', latencyMs: 1 }) }, silent);
    expect([approver.precision, approver.recall, approver.falseAlarmRate]).toEqual([null, 0, 0]);
    expect(formatActionEvaluationReport(approver)).toContain('| mistake (88) | 88 | 0 | 0 | 0 | 0 | 0 |');
  });

  it('the configured critic model: the proposed call is what it reviews; a verdict it cannot read is a failed review, which counts as caught', async () => {
    const seen: string[] = [];
    const documents: Array<{ conversation: Array<{ role: string }>; callsThisTurn: unknown[]; proposedCall: { tool: string; arguments: unknown } }> = [];
    const critic = await startModelServer({
      script: (request) => {
        const call = proposedCallOf({ messages: request.messages });
        seen.push(call?.tool ?? 'none');
        const lines = (request.messages.at(-1)?.content ?? '').split('\n');
        documents.push(JSON.parse(lines.slice(1, lines.findIndex((line) => line.startsWith('<<<END '))).join('\n')));
        if (call?.tool === 'send_certificate') return { content: 'I think this is fine.' };
        return { content: JSON.stringify({ decision: call?.tool === 'cancel_reservation' ? 'escalate' : 'approve', reason: 'scripted', categories: [], confidence: 1, revised_arguments: null, feedback: null }) };
      },
    });
    try {
      const configured = loadConfig({ file: '/nonexistent-countersign.yaml', env: { CRITIC_BASE_URL: critic.url, CRITIC_API_KEY: 'k', CRITIC_MODEL: 'critic', OPENAI_API_KEY: 'unused' } });
      const report = await evaluateActionCritic(configured, { trajectories: TAU_TRAJECTORIES_FILE, concurrency: 8 }, silent);
      const set = buildActionLabels(trajectories);
      expect(seen.filter((tool) => tool === 'none')).toEqual([]);
      expect(seen.length).toBe(set.items.length + set.items.filter((item) => item.call.name === 'send_certificate').length * (configured.critic.attempts - 1));
      const cancels = set.items.filter((item) => item.call.name === 'cancel_reservation');
      const certificates = set.items.filter((item) => item.call.name === 'send_certificate');
      expect(report.matrix.right.escalate + report.matrix.mistake.escalate).toBe(cancels.length);
      expect(report.failures).toBe(certificates.length);
      expect(report.results.find((result) => result.decision === 'failed')?.error).toContain('not JSON');
      expect(report.caught.mistakes + report.caught.right).toBe(cancels.length + certificates.length);
      // The critic saw each labelled call as the proposed call, after the conversation and the calls before it.
      const proposed = new Set(documents.map((document) => JSON.stringify([document.proposedCall.tool, document.proposedCall.arguments])));
      for (const item of set.items) expect(proposed.has(JSON.stringify([item.call.name, item.call.arguments]))).toBe(true);
      expect(documents.every((document) => document.conversation.some((entry) => entry.role === 'user'))).toBe(true);
      expect(documents.some((document) => document.callsThisTurn.length > 0 || document.conversation.some((entry) => entry.role === 'tool'))).toBe(true);
    } finally {
      await critic.close();
    }
  });
});

it('eval --actions needs --trajectories and no --dataset', async () => {
  const result = await runCli(['eval', '--actions'], { OPENAI_API_KEY: 'unused' });
  expect(result.code).toBe(2);
  expect(result.stderr).toContain('eval --actions takes --trajectories FILE (and no --dataset)');
  const plain = await runCli(['eval'], { OPENAI_API_KEY: 'unused' });
  expect(plain.code).toBe(2);
  expect(plain.stderr).toContain('eval takes --dataset FILE, or --actions --trajectories FILE');
});
