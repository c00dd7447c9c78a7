/**
 * How large can one model request get when a user floods a conversation? Posts FLOOD_MESSAGES
 * messages of FLOOD_CHARS characters to one web conversation, as fast as the chat API takes
 * them, with scripted models that answer after MODEL_DELAY_MS, and prints the largest actor and
 * critic requests (characters of all message contents) and how many user messages the turn sent.
 *
 *   npx tsx bench/flood-prompt.ts            (needs Redis at REDIS_URL; uses a fresh key prefix)
 */
import { criticInput, startPipeline, turnMessages, verdict } from '../test/helpers/pipeline.js';

const MESSAGES = Number(process.env.FLOOD_MESSAGES ?? 200);
const CHARS = Number(process.env.FLOOD_CHARS ?? 15_000);
const MODEL_DELAY_MS = Number(process.env.MODEL_DELAY_MS ?? 300);
const PARALLEL = Number(process.env.FLOOD_PARALLEL ?? 20);

const sizeOf = (messages: Array<{ content: string }>) => messages.reduce((sum, message) => sum + message.content.length, 0);

const actorRequests: Array<{ chars: number; turnMessages: number }> = [];
const criticRequests: Array<{ chars: number; turnMessages: number }> = [];
const pipeline = await startPipeline({
  env: { MODEL_CALLS_PER_CONVERSATION: '0', MODEL_CALLS_GLOBAL: '0' },
  actor: (request) => {
    actorRequests.push({ chars: sizeOf(request.messages), turnMessages: turnMessages(request).length });
    return { content: 'Thanks, I have read your messages.', delayMs: MODEL_DELAY_MS };
  },
  critic: (request) => {
    criticRequests.push({ chars: sizeOf(request.messages), turnMessages: criticInput(request).conversation.filter((entry) => entry.role === 'user').length });
    return { content: verdict('approve'), delayMs: MODEL_DELAY_MS };
  },
});
try {
  const started = Date.now();
  let next = 0;
  const statuses = new Map<number, number>();
  await Promise.all(
    Array.from({ length: PARALLEL }, async () => {
      while (next < MESSAGES) {
        const index = next++;
        const text = `m${index} ${'x'.repeat(CHARS - `m${index} `.length)}`;
        const { status } = await pipeline.send('flood', text);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
      }
    }),
  );
  await pipeline.waitIdle('flood');
  const largest = (requests: typeof actorRequests) => requests.reduce((best, request) => (request.chars > best.chars ? request : best), { chars: 0, turnMessages: 0 });
  const actor = largest(actorRequests);
  const critic = largest(criticRequests);
  console.log(
    JSON.stringify(
      {
        posted: MESSAGES,
        charsEach: CHARS,
        statuses: Object.fromEntries(statuses),
        actorCalls: actorRequests.length,
        criticCalls: criticRequests.length,
        largestActorRequest: { characters: actor.chars, userMessagesOfTheTurn: actor.turnMessages },
        largestCriticRequest: { characters: critic.chars, userEntriesShown: critic.turnMessages },
        seconds: (Date.now() - started) / 1000,
      },
      null,
      2,
    ),
  );
} finally {
  await pipeline.stop();
}
