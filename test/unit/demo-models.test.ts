import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { buildActorMessages } from '../../src/agents/actor-prompt.js';
import { DEMO_ACTOR_MODEL, DEMO_CRITIC_MODEL, DEMO_PROMPTS, type DemoPrompt, startDemoModels } from '../../src/demo/demo-models.js';

/** The verdict of CONTRACT.md, strictly: the demo critic must answer exactly this shape. */
const verdictSchema = z.strictObject({
  decision: z.enum(['approve', 'edit', 'revise', 'escalate']),
  reason: z.string().min(1),
  categories: z.array(z.string()),
  confidence: z.number().min(0).max(1),
  revised_text: z.string().nullable(),
  feedback: z.string().nullable(),
});
type Verdict = z.infer<typeof verdictSchema>;

const SYSTEM_PROMPT = 'You are a helpful, concise support assistant.';
const POLICY = 'Never let a reply promise refunds. Escalate legal threats and requests for compensation.';

let models: Awaited<ReturnType<typeof startDemoModels>>;
let client: OpenAI;

beforeAll(async () => {
  models = await startDemoModels();
  client = new OpenAI({ baseURL: models.actor.baseUrl, apiKey: models.actor.apiKey, maxRetries: 0 });
});
afterAll(async () => {
  await models.close();
});

const prompt = (decision: DemoPrompt['decision'], subject: DemoPrompt['subject'] = 'reply'): string => DEMO_PROMPTS.find((entry) => entry.decision === decision && entry.subject === subject)!.text;

async function draft(userText: string, feedback?: string): Promise<string> {
  // The system message as the actor's prompt builder writes it, with the revision data block.
  const system = buildActorMessages({ systemPrompt: SYSTEM_PROMPT, history: [], messages: [], ...(feedback ? { revision: { previousDraft: 'earlier draft', feedback } } : {}) })[0]!.content;
  const completion = await client.chat.completions.create({
    model: DEMO_ACTOR_MODEL,
    messages: [
      { role: 'system', content: system },
      { role: 'user', content: 'Hello' },
      { role: 'assistant', content: 'Hello! How can I help?' },
      { role: 'user', content: userText },
    ],
  });
  return completion.choices[0]!.message.content ?? '';
}

/** A critic request the way the pipeline builds it: the conversation, then the draft last, in a delimited JSON block. */
async function review(userText: string, draftText: string, options: { stream?: boolean } = {}): Promise<Verdict> {
  const block = JSON.stringify({
    conversation: [
      { role: 'user', text: 'Hello' },
      { role: 'assistant', text: 'Hello! How can I help?' },
      { role: 'user', text: userText },
    ],
    draft: draftText,
  });
  const messages = [
    { role: 'system' as const, content: `You review drafts of a support bot. Policy:\n${POLICY}\nAnswer with one JSON object.` },
    { role: 'user' as const, content: `Review the draft below (the conversation first, then the draft).\n<review>\n\`\`\`json\n${block}\n\`\`\`\n</review>` },
  ];
  const response_format = {
    type: 'json_schema' as const,
    json_schema: { name: 'verdict', strict: true, schema: { type: 'object' } },
  };
  let content = '';
  if (options.stream) {
    const stream = await client.chat.completions.create({ model: DEMO_CRITIC_MODEL, messages, response_format, stream: true });
    for await (const chunk of stream) content += chunk.choices[0]?.delta.content ?? '';
  } else {
    const completion = await client.chat.completions.create({ model: DEMO_CRITIC_MODEL, messages, response_format });
    content = completion.choices[0]!.message.content ?? '';
  }
  return verdictSchema.parse(JSON.parse(content));
}

