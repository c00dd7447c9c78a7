/** The names offered to the actor: kept when unique, `<server>_<tool>` on a clash, always valid for OpenAI. */
import { describe, expect, it } from 'vitest';
import { TOOL_NAME_PATTERN } from '../../src/tools/define-tool.js';
import { assignToolNames, refKey } from '../../src/tools/tool-names.js';

const ref = (source: string, sourceName: string) => ({ source, sourceName });
const named = (tools: ReturnType<typeof ref>[]) => {
  const names = assignToolNames(tools);
  return tools.map((tool) => names.get(refKey(tool)));
};

describe('assignToolNames', () => {
  it('keeps unique names as they are', () => {
    expect(named([ref('ledger', 'transfer'), ref('hq', 'transfer_hq'), ref('in-process', 'lookup')])).toEqual(['transfer', 'transfer_hq', 'lookup']);
  });

  it('prefixes every clashing MCP tool with its server, and only those', () => {
    expect(named([ref('ledger', 'transfer'), ref('hq', 'transfer'), ref('hq', 'get_balance')])).toEqual(['ledger_transfer', 'hq_transfer', 'get_balance']);
  });

  it('leaves an in-process tool its name when an MCP tool has it too', () => {
    expect(named([ref('in-process', 'lookup'), ref('crm', 'lookup')])).toEqual(['lookup', 'crm_lookup']);
  });

  it('makes names the Chat Completions API would refuse fit its pattern, and keeps them distinct', () => {
    const long = 'a'.repeat(70);
    const tools = [ref('s1', 'ledger.transfer'), ref('s1', 'ledger:transfer'), ref('s2', long), ref('s3', long), ref('s4', 'x y')];
    const names = named(tools);
    for (const name of names) expect(name).toMatch(TOOL_NAME_PATTERN);
    expect(new Set(names).size).toBe(names.length);
    expect(names[4]).toBe('x_y');
  });

  it('does not depend on the order of the tools', () => {
    const tools = [ref('a', 'x'), ref('b', 'x'), ref('a', 'y.z'), ref('b', 'y_z'), ref('in-process', 'w')];
    const forward = assignToolNames(tools);
    const backward = assignToolNames([...tools].reverse());
    expect([...backward].sort()).toEqual([...forward].sort());
  });
});
