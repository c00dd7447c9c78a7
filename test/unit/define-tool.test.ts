/** In-process tools: checked at definition, their JSON Schema from zod, and ajv for MCP schemas. */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineTool } from '../../src/tools/define-tool.js';
import { compileArgumentsValidator } from '../../src/tools/json-schema-validator.js';

const execute = () => 'ok';

describe('defineTool', () => {
  it("gives the actor the input's JSON Schema (zod 4's toJSONSchema, input side)", () => {
    const tool = defineTool({
      name: 'issue_voucher',
      description: 'Issue a voucher.',
      input: z.object({ userId: z.string().min(1), amount: z.number().positive().max(500).describe('USD'), note: z.string().default('') }),
      effect: 'write',
      execute,
    });
    expect(tool.inputSchema).toMatchObject({
      type: 'object',
      properties: { userId: { type: 'string', minLength: 1 }, amount: { type: 'number', exclusiveMinimum: 0, maximum: 500, description: 'USD' } },
      required: ['userId', 'amount'],
    });
    expect(tool).toMatchObject({ kind: 'in-process', effect: 'write', idempotent: false, critic: 'auto' });
  });

  it.each([
    ['a name OpenAI refuses', { name: 'issue.voucher' }, /name must be 1 to 64 letters/],
    ['a name over 64 characters', { name: 'x'.repeat(65) }, /name must be 1 to 64/],
    ['no description', { description: ' ' }, /description is required/],
    ['an input that is not a zod object', { input: z.string() }, /input must be a zod object/],
    ['an unknown effect', { effect: 'maybe' }, /effect must be "read" or "write"/],
    ['critic never on a write', { critic: 'never' }, /only allowed for a read tool/],
    ['an input JSON Schema cannot express', { input: z.object({ when: z.date() }) }, /cannot be written as JSON Schema/],
  ])('refuses %s', (_name, change, message) => {
    const options = { name: 'ok_tool', description: 'Does it.', input: z.object({}), effect: 'write', execute, ...change };
    expect(() => defineTool(options as Parameters<typeof defineTool>[0])).toThrow(message);
  });
});

describe('compileArgumentsValidator', () => {
  it('validates with the draft the schema names, in readable words', () => {
    const draft7 = compileArgumentsValidator({ $schema: 'http://json-schema.org/draft-07/schema#', type: 'object', properties: { amount: { type: 'number', exclusiveMinimum: 0 } }, required: ['amount'], additionalProperties: false });
    expect(draft7({ amount: 5 })).toEqual({ ok: true });
    expect(draft7({ amount: 0 })).toEqual({ ok: false, error: 'arguments/amount must be > 0' });
    expect(draft7({ amount: 1, extra: true })).toEqual({ ok: false, error: 'arguments must NOT have additional properties' });
    expect(draft7([1])).toEqual({ ok: false, error: 'arguments must be a JSON object' });
    const draft2020 = compileArgumentsValidator({ $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'object', properties: { when: { type: 'string', format: 'date' } }, required: ['when'] });
    expect(draft2020({ when: '2026-05-01' })).toEqual({ ok: true });
    expect(draft2020({ when: 'tomorrow' })).toEqual({ ok: false, error: 'arguments/when must match format "date"' });
    expect(draft2020({})).toEqual({ ok: false, error: "arguments must have required property 'when'" });
  });

  it('throws tools.invalid-schema for a schema ajv cannot compile', () => {
    expect(() => compileArgumentsValidator({ type: 'object', properties: { a: { $ref: '#/definitions/missing' } } })).toThrow(/input schema cannot be compiled/);
  });
});
