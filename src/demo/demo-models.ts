/**
 * The offline demo's stand-in models, as a script for the OpenAI-compatible model server
 * (`./model-server.ts`). They are rules, not language models: the actor answers from a small
 * airline FAQ and the critic applies a few visible rules, so that a newcomer without an API key
 * can see each of the critic's four decisions within a minute:
 *
 * - approve: an ordinary question ("How many bags can I check?")
 * - edit: a question about refunds; the actor promises a refund, which the policy forbids, and
 *   the critic cuts the promise out
 * - revise: a message saying the user is "in a hurry"; the actor is rude, the critic asks for a
 *   redraft, the actor redrafts politely and the critic approves it
 * - escalate: a request for compensation or a legal threat; the critic holds it for a human
 *
 * Both roles are deterministic functions of the request, so the demo and its tests never flake.
 */
import { readRevisionData } from '../agents/actor-prompt.js';
import type { Verdict, VerdictDecision } from '../core/types.js';
import { type ModelScript, type ModelServer, type ModelServerRequest, startModelServer } from './model-server.js';

/** Model name the demo configures for the actor. */
export const DEMO_ACTOR_MODEL = 'countersign-demo-actor';
/** Model name the demo configures for the critic. */
export const DEMO_CRITIC_MODEL = 'countersign-demo-critic';

/** An example message for the chat page and the decision the demo critic reaches on it. */
export interface DemoPrompt {
  /** The critic's final decision on this message's turn. */
  decision: VerdictDecision;
  /** A short label for a button: the decision it triggers. */
  label: string;
  /** What the user sends. */
  text: string;
  /** What happens, in one sentence, for the chat page. */
  explanation: string;
}

/** Messages that make the demo models show approve, edit, revise and escalate, in that order. */
export const DEMO_PROMPTS: readonly DemoPrompt[] = [
  {
    decision: 'approve',
    label: 'Critic approves',
    text: 'How many checked bags can I bring in economy?',
    explanation: 'An ordinary answer from the FAQ: the critic approves it as drafted.',
  },
  {
    decision: 'edit',
    label: 'Critic edits',
    text: 'My flight is next week. Can I cancel it and get a refund?',
    explanation: 'The actor promises a refund, which the policy forbids: the critic cuts the promise out before posting.',
  },
  {
    decision: 'revise',
    label: 'Critic asks for a redraft',
    text: "I'm in a hurry: can I change my flight to tomorrow?",
    explanation: 'The actor drafts a rude reply: the critic asks for a redraft and approves the polite one.',
  },
  {
    decision: 'escalate',
    label: 'Critic escalates to a human',
    text: 'My flight was cancelled and I missed a wedding. I want compensation, or I will talk to my lawyer.',
    explanation: 'A request for compensation and a legal threat: the critic holds the turn for a human reviewer.',
  },
];

// ---------------------------------------------------------------------------------------------
// The FAQ (after the airline policy of the public τ-bench airline domain)
// ---------------------------------------------------------------------------------------------

interface FaqEntry {
  topic: string;
  pattern: RegExp;
  answer: string;
}

