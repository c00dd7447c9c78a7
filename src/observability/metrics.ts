import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

/** Prometheus metrics of one process, served at GET /metrics. */
export function createMetrics() {
  const registry = new Registry();
  // Default metrics are already named by kind (process_cpu_..., nodejs_eventloop_...): prefix them once.
  collectDefaultMetrics({ register: registry, prefix: 'countersign_' });
  const turns = new Counter({ name: 'countersign_turns_total', help: 'Turns finished, by outcome', labelNames: ['outcome'] as const, registers: [registry] });
  const verdicts = new Counter({ name: 'countersign_critic_verdicts_total', help: 'Critic verdicts, by decision', labelNames: ['decision'] as const, registers: [registry] });
  const ingested = new Counter({ name: 'countersign_messages_ingested_total', help: 'Inbound messages, by platform and result', labelNames: ['platform', 'result'] as const, registers: [registry] });
  const turnSeconds = new Histogram({
    name: 'countersign_turn_duration_seconds',
    help: 'From the turn start to its outcome',
    labelNames: ['outcome'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60],
    registers: [registry],
  });
  const modelSeconds = new Histogram({
    name: 'countersign_model_call_duration_seconds',
    help: 'Model calls, by role',
    labelNames: ['role'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 60],
    registers: [registry],
  });
  const inboxRefused = new Counter({
    name: 'countersign_inbox_refused_total',
    help: 'Messages refused because their conversation inbox was full (inbox.maxMessages / inbox.maxBytes), by platform',
    labelNames: ['platform'] as const,
    registers: [registry],
  });
  const reviewNotifications = new Counter({
    name: 'countersign_review_notifications_total',
    help: 'Escalations shown to a review channel: posted on their own, or folded into the summary past the limits',
    labelNames: ['platform', 'decision'] as const,
    registers: [registry],
  });

  const limitRefusals = new Counter({ name: 'countersign_http_limit_refusals_total', help: 'Requests refused (429) by a rate limit, by limit', labelNames: ['limit'] as const, registers: [registry] });

  // The limits of the models' cost: each counts the times a limit held something back.
  const promptCuts = new Counter({
    name: 'countersign_prompt_cuts_total',
    help: 'Model requests that left older messages of their turn out (turn.prompt limits), by role',
    labelNames: ['role'] as const,
    registers: [registry],
  });
  const promptCutMessages = new Counter({
    name: 'countersign_prompt_cut_messages_total',
    help: 'User messages left out of model requests by the turn.prompt limits, by role',
    labelNames: ['role'] as const,
    registers: [registry],
  });
  const budgetSpent = new Counter({
    name: 'countersign_model_budget_spent_total',
    help: 'Turns that found a model-call budget spent, by budget (conversation, global) and what happened (wait, escalate)',
    labelNames: ['scope', 'action'] as const,
    registers: [registry],
  });
  const handBacks = new Counter({
    name: 'countersign_conversation_handbacks_total',
    help: 'Jobs that handed their conversation back to the queue after queue.turnsPerJob turns, so other conversations get a turn',
    registers: [registry],
  });
  const toolCalls = new Counter({
    name: 'countersign_tool_calls_total',
    help: 'Tool calls the actor made, by tool, effect (read, write) and outcome (done, failed, revised, refused, invalid, skipped, escalated, unknown)',
    labelNames: ['tool', 'effect', 'outcome'] as const,
    registers: [registry],
  });
  const actionVerdicts = new Counter({
    name: 'countersign_action_verdicts_total',
    help: "The action gate's decisions on tool calls, by decision (approve, edit, revise, escalate, critic-failure, rule-escalate, rule-block, read)",
    labelNames: ['decision'] as const,
    registers: [registry],
  });
  const toolExecutions = new Counter({
    name: 'countersign_tool_executions_total',
    help: 'What the action ledger did with approved calls, by tool, effect and event (started, rerun: started again after a crash with the same idempotency key, done, failed, reused: a recorded result given back instead of a run, unknown: started before a crash, not safe to run again)',
    labelNames: ['tool', 'effect', 'event'] as const,
    registers: [registry],
  });
  return { registry, toolCalls, actionVerdicts, toolExecutions, turns, verdicts, ingested, turnSeconds, modelSeconds, inboxRefused, reviewNotifications, limitRefusals, promptCuts, promptCutMessages, budgetSpent, handBacks };
}

export type Metrics = ReturnType<typeof createMetrics>;
