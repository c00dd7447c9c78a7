/**
 * A stand-in for countersign's pipeline in tests of the `bench tau` harness: the simplest agent
 * loop over the wire (the real `openai` client against the bench's model gateway), with τ-bench's
 * airline tools run in process on the episode. A write call goes to the critic's route first,
 * in the shape of countersign's action critic (the proposed call last in a delimited JSON
 * document); an escalated call is decided as the bench's reviewer decides it, and after a refused
 * call the actor must reply (`tool_choice: "none"`), as in countersign. It proves the
 * harness (runner, gateway, scripted models, user, reward, report), not the pipeline: the
 * pipeline's own test runs the same episodes through countersign.
 */
import OpenAI from 'openai';
import type { ChatCompletionMessageParam, ChatCompletionTool } from 'openai/resources/chat/completions';
import type { AirlineEpisode } from '../../src/tau-bench/airline-episode.js';
import { AIRLINE_TOOLS } from '../../src/tau-bench/airline-tool-definitions.js';
import { oracleApproves } from '../../src/tau-bench/scripted-models.js';
import type { ReviewTally } from '../../src/tau-bench/tau-bench-report.js';
import type { EpisodeAgentHandle, EpisodeContext } from '../../src/tau-bench/tau-bench-runner.js';
import type { TauModelGateway } from '../../src/tau-bench/tau-model-gateway.js';
import { buildActionCriticDocument } from '../helpers/tau-critic-request.js';

const TOOLS: ChatCompletionTool[] = AIRLINE_TOOLS.map((tool) => ({ type: 'function', function: { name: tool.name, description: tool.description, parameters: tool.inputSchema as Record<string, unknown> } }));

export function startDirectTauAgent(options: { gateway: TauModelGateway; episode: AirlineEpisode; critic: boolean; onEscalate: 'reject' | 'approve' | 'oracle'; maxSteps?: number }, context: EpisodeContext): EpisodeAgentHandle {
  const actor = new OpenAI({ baseURL: options.gateway.baseUrl(context.episodeId, 'actor'), apiKey: 'bench-gateway', maxRetries: 0 });
  const critic = new OpenAI({ baseURL: options.gateway.baseUrl(context.episodeId, 'critic'), apiKey: 'bench-gateway', maxRetries: 0 });
  const messages: ChatCompletionMessageParam[] = [{ role: 'system', content: 'airline policy' }];
  const escalations: { reply: ReviewTally; action: ReviewTally } = { reply: { approved: 0, rejected: 0 }, action: { approved: 0, rejected: 0 } };
  const writes = new Set(AIRLINE_TOOLS.filter((tool) => tool.effect === 'write').map((tool) => tool.name as string));

  const gate = async (name: string, args: Record<string, unknown>): Promise<boolean> => {
    if (!options.critic || !writes.has(name)) return true;
    const answer = await critic.chat.completions.create({ model: 'critic', messages: [{ role: 'system', content: 'critic' }, { role: 'user', content: buildActionCriticDocument(name, args) }] });
    const decision = (JSON.parse(answer.choices[0]?.message.content ?? '{}') as { decision?: string }).decision;
    if (decision !== 'escalate') return true;
    const approve = options.onEscalate === 'approve' || (options.onEscalate === 'oracle' && oracleApproves(context.task, { tool: name, arguments: args }));
    escalations.action[approve ? 'approved' : 'rejected'] += 1;
    return approve;
  };

  return {
    agent: {
      async send(text) {
        messages.push({ role: 'user', content: text });
        // After a refused call the actor must reply (as countersign's turn runner asks it).
        let refused = false;
        for (let step = 0; step < (options.maxSteps ?? 30); step++) {
          const completion = await actor.chat.completions.create({ model: 'actor', messages, tools: TOOLS, tool_choice: refused ? 'none' : 'auto' });
          const message = completion.choices[0]!.message;
          const call = message.tool_calls?.[0];
          if (call === undefined || call.type !== 'function') {
            messages.push({ role: 'assistant', content: message.content ?? '' });
            return [message.content ?? ''];
          }
          messages.push({ role: 'assistant', content: message.content, tool_calls: [call] });
          let args: Record<string, unknown> = {};
          try {
            args = JSON.parse(call.function.arguments) as Record<string, unknown>;
          } catch {
            // The environment answers malformed arguments itself.
          }
          const allowed = await gate(call.function.name, args);
          if (!allowed) refused = true;
          const output = allowed ? options.episode.callWithArgumentsJson(call.function.name, call.function.arguments).output : 'A human reviewer refused this call.';
          messages.push({ role: 'tool', tool_call_id: call.id, content: output });
        }
        return [];
      },
    },
    escalations: () => escalations,
    async stop() {},
  };
}
