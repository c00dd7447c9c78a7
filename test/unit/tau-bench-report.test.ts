import { describe, expect, it } from 'vitest';
import { formatTauBenchMarkdown, formatTauProgress, passHatK, summarizeConfiguration, type TauEpisodeOutcome } from '../../src/tau-bench/tau-bench-report.js';
import { emptyMeter } from '../../src/tau-bench/tau-model-gateway.js';

function outcome(taskId: number, trial: number, reward: number, extra: Partial<TauEpisodeOutcome> = {}): TauEpisodeOutcome {
  return {
    configuration: 'c',
    taskId,
    trial,
    episodeId: `e${taskId}-${trial}`,
    reward,
    done: true,
    endedBy: 'stop',
    turns: 3,
    actionsCorrect: reward === 1,
    outputsCorrect: null,
    meter: emptyMeter(),
    escalations: { reply: { approved: 0, rejected: 0 }, action: { approved: 0, rejected: 0 } },
    wallMs: 1000,
    ...extra,
  };
}

describe('pass^k', () => {
  it("is τ-bench's: the mean over tasks of C(c,k)/C(n,k)", () => {
    // task 0: 4 of 4; task 1: 2 of 4; task 2: 0 of 4.
    const rewards = new Map([
      [0, [1, 1, 1, 1]],
      [1, [1, 0, 1, 0]],
      [2, [0, 0, 0, 0]],
    ]);
    expect(passHatK(rewards, 1)).toBeCloseTo((1 + 0.5 + 0) / 3);
    // C(2,2)/C(4,2) = 1/6 for task 1.
    expect(passHatK(rewards, 2)).toBeCloseTo((1 + 1 / 6 + 0) / 3);
    expect(passHatK(rewards, 3)).toBeCloseTo((1 + 0 + 0) / 3);
    expect(passHatK(rewards, 4)).toBeCloseTo(1 / 3);
  });

  it('leaves out tasks with fewer trials than k', () => {
    expect(passHatK(new Map([[0, [1]], [1, [1, 0]]]), 2)).toBe(0);
    expect(passHatK(new Map([[0, [1]], [1, [1, 1]]]), 2)).toBe(1);
  });
});

describe('the summary of a configuration', () => {
  it('counts successes, verdicts, escalations, tokens and time per episode', () => {
    const withCritic = outcome(0, 0, 1, {
      meter: {
        usage: {
          actor: { calls: 4, failures: 0, promptTokens: 1000, completionTokens: 100, estimatedCalls: 0, modelMs: 2000 },
          critic: { calls: 2, failures: 0, promptTokens: 500, completionTokens: 50, estimatedCalls: 0, modelMs: 1000 },
          user: { calls: 3, failures: 0, promptTokens: 300, completionTokens: 30, estimatedCalls: 3, modelMs: 600 },
        },
        verdicts: { reply: { approve: 1, edit: 0, revise: 0, escalate: 0, unreadable: 0 }, action: { approve: 0, edit: 0, revise: 0, escalate: 1, unreadable: 0 } },
      },
      escalations: { reply: { approved: 0, rejected: 0 }, action: { approved: 0, rejected: 1 } },
      recordedReward: 0,
    });
    const summary = summarizeConfiguration('c', [withCritic, outcome(0, 1, 0, { endedBy: 'user-exhausted', done: false, recordedReward: 0 })], { startMs: 0, endMs: 5000 }, true);
    expect(summary).toMatchObject({ episodes: 2, tasks: 1, trials: 2, solved: 1, wallSeconds: 5 });
    expect(summary.passHatK).toEqual([0.5, 0]);
    expect(summary.ended).toMatchObject({ stop: 1, 'user-exhausted': 1 });
    expect(summary.verdicts.action.escalate).toBe(1);
    expect(summary.escalations).toMatchObject({ total: 1, perEpisode: 0.5, rate: 0.5 });
    expect(summary.perEpisode.actor).toMatchObject({ tokens: 550, modelSeconds: 1, calls: 2, estimated: false });
    expect(summary.perEpisode.user.estimated).toBe(true);
    expect(summary.recorded).toEqual({ reproduced: 1, solved: 0 });
  });

  it('has no escalation rate without a critic, and the table says so', () => {
    const summary = summarizeConfiguration('baseline', [outcome(0, 0, 1)], { startMs: 0, endMs: 1000 }, false);
    expect(summary.escalations.rate).toBeNull();
    const table = formatTauBenchMarkdown({ startedAt: '', options: {}, configurations: [summary], episodes: [] });
    const row = table.split('\n').find((line) => line.startsWith('| baseline'))!;
    expect(row.split('|').map((cell) => cell.trim())).toEqual(['', 'baseline', '1', '100.0%', '—', '—', '0 (0/0)', '—', '0.0, 0.0, 0.0', '0.00, 0.00, 0.00', '1.0 s', '']);
    expect(table).toContain('| configuration | episodes | pass^1 |');
  });
});

it('the progress line shows the bar, episodes, successes and escalations', () => {
  expect(formatTauProgress({ done: 5, total: 10, solved: 2, escalations: 3, errors: 0, elapsedMs: 12_000 }, 10)).toBe('[#####.....] 5/10 episodes, 2 solved (40.0%), 3 escalations, 12 s');
  expect(formatTauProgress({ done: 0, total: 4, solved: 0, escalations: 0, errors: 1, elapsedMs: 0 }, 4)).toBe('[....] 0/4 episodes, 0 solved, 0 escalations, 1 errors, 0 s');
});