describe('offline demo models through the openai client', () => {
  it('lists one example prompt per decision on a reply, then approve, edit and escalate on an action', () => {
    expect(DEMO_PROMPTS.map((entry) => `${entry.subject}:${entry.decision}`)).toEqual([
      'reply:approve',
      'reply:edit',
      'reply:revise',
      'reply:escalate',
      'action:approve',
      'action:edit',
      'action:escalate',
    ]);
    // Each button says which decision it triggers, and no two say the same.
    expect(new Set(DEMO_PROMPTS.map((entry) => entry.label)).size).toBe(DEMO_PROMPTS.length);
  });

  it('approve: an ordinary FAQ answer is approved as drafted', async () => {
    const text = await draft(prompt('approve'));
    expect(text).toMatch(/\$50/);
    const verdict = await review(prompt('approve'), text);
    expect(verdict.decision).toBe('approve');
    expect(verdict.categories).toEqual([]);
  });

  it('answers how to reach support from the FAQ (not the fallback), and the critic approves it', async () => {
    for (const question of ['How do I reach customer support?', 'Can I talk to a human?', 'What is your support email?']) {
      const text = await draft(question);
      expect(text).toMatch(/talking to support right now/);
      expect((await review(question, text)).decision).toBe('approve');
    }
  });

  it('edit: a promised refund is cut out and the facts are kept', async () => {
    const text = await draft(prompt('edit'));
    expect(text).toMatch(/I promise you will get a full refund/);
    const verdict = await review(prompt('edit'), text);
    expect(verdict.decision).toBe('edit');
    expect(verdict.categories).toEqual(['refund']);
    expect(verdict.revised_text).toMatch(/5 to 7 business days/);
    expect(verdict.revised_text).not.toMatch(/promise you/i);
    expect(verdict.revised_text).toMatch(/cannot promise a refund/);
  });

  it('revise: a rude draft gets feedback, and the polite redraft is approved', async () => {
    const rude = await draft(prompt('revise'));
    expect(rude).toMatch(/^Ugh/);
    const first = await review(prompt('revise'), rude);
    expect(first.decision).toBe('revise');
    expect(first.feedback).toBeTruthy();
    const polite = await draft(prompt('revise'), first.feedback!);
    expect(polite).not.toMatch(/ugh|obviously/i);
    expect(polite).toMatch(/Basic economy flights cannot be changed/);
    const second = await review(prompt('revise'), polite);
    expect(second.decision).toBe('approve');
  });

  it('escalate: compensation and legal threats are held for a human', async () => {
    const text = await draft(prompt('escalate'));
    const verdict = await review(prompt('escalate'), text);
    expect(verdict.decision).toBe('escalate');
    expect(verdict.categories).toEqual(['compensation', 'legal']);
    const legalOnly = await review('This is unacceptable, I am going to sue you.', await draft('This is unacceptable, I am going to sue you.'));
    expect(legalOnly).toMatchObject({ decision: 'escalate', categories: ['legal'] });
    const compensationOnly = await review('Can I get a voucher for the delay?', 'Let me check that for you.');
    expect(compensationOnly).toMatchObject({ decision: 'escalate', categories: ['compensation'] });
  });

  it('answers streamed critic requests the same way', async () => {
    const verdict = await review(prompt('edit'), await draft(prompt('edit')), { stream: true });
    expect(verdict.decision).toBe('edit');
  });

  it('reads the draft from the last message even without fences, and ignores the policy text', async () => {
    // The policy names "compensation" and "legal threats"; only the user's words may escalate.
    const completion = await client.chat.completions.create({
      model: 'some-critic',
      messages: [
        { role: 'system', content: POLICY },
        { role: 'user', content: `{"conversation":[{"role":"user","content":"Do you {really} allow pets?"}],"draft":"We do not allow pets {sorry}."}` },
      ],
      response_format: { type: 'json_object' },
    });
    expect(verdictSchema.parse(JSON.parse(completion.choices[0]!.message.content!)).decision).toBe('approve');
  });

  it('finds a draft block nested in another object, with prose and a later unrelated brace around it', async () => {
    const block = { review: { conversation: [{ role: 'user', content: 'Can I get a refund?' }], draft: 'Sure, I promise you will get a full refund.' } };
    const completion = await client.chat.completions.create({
      model: DEMO_CRITIC_MODEL,
      messages: [{ role: 'user', content: `Here it is:\n${JSON.stringify(block)}\nAnswer as {decision, reason}.` }],
    });
    const verdict = verdictSchema.parse(JSON.parse(completion.choices[0]!.message.content!));
    expect(verdict).toMatchObject({ decision: 'edit', categories: ['refund'] });
    expect(verdict.revised_text).not.toMatch(/promise you/);
  });
});