/** Checked in order; the first match answers. Refunds come before cancellations on purpose. */
const FAQ: FaqEntry[] = [
  {
    topic: 'refunds',
    pattern: /\brefund/i,
    answer:
      'Refunds go back to the original payment method within 5 to 7 business days after a cancellation is processed. ' +
      'Whether a ticket can be refunded depends on the fare: any booking can be cancelled within 24 hours of purchase or when we cancel the flight, ' +
      'business bookings can always be cancelled, and economy bookings need travel insurance and a covered reason.',
  },
  {
    topic: 'baggage',
    pattern: /\b(bag|bags|baggage|luggage|suitcases?)\b/i,
    answer:
      'Free checked bags depend on your cabin and membership: regular members get 0 in basic economy, 1 in economy and 2 in business; ' +
      'silver members get 1, 2 and 3; gold members get 2 in basic economy and 3 in economy or business. ' +
      'Each extra bag is $50, and you can add checked bags to a booking later but not remove them.',
  },
  {
    topic: 'cancellations',
    pattern: /\bcancel/i,
    answer:
      'Any booking can be cancelled within 24 hours of purchase, or if we cancelled the flight. ' +
      'After that, business bookings can always be cancelled, while economy and basic economy bookings can be cancelled only with travel insurance and a covered reason such as health or weather. ' +
      'Only a trip with no flown segments can be cancelled.',
  },
  {
    topic: 'flight changes',
    pattern: /\b(change|changing|modify|reschedule|rebook|move)\b/i,
    answer:
      'Basic economy flights cannot be changed. Other bookings can move to different flights as long as the origin, destination and trip type stay the same; ' +
      'any fare difference is paid with a card or gift card on your profile. Send me your user id and reservation number and I will look at the options.',
  },
  {
    topic: 'seats',
    pattern: /\b(seats?|upgrade|cabin|business class|first class)\b/i,
    answer:
      'You can change the cabin of any booking, basic economy included, by paying the difference in fare. ' +
      'All flights in one reservation travel in the same cabin, so an upgrade applies to every flight of the trip.',
  },
  {
    topic: 'insurance',
    pattern: /\binsurance\b/i,
    answer:
      'Travel insurance costs $30 per passenger and allows a full refund if you have to cancel for health or weather reasons. ' +
      'It can only be bought when you book, not added later.',
  },
  {
    topic: 'contact',
    pattern: /\b(contact|reach|phone|call|email|human|agent|person|someone|support|customer service|help ?desk)\b/i,
    answer:
      'You are talking to support right now, in this chat. If something is outside what I can do here, ' +
      'I hand the conversation to a human teammate, who replies in this same chat.',
  },
  {
    topic: 'greeting',
    pattern: /^\s*(hi|hello|hey|good (morning|afternoon|evening))\b/i,
    answer: 'Hello! I can help with baggage, flight changes, cancellations, refunds, seats and how to reach us. What would you like to know?',
  },
];

const FALLBACK_ANSWER =
  'I can help with baggage, flight changes, cancellations, refunds, seats and travel insurance. Could you tell me which one your question is about?';

/** Patterns of the user's message that need a human: the critic escalates them. */
const ESCALATION_PATTERNS: Array<{ category: string; pattern: RegExp }> = [
  { category: 'compensation', pattern: /\b(compensat\w*|vouchers?|reimburse\w*|make (it|this|that) up to me)\b/i },
  { category: 'legal', pattern: /\b(lawyers?|attorneys?|sue|suing|lawsuit|legal action|court|solicitors?)\b/i },
];

/** The user's words that make the actor rude (so the demo can show a redraft). */
const HURRY_PATTERN = /\b(hurry|asap|quickly|just tell me)\b/i;

