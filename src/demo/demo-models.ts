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
 * and the same four decisions on the actor's actions, with the demo airline's tools
 * (`./demo-airline-tools.ts`): given a reservation id, the actor looks the booking up and then
 * cancels it or issues a voucher; the critic of actions approves a cancellation the policy
 * allows, edits a voucher down to the policy's limit (`revised_arguments`), and holds a
 * cancellation the policy does not allow for a human.
 *
 * Both roles are deterministic functions of the request, so the demo and its tests never flake.
 */
import { randomBytes } from 'node:crypto';
import { readRevisionData } from '../agents/actor-prompt.js';
import type { ActionVerdict, Verdict, VerdictDecision } from '../core/types.js';
import { type BookingFacts, cancellationRule, voucherLimit } from './demo-airline-tools.js';
import { type ModelScript, type ModelServer, type ModelServerRequest, startModelServer } from './model-server.js';

/** Model name the demo configures for the actor. */
export const DEMO_ACTOR_MODEL = 'countersign-demo-actor';
/** Model name the demo configures for the critic. */
export const DEMO_CRITIC_MODEL = 'countersign-demo-critic';

/** An example message for the chat page and the decision the demo critic reaches on it. */
export interface DemoPrompt {
  /** The critic's decision this message shows: on the reply, or on a tool call (`subject`). */
  decision: VerdictDecision;
  /** What the critic decides on: the reply's text, or a tool call the actor wants to make. */
  subject: 'reply' | 'action';
  /** A short label for a button: the decision it triggers. */
  label: string;
  /** What the user sends. */
  text: string;
  /** What happens, in one sentence, for the chat page. */
  explanation: string;
}

/**
 * Messages that make the demo models show approve, edit, revise and escalate on a reply, then
 * approve, edit and escalate on an action (a tool call), in that order.
 */
