import { createHash } from 'node:crypto';
import { TOOL_NAME_PATTERN } from './define-tool.js';
import { IN_PROCESS_SOURCE, type ToolRef } from './tool-types.js';

const MAX_LENGTH = 64;

const hash = (text: string, length: number) => createHash('sha256').update(text).digest('hex').slice(0, length);

/** A name the Chat Completions API accepts: other characters become `_`, long names end in a hash. */
function fitName(name: string, identity: string): string {
  const cleaned = name.replace(/[^a-zA-Z0-9_-]/g, '_') || 'tool';
  return cleaned.length <= MAX_LENGTH ? cleaned : `${cleaned.slice(0, MAX_LENGTH - 9)}_${hash(identity, 8)}`;
}

export const refKey = (ref: ToolRef) => `${ref.source}\u0000${ref.sourceName}`;

/**
 * The names offered to the actor, by tool (key: refKey). A tool keeps its own name when no
 * other tool has it; when names clash, each MCP tool of that name becomes `<server>_<name>`
 * (an in-process tool keeps its name: the application chose it). Names the Chat Completions API
 * would refuse (`ledger.transfer`, more than 64 characters) are made to fit. The result depends
 * only on the set of tools, not on their order.
 */
export function assignToolNames(tools: readonly ToolRef[]): Map<string, string> {
  const base = new Map<string, string>();
  const count = new Map<string, number>();
  for (const tool of tools) {
    const key = refKey(tool);
    const name = fitName(tool.sourceName, key);
    base.set(key, name);
    count.set(name, (count.get(name) ?? 0) + 1);
  }
  const inProcessNames = new Set(tools.filter((tool) => tool.source === IN_PROCESS_SOURCE).map((tool) => tool.sourceName));
  const assigned = new Map<string, string>();
  for (const tool of tools) {
    const key = refKey(tool);
    const own = base.get(key)!;
    const keepsOwn = tool.source === IN_PROCESS_SOURCE ? TOOL_NAME_PATTERN.test(tool.sourceName) : count.get(own) === 1 && !inProcessNames.has(own);
    assigned.set(key, keepsOwn ? own : fitName(`${tool.source}_${tool.sourceName}`, key));
  }
  // Still the same name twice (a server "a" with "b_c" and a server "a_b" with "c" cannot be:
  // server names have no "_"; but made-to-fit names can meet): a hash of the tool tells them apart.
  const seen = new Map<string, number>();
  for (const name of assigned.values()) seen.set(name, (seen.get(name) ?? 0) + 1);
  for (const [key, name] of assigned) {
    if (seen.get(name)! > 1 && !key.startsWith(`${IN_PROCESS_SOURCE}\u0000`)) assigned.set(key, `${name.slice(0, MAX_LENGTH - 7)}_${hash(key, 6)}`);
  }
  return assigned;
}