/** Marks of a rude draft. The actor's rude drafts use them; the critic looks for them. */
const RUDE_PATTERN = /\b(ugh|obviously|not my problem|read the website|don't expect me|as I already said)\b/i;

/** A sentence that promises money back or a payment, which the policy forbids. */
const PROMISE_PATTERN = /\b(promise|guarantee\w*|you('ll| will) (definitely )?get|make sure you get)\b[^.!?]*\b(refund|money|compensation|voucher)/i;

// ---------------------------------------------------------------------------------------------
// Reading the requests
// ---------------------------------------------------------------------------------------------

type Message = ModelServerRequest['messages'][number];

const lastOfRole = (messages: Message[], role: string): Message | undefined => messages.filter((message) => message.role === role).at(-1);

/** The end index of the JSON object starting at `start` (a `{`), honouring strings; -1 if none. */
function matchingBrace(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let index = start; index < text.length; index++) {
    const char = text[index];
    if (inString) {
      if (char === '\\') index++;
      else if (char === '"') inString = false;
    } else if (char === '"') inString = true;
    else if (char === '{') depth++;
    else if (char === '}') {
      depth--;
      if (depth === 0) return index;
    }
  }
  return -1;
}

/** Every top-level JSON object embedded in a text (fences, tags and prose around them are ignored). */
function embeddedObjects(text: string): Array<Record<string, unknown>> {
  const found: Array<Record<string, unknown>> = [];
  let index = text.indexOf('{');
  while (index !== -1) {
    const end = matchingBrace(text, index);
    let next = index + 1;
    if (end !== -1) {
      try {
        const value: unknown = JSON.parse(text.slice(index, end + 1));
        if (value && typeof value === 'object' && !Array.isArray(value)) {
          found.push(value as Record<string, unknown>);
          next = end + 1;
        }
      } catch {
        // Not JSON (a brace in prose): look at the next one.
      }
    }
    index = text.indexOf('{', next);
  }
  return found;
}

const textOf = (value: unknown): string | undefined => {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    for (const key of ['text', 'content', 'message']) if (typeof record[key] === 'string') return record[key] as string;
  }
  return undefined;
};

/** The object carrying a `draft`: this one, or one nested inside it (`{"review": {...}}`). */
function withDraft(value: unknown): Record<string, unknown> | undefined {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const record = value as Record<string, unknown>;
  if (textOf(record.draft) !== undefined) return record;
  for (const child of Object.values(record)) {
    const found = withDraft(child);
    if (found) return found;
  }
  return undefined;
}

/** What the critic is asked about: the draft and the user's newest message. */
export interface CriticInput {
  draft: string;
  /** The newest user message of the conversation, if the request showed one. */
  userText: string;
}

/**
 * Read the critic's request. The draft sits last, in the last message, inside a JSON block
 * `{"conversation": [...], "draft": "..."}`; anything around it is tolerated. Without such a
 * block the whole last message is taken as the draft, after a `Draft:` marker when there is one.
 */
export function readCriticRequest(messages: Message[]): CriticInput {
  const last = messages.at(-1)?.content ?? '';
  const block = embeddedObjects(last)
    .map(withDraft)
    .filter((object) => object !== undefined)
    .at(-1);
  if (block) {
    const conversation = Array.isArray(block.conversation) ? block.conversation : [];
    const users = conversation.filter((entry): entry is Record<string, unknown> => {
      if (!entry || typeof entry !== 'object') return false;
      const role = String((entry as Record<string, unknown>).role ?? '');
      return role === 'user' || role === 'customer' || role === 'human';
    });
    return { draft: textOf(block.draft) ?? '', userText: textOf(users.at(-1)) ?? '' };
  }
  const marker = last.search(/\bdraft\b\s*:/i);
  const draft = marker === -1 ? last : last.slice(marker).replace(/^draft\s*:\s*/i, '');
  // Without a conversation the user's words are unknown; the draft alone is judged.
  return { draft: draft.trim(), userText: '' };
}

/** True when the request is the critic's: asked for JSON, sent to the critic model, or carrying a draft block. */
export function isCriticRequest(request: ModelServerRequest): boolean {
  if (request.model === DEMO_ACTOR_MODEL) return false;
  if (request.model === DEMO_CRITIC_MODEL || /critic/i.test(request.model)) return true;
  if (request.body.response_format !== undefined) return true;
  const last = request.messages.at(-1)?.content ?? '';
  return embeddedObjects(last).some((object) => withDraft(object) !== undefined);
}

// ---------------------------------------------------------------------------------------------
// The actor
// ---------------------------------------------------------------------------------------------


/**
 * The actor's reply to a request: an FAQ answer, with the flaws the demo needs. A refund answer
 * carries a forbidden promise; a hurried user gets a rude answer; with the reviewer's feedback in
 * the system prompt the redraft is polite and promises nothing.
 */
export function demoActorReply(messages: Message[]): string {
  const system = messages
    .filter((message) => message.role === 'system')
    .map((message) => message.content)
    .join('\n');
  const feedback = readRevisionData(system)?.feedback.trim();
  const userText = lastOfRole(messages, 'user')?.content ?? '';

  if (ESCALATION_PATTERNS.some(({ pattern }) => pattern.test(userText))) {
    // A polite, careful draft: the critic escalates on the user's request, not on this text.
    return "I'm sorry about the trouble with your trip. I have noted everything you wrote, and I'm looking into your reservation now.";
  }
  const entry = FAQ.find(({ pattern }) => pattern.test(userText));
  const answer = entry?.answer ?? FALLBACK_ANSWER;
  if (feedback) return `Thank you for your patience, and sorry for my earlier tone. ${answer}`;
  if (HURRY_PATTERN.test(userText)) return `Ugh, obviously this is all on our website, but fine. ${answer} Don't expect me to repeat it.`;
  if (entry?.topic === 'refunds') return `${answer} Don't worry: I promise you will get a full refund, whatever your fare.`;
  return answer;
}

// ---------------------------------------------------------------------------------------------
// The critic
// ---------------------------------------------------------------------------------------------

/** The demo critic answers the verdict JSON of CONTRACT.md. */
export type DemoVerdict = Verdict;

const sentencesOf = (text: string): string[] => text.match(/[^.!?]+[.!?]*(\s+|$)/g)?.map((sentence) => sentence.trim()).filter(Boolean) ?? [];

/** The critic's verdict on a draft, by visible rules in the order escalate, revise, edit, approve. */
export function demoCriticVerdict(input: CriticInput): DemoVerdict {
  // The user's words escalate; so does a draft that itself offers compensation. A draft that
  // merely mentions it (a polite "I'm looking into it") does not.
  const draftOffers = PROMISE_PATTERN.test(input.draft);
  const categories = ESCALATION_PATTERNS.filter(({ pattern }) => pattern.test(input.userText) || (draftOffers && pattern.test(input.draft))).map(
    ({ category }) => category,
  );
  if (categories.length) {
    return {
      decision: 'escalate',
      reason: `${[
        categories.includes('compensation') ? 'Compensation is requested or offered' : '',
        categories.includes('legal') ? 'the user threatens legal action' : '',
      ]
        .filter(Boolean)
        .join(' and ')
        .replace(/^./, (first) => first.toUpperCase())}: only a human may answer that.`,
      categories,
      confidence: 0.95,
      revised_text: null,
      feedback: null,
    };
  }
  if (RUDE_PATTERN.test(input.draft)) {
    return {
      decision: 'revise',
      reason: 'The draft answers the question but is rude and dismissive.',
      categories: ['tone'],
      confidence: 0.85,
      revised_text: null,
      feedback: 'Drop the sarcasm and the remarks about the website; apologise for the wait and give the same facts politely.',
    };
  }
  const sentences = sentencesOf(input.draft);
  const promises = sentences.filter((sentence) => PROMISE_PATTERN.test(sentence));
  if (promises.length) {
    const kept = sentences.filter((sentence) => !PROMISE_PATTERN.test(sentence));
    kept.push('I cannot promise a refund before checking your booking: it depends on your fare and the reason for cancelling.');
    return {
      decision: 'edit',
      reason: 'The draft promises a refund, which the policy forbids; the promise is cut and the facts are kept.',
      categories: ['refund'],
      confidence: 0.9,
      revised_text: kept.join(' '),
      feedback: null,
    };
  }
  return {
    decision: 'approve',
    reason: 'Accurate, polite and on topic.',
    categories: [],
    confidence: 0.93,
    revised_text: null,
    feedback: null,
  };
}

// ---------------------------------------------------------------------------------------------
// The script and a server
// ---------------------------------------------------------------------------------------------

export interface DemoModelScriptOptions {
  /** Pause before each actor answer, so the chat page shows the bot at work. @defaultValue 0 */
  actorDelayMs?: number;
  /** Pause before each critic answer. @defaultValue 0 */
  criticDelayMs?: number;
}

/** The model server script of the offline demo: the actor or the critic, by request. */
export function createDemoModelScript(options: DemoModelScriptOptions = {}): ModelScript {
  return (request) => {
    if (isCriticRequest(request)) {
      const verdict = demoCriticVerdict(readCriticRequest(request.messages));
      return { content: JSON.stringify(verdict), delayMs: options.criticDelayMs };
    }
    return { content: demoActorReply(request.messages), delayMs: options.actorDelayMs };
  };
}

export interface DemoModels {
  server: ModelServer;
  /** Endpoints to put into the configuration (actor and critic share one server). */
  actor: { baseUrl: string; apiKey: string; model: string };
  critic: { baseUrl: string; apiKey: string; model: string };
  close(): Promise<void>;
}

/** Start the offline demo models on a local port (127.0.0.1, any free port unless given). */
export async function startDemoModels(options: DemoModelScriptOptions & { port?: number } = {}): Promise<DemoModels> {
  const server = await startModelServer({ script: createDemoModelScript(options), port: options.port });
  return {
    server,
    actor: { baseUrl: server.url, apiKey: 'offline-demo', model: DEMO_ACTOR_MODEL },
    critic: { baseUrl: server.url, apiKey: 'offline-demo', model: DEMO_CRITIC_MODEL },
    close: () => server.close(),
  };
}
