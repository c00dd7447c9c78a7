/**
 * The user message of an action critic's request as countersign's action critic writes it: one
 * JSON document between delimiters, the proposed call last (tool, description, input schema,
 * arguments). The scripted critic of `bench tau` reads the call from it.
 */
export function buildActionCriticDocument(tool: string, args: Record<string, unknown>, boundary = 'b0b0'): string {
  const document = {
    conversation: [{ role: 'user', user: 'customer', text: 'please' }],
    callsThisTurn: [],
    proposedCall: { tool, description: 'a tool', effect: 'write', inputSchema: { type: 'object', properties: { reservation_id: { type: 'string' } } }, arguments: args },
  };
  return `<<<ACTION-DATA ${boundary}>>>\n${JSON.stringify(document, null, 1)}\n<<<END ACTION-DATA ${boundary}>>>\nReview the proposed call (the last field) and answer with the JSON verdict.`;
}