export const DEMO_PROMPTS: readonly DemoPrompt[] = [
  {
    decision: 'approve',
    subject: 'reply',
    label: 'Critic approves',
    text: 'How many checked bags can I bring in economy?',
    explanation: 'An ordinary answer from the FAQ: the critic approves it as drafted.',
  },
  {
    decision: 'edit',
    subject: 'reply',
    label: 'Critic edits',
    text: 'My flight is next week. Can I cancel it and get a refund?',
    explanation: 'The actor promises a refund, which the policy forbids: the critic cuts the promise out before posting.',
  },
  {
    decision: 'revise',
    subject: 'reply',
    label: 'Critic asks for a redraft',
    text: "I'm in a hurry: can I change my flight to tomorrow?",
    explanation: 'The actor drafts a rude reply: the critic asks for a redraft and approves the polite one.',
  },
  {
    decision: 'escalate',
    subject: 'reply',
    label: 'Critic escalates to a human',
    text: 'My flight was cancelled and I missed a wedding. I want compensation, or I will talk to my lawyer.',
    explanation: 'A request for compensation and a legal threat: the critic holds the turn for a human reviewer.',
  },
  {
    decision: 'approve',
    subject: 'action',
    label: 'Critic approves a cancellation',
    text: 'Please cancel my reservation ZFA04Y, my plans have changed.',
    explanation: 'The actor looks the booking up and asks to cancel it. A business booking may always be cancelled: the critic approves the call, it runs, and the reply says so.',
  },
  {
    decision: 'edit',
    subject: 'action',
    label: 'Critic lowers a voucher',
    text: 'My flight on reservation 4WQ150 was delayed six hours. Please send me a $300 travel voucher.',
    explanation: 'The actor asks to issue a $300 voucher. The policy allows $50 per passenger: the critic edits the amount down to $100 before the call runs.',
  },
  {
    decision: 'escalate',
    subject: 'action',
    label: 'Critic holds a cancellation for a human',
    text: 'Please cancel my reservation EHGLP3, I cannot travel anymore.',
    explanation: "The policy does not allow cancelling this economy booking: the critic holds the call for a human, and the chat waits until a reviewer approves or rejects it on the dashboard.",
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
  /** The tool calls the conversation shows (earlier turns' and this turn's), with their results. */
  toolCalls?: Array<{ tool: string; result: string }>;
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
    const toolCalls = conversation.flatMap((entry) => {
      if (!entry || typeof entry !== 'object') return [];
      const record = entry as Record<string, unknown>;
      return record.role === 'tool' && typeof record.tool === 'string' ? [{ tool: record.tool, result: String(record.result ?? '') }] : [];
    });
    return { draft: textOf(block.draft) ?? '', userText: textOf(users.at(-1)) ?? '', ...(toolCalls.length ? { toolCalls } : {}) };
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
// The actor's tool calls
// ---------------------------------------------------------------------------------------------

/** A reservation id as the demo airline writes them: 6 capital letters and digits, with both. */
const RESERVATION_PATTERN = /\b(?=[A-Z0-9]*\d)(?=[A-Z0-9]*[A-Z])[A-Z0-9]{6}\b/;
const CANCEL_PATTERN = /\bcancel/i;
const VOUCHER_PATTERN = /\b(vouchers?|travel credit|compensat\w*)\b/i;
const AMOUNT_PATTERN = /\$\s?(\d+(?:\.\d+)?)|\b(\d+(?:\.\d+)?)\s?(?:USD|dollars)\b/i;

/** A call the actor asks for (Chat Completions `tool_calls`). */
export interface DemoToolCall {
  id: string;
  name: string;
  arguments: string;
}

/** What the actor answers: a reply, or tool calls to make first. */
export type DemoActorAnswer = { content: string } | { toolCalls: DemoToolCall[] };

/** One call of this turn and the result the actor got for it. */
interface MadeCall {
  name: string;
  arguments: Record<string, unknown>;
  result: string;
}

interface RawMessage {
  role?: unknown;
  content?: unknown;
  tool_calls?: Array<{ id?: unknown; function?: { name?: unknown; arguments?: unknown } }>;
  tool_call_id?: unknown;
}

const contentText = (content: unknown): string =>
  typeof content === 'string' ? content : Array.isArray(content) ? content.map((part) => (part && typeof part === 'object' && 'text' in part ? String(part.text) : '')).join('\n') : '';

const parseObject = (text: string): Record<string, unknown> => {
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
};

/** The calls made after the user's newest message (this turn's), each with its result. */
function callsThisTurn(raw: RawMessage[]): MadeCall[] {
  const lastUser = raw.map((message) => message.role).lastIndexOf('user');
  const asked = new Map<string, { name: string; arguments: Record<string, unknown> }>();
  const made: MadeCall[] = [];
  for (const message of raw.slice(lastUser + 1)) {
    if (message.role === 'assistant') {
      for (const call of message.tool_calls ?? []) asked.set(String(call.id), { name: String(call.function?.name ?? ''), arguments: parseObject(String(call.function?.arguments ?? '')) });
    } else if (message.role === 'tool') {
      const call = asked.get(String(message.tool_call_id));
      if (call) made.push({ ...call, result: contentText(message.content) });
    }
  }
  return made;
}

let callCounter = 0;
/** A call id unique within a conversation (the model's ids answer each `tool` message). */
const newCallId = () => `call_${(++callCounter).toString(36)}${randomBytes(4).toString('hex')}`;

const call = (name: string, args: Record<string, unknown>): DemoActorAnswer => ({ toolCalls: [{ id: newCallId(), name, arguments: JSON.stringify(args) }] });

/** A result that says nothing ran, or that the call failed. */
const notRun = (result: string) => /^(Not run|Error)\b/.test(result);

/** The voucher limit of a booking in words: "$50 per passenger, 2 passengers on this booking". */
const voucherLimitWords = (booking: BookingFacts) =>
  `$${voucherLimit(booking) / Math.max(1, booking.passenger_count)} per passenger, ${booking.passenger_count} passenger${booking.passenger_count === 1 ? '' : 's'} on this booking`;

/** The reply after a write call, from its result: done, refused by a human, sent back, failed. */
function replyAfterWrite(write: MadeCall, booking: BookingFacts | null): string {
  const id = String(write.arguments.reservation_id ?? booking?.reservation_id ?? '');
  if (write.result.includes('refused this call') || write.result.includes('refused by')) {
    return write.name === 'cancel_reservation'
      ? `I'm sorry: I could not cancel reservation ${id}. A colleague reviewed the request, and under your fare's rules it cannot be cancelled. Your booking stays as it is; I can look at changing the flights instead.`
      : `I'm sorry: I could not issue that voucher. A colleague reviewed the request and did not approve it.`;
  }
  if (notRun(write.result)) return `I'm sorry, I could not complete that for reservation ${id}: ${write.result.replace(/^(Not run|Error):\s*/, '')}`;
  if (write.name === 'cancel_reservation') return `Done: ${write.result} I'm sorry your plans changed; is there anything else I can help with?`;
  const issued = /of (\d+(?:\.\d+)?) USD/.exec(write.result)?.[1];
  const requested = Number(write.arguments.amount);
  const lowered = issued !== undefined && booking && Number(issued) < requested;
  return `${write.result}${lowered ? ` That is the most our policy allows for a delay: ${voucherLimitWords(booking)}.` : ''} I'm sorry about the delay.`;
}


/**
 * The actor with the demo airline's tools: given a reservation id, it looks the booking up,
 * then cancels it or issues a voucher when the user asked for that, then replies from the
 * results. Null: no reservation in the user's message, or no tools offered (the FAQ answers).
 */
export function demoActorToolAnswer(request: Pick<ModelServerRequest, 'body'>): DemoActorAnswer | null {
  const offered = Array.isArray(request.body.tools)
    ? new Set((request.body.tools as Array<{ function?: { name?: unknown } }>).map((tool) => String(tool.function?.name ?? '')))
    : new Set<string>();
  const raw = (Array.isArray(request.body.messages) ? request.body.messages : []) as RawMessage[];
  const userText = contentText(raw.filter((message) => message.role === 'user').at(-1)?.content);
  const reservation = RESERVATION_PATTERN.exec(userText)?.[0];
  const made = callsThisTurn(raw);
  if (!reservation || (!offered.has('get_reservation') && !made.length)) return null;
  // After a human refused a call the actor may call nothing more (tool_choice "none"): it replies.
  const mayCall = request.body.tool_choice !== 'none';
  const lookup = made.find((done) => done.name === 'get_reservation');
  if (!lookup) return mayCall ? call('get_reservation', { reservation_id: reservation }) : { content: `I could not look up reservation ${reservation} just now. A colleague will follow up here.` };
  if (notRun(lookup.result)) return { content: `I could not find reservation ${reservation} (${lookup.result.replace(/^Error:\s*/, '')}). Could you check the code on your confirmation email?` };
  const booking = parseObject(lookup.result) as unknown as BookingFacts;
  const write = made.find((done) => done.name === 'cancel_reservation' || done.name === 'issue_voucher');
  if (write) return { content: replyAfterWrite(write, booking) };
  if (mayCall && CANCEL_PATTERN.test(userText) && offered.has('cancel_reservation')) return call('cancel_reservation', { reservation_id: reservation });
  if (mayCall && VOUCHER_PATTERN.test(userText) && offered.has('issue_voucher')) {
    const amount = AMOUNT_PATTERN.exec(userText);
    return call('issue_voucher', { reservation_id: reservation, amount: Number(amount?.[1] ?? amount?.[2] ?? 200) });
  }
  return {
    content: `Reservation ${booking.reservation_id} for ${booking.passenger}: ${booking.flights}, ${String(booking.cabin).replace('_', ' ')}, ${booking.passenger_count} passenger${booking.passenger_count === 1 ? '' : 's'}, ${booking.status}. What would you like to do with it?`,
  };
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
  // A voucher that ran went through the critic of actions already: the reply reporting it is
  // not a new promise of compensation.
  const voucherIssued = (input.toolCalls ?? []).some((call) => call.tool === 'issue_voucher' && call.result.startsWith('Voucher '));
  const categories = ESCALATION_PATTERNS.filter(
    ({ category, pattern }) => !(category === 'compensation' && voucherIssued) && (pattern.test(input.userText) || (draftOffers && pattern.test(input.draft))),
  ).map(({ category }) => category);
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
// The critic of actions
// ---------------------------------------------------------------------------------------------

/** What the critic of actions is asked about: the proposed call, this turn's earlier calls, the user's words. */
export interface ActionCriticInput {
  tool: string;
  effect: string;
  arguments: Record<string, unknown>;
  earlierCalls: Array<{ tool: string; arguments: Record<string, unknown>; status: string; result: string }>;
  /** The newest user message of the conversation. */
  userText: string;
}

/**
 * Read the critic's request for a tool call: the JSON document (between its delimiters) whose
 * last field is `proposedCall`. Null when the request is not about a tool call.
 */
export function readActionCriticRequest(messages: Message[]): ActionCriticInput | null {
  const last = messages.at(-1)?.content ?? '';
  const document = embeddedObjects(last)
    .filter((object) => object.proposedCall && typeof object.proposedCall === 'object')
    .at(-1);
  if (!document) return null;
  const proposed = document.proposedCall as Record<string, unknown>;
  const asObject = (value: unknown): Record<string, unknown> => (value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {});
  const conversation = Array.isArray(document.conversation) ? (document.conversation as unknown[]) : [];
  const users = conversation.filter((entry) => asObject(entry).role === 'user');
  return {
    tool: String(proposed.tool ?? ''),
    effect: String(proposed.effect ?? 'write'),
    arguments: asObject(proposed.arguments),
    earlierCalls: (Array.isArray(document.callsThisTurn) ? (document.callsThisTurn as unknown[]) : []).map((entry) => {
      const record = asObject(entry);
      return { tool: String(record.tool ?? ''), arguments: asObject(record.arguments), status: String(record.status ?? ''), result: String(record.result ?? '') };
    }),
    userText: textOf(users.at(-1)) ?? '',
  };
}

const actionVerdict = (decision: ActionVerdict['decision'], reason: string, extra: Partial<ActionVerdict> = {}): ActionVerdict => ({
  decision,
  reason,
  categories: [],
  confidence: 0.9,
  revised_arguments: null,
  feedback: null,
  ...extra,
});

/** The booking this turn looked up for a reservation, as `get_reservation` gave it; null if none. */
function lookedUp(input: ActionCriticInput, reservation: unknown): BookingFacts | null {
  const lookup = input.earlierCalls.filter((made) => made.tool === 'get_reservation' && made.status === 'done' && made.arguments.reservation_id === reservation).at(-1);
  if (!lookup) return null;
  const facts = parseObject(lookup.result);
  return typeof facts.reservation_id === 'string' ? (facts as unknown as BookingFacts) : null;
}

/**
 * The critic's verdict on a tool call, by the demo airline's policy: a read is approved; a
 * cancellation the policy allows is approved and one it does not is escalated; a voucher over
 * the policy's limit is edited down to it (`revised_arguments`). A call the user did not ask
 * for, on a booking this turn did not look up, or to a tool it has no policy for, goes to a human.
 */
export function demoActionVerdict(input: ActionCriticInput, now: number = Date.now()): ActionVerdict {
  if (input.effect === 'read') return actionVerdict('approve', 'A lookup changes nothing.', { confidence: 0.97 });
  const reservation = input.arguments.reservation_id;
  if (input.tool === 'cancel_reservation') {
    if (!CANCEL_PATTERN.test(input.userText)) return actionVerdict('escalate', 'The user did not ask for a cancellation.', { categories: ['unrequested-action'] });
    const booking = lookedUp(input, reservation);
    if (!booking) return actionVerdict('escalate', `Reservation ${String(reservation)} was not looked up in this turn, so the policy cannot be checked.`, { categories: ['unchecked'] });
    const rule = cancellationRule(booking, now);
    return rule.allowed ? actionVerdict('approve', rule.reason, { categories: ['cancellation'] }) : actionVerdict('escalate', rule.reason, { categories: ['cancellation', 'policy-exception'], confidence: 0.92 });
  }
  if (input.tool === 'issue_voucher') {
    const booking = lookedUp(input, reservation);
    if (!booking) return actionVerdict('escalate', `Reservation ${String(reservation)} was not looked up in this turn, so the voucher limit cannot be checked.`, { categories: ['unchecked'] });
    const limit = voucherLimit(booking);
    const amount = Number(input.arguments.amount);
    if (amount > limit) {
      return actionVerdict('edit', `The policy allows at most ${limit / Math.max(1, booking.passenger_count)} USD per passenger for a delay (${booking.passenger_count} on this booking): the amount is cut from ${amount} to ${limit} USD.`, {
        categories: ['voucher-limit'],
        revised_arguments: { ...input.arguments, amount: limit },
      });
    }
    return actionVerdict('approve', `Within the policy's limit of ${limit} USD for this booking.`, { categories: ['voucher'] });
  }
  return actionVerdict('escalate', `The demo critic has no policy for ${input.tool}: a human decides.`, { categories: ['unknown-tool'], confidence: 0.6 });
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
      const action = readActionCriticRequest(request.messages);
      const verdict = action ? demoActionVerdict(action) : demoCriticVerdict(readCriticRequest(request.messages));
      return { content: JSON.stringify(verdict), delayMs: options.criticDelayMs };
    }
    const answer = demoActorToolAnswer(request) ?? { content: demoActorReply(request.messages) };
    return { ...answer, delayMs: options.actorDelayMs };
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
