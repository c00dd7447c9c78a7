import type { CriticPolicy, EffectDecidedBy, ToolEffect, ToolSource } from './tool-types.js';
import { IN_PROCESS_SOURCE } from './tool-types.js';

/** One entry of `tools.policy` in countersign.yaml: overrides what the tool says of itself. */
export interface ToolPolicy {
  readonly effect?: ToolEffect;
  readonly idempotent?: boolean;
  readonly critic?: CriticPolicy;
}

/** What a tool says of itself: MCP annotations, or an in-process tool's definition. */
export interface EffectInput {
  /** MCP `Tool.annotations` (only the hints that matter here). */
  readonly annotations?: { readonly readOnlyHint?: unknown; readonly idempotentHint?: unknown } | undefined;
  /** An in-process tool's own declaration (defineTool). */
  readonly definition?: { readonly effect: ToolEffect; readonly idempotent?: boolean; readonly critic?: CriticPolicy } | undefined;
  /** The operator's `tools.policy` entry for this tool, if any. */
  readonly policy?: ToolPolicy | undefined;
}

export interface EffectDecision {
  readonly effect: ToolEffect;
  readonly idempotent: boolean;
  readonly critic: CriticPolicy;
  /** Writes always; reads only with `critic: always`. */
  readonly reviewedByCritic: boolean;
  /** What decided the effect: the policy, the annotations, the definition, or nothing (write). */
  readonly decidedBy: EffectDecidedBy;
}

/**
 * Read or write, idempotent or not, reviewed or not. The operator's policy wins; then what the
 * tool says (an in-process definition, or MCP's `readOnlyHint: true`, which is the only way an
 * MCP tool is a read: a hint that is absent, false or not a boolean is a write); nothing at all
 * is a write. `idempotentHint` counts only when it is exactly `true`. A write is reviewed by
 * the critic whatever `critic` says: nothing with a side effect runs unreviewed.
 */
export function decideToolEffect(input: EffectInput): EffectDecision {
  const { annotations, definition, policy } = input;
  let effect: ToolEffect = 'write';
  let decidedBy: EffectDecidedBy = 'default';
  if (policy?.effect) {
    effect = policy.effect;
    decidedBy = 'policy';
  } else if (definition) {
    effect = definition.effect === 'read' ? 'read' : 'write';
    decidedBy = 'definition';
  } else if (annotations && annotations.readOnlyHint === true) {
    effect = 'read';
    decidedBy = 'annotations';
  } else if (annotations && annotations.readOnlyHint === false) {
    decidedBy = 'annotations';
  }
  const idempotent = policy?.idempotent ?? definition?.idempotent ?? annotations?.idempotentHint === true;
  const critic = policy?.critic ?? definition?.critic ?? 'auto';
  return { effect, idempotent, critic, reviewedByCritic: effect === 'write' || critic === 'always', decidedBy };
}

/**
 * The policy entry for a tool: `<server>_<tool>` (one server's tool) wins over `<tool>` (that
 * name on every server, and in-process tools).
 */
export function findToolPolicy(policies: Readonly<Record<string, ToolPolicy>>, source: ToolSource, sourceName: string): ToolPolicy | undefined {
  if (source !== IN_PROCESS_SOURCE) {
    const qualified = `${source}_${sourceName}`;
    if (Object.hasOwn(policies, qualified)) return policies[qualified];
  }
  return Object.hasOwn(policies, sourceName) ? policies[sourceName] : undefined;
}
