/**
 * Read or write, idempotent or not, reviewed or not: the table of how a tool's effect is
 * decided from its MCP annotations, an in-process definition and the operator's policy.
 * Unknown is a write (fail closed), and a write is always reviewed.
 */
import { describe, expect, it } from 'vitest';
import { decideToolEffect, type EffectInput, findToolPolicy } from '../../src/tools/tool-effects.js';

type Row = [string, EffectInput, { effect: 'read' | 'write'; idempotent: boolean; reviewedByCritic: boolean; decidedBy: string }];

const rows: Row[] = [
  ['no annotations at all: write, not idempotent', {}, { effect: 'write', idempotent: false, reviewedByCritic: true, decidedBy: 'default' }],
  ['annotations without hints: write', { annotations: {} }, { effect: 'write', idempotent: false, reviewedByCritic: true, decidedBy: 'default' }],
  ['readOnlyHint true: read', { annotations: { readOnlyHint: true } }, { effect: 'read', idempotent: false, reviewedByCritic: false, decidedBy: 'annotations' }],
  ['readOnlyHint false: write', { annotations: { readOnlyHint: false } }, { effect: 'write', idempotent: false, reviewedByCritic: true, decidedBy: 'annotations' }],
  ['readOnlyHint "true" (a string, not a boolean): write', { annotations: { readOnlyHint: 'true' } }, { effect: 'write', idempotent: false, reviewedByCritic: true, decidedBy: 'default' }],
  ['readOnlyHint 1: write', { annotations: { readOnlyHint: 1 } }, { effect: 'write', idempotent: false, reviewedByCritic: true, decidedBy: 'default' }],
  ['idempotentHint true is kept', { annotations: { readOnlyHint: false, idempotentHint: true } }, { effect: 'write', idempotent: true, reviewedByCritic: true, decidedBy: 'annotations' }],
  ['idempotentHint "yes" is not idempotent', { annotations: { idempotentHint: 'yes' } }, { effect: 'write', idempotent: false, reviewedByCritic: true, decidedBy: 'default' }],
  ['policy effect write overrides readOnlyHint true', { annotations: { readOnlyHint: true }, policy: { effect: 'write' } }, { effect: 'write', idempotent: false, reviewedByCritic: true, decidedBy: 'policy' }],
  ['policy effect read overrides no annotations', { policy: { effect: 'read' } }, { effect: 'read', idempotent: false, reviewedByCritic: false, decidedBy: 'policy' }],
  ['policy idempotent false overrides idempotentHint true', { annotations: { idempotentHint: true }, policy: { idempotent: false } }, { effect: 'write', idempotent: false, reviewedByCritic: true, decidedBy: 'default' }],
  ['policy idempotent true without an effect keeps the annotations\' effect', { annotations: { readOnlyHint: false }, policy: { idempotent: true } }, { effect: 'write', idempotent: true, reviewedByCritic: true, decidedBy: 'annotations' }],
  ['critic always on a read: reviewed', { annotations: { readOnlyHint: true }, policy: { critic: 'always' } }, { effect: 'read', idempotent: false, reviewedByCritic: true, decidedBy: 'annotations' }],
  ['critic never on a read: not reviewed', { policy: { effect: 'read', critic: 'never' } }, { effect: 'read', idempotent: false, reviewedByCritic: false, decidedBy: 'policy' }],
  ['critic never cannot let a write through', { annotations: { readOnlyHint: false }, policy: { critic: 'never' } }, { effect: 'write', idempotent: false, reviewedByCritic: true, decidedBy: 'annotations' }],
  ['in-process read', { definition: { effect: 'read' } }, { effect: 'read', idempotent: false, reviewedByCritic: false, decidedBy: 'definition' }],
  ['in-process idempotent write', { definition: { effect: 'write', idempotent: true } }, { effect: 'write', idempotent: true, reviewedByCritic: true, decidedBy: 'definition' }],
  ['policy overrides an in-process definition', { definition: { effect: 'read' }, policy: { effect: 'write' } }, { effect: 'write', idempotent: false, reviewedByCritic: true, decidedBy: 'policy' }],
];

describe('decideToolEffect', () => {
  it.each(rows)('%s', (_name, input, expected) => {
    expect(decideToolEffect(input)).toMatchObject(expected);
  });

  it('critic is auto unless a policy or definition says otherwise', () => {
    expect(decideToolEffect({}).critic).toBe('auto');
    expect(decideToolEffect({ definition: { effect: 'read', critic: 'always' } }).critic).toBe('always');
    expect(decideToolEffect({ definition: { effect: 'read', critic: 'always' }, policy: { critic: 'never', effect: 'read' } }).critic).toBe('never');
  });
});

describe('findToolPolicy', () => {
  const policies = { transfer: { effect: 'write' as const }, hq_transfer: { effect: 'read' as const }, constructor: { effect: 'read' as const } };

  it('prefers <server>_<tool> over <tool>, and <tool> applies to every server', () => {
    expect(findToolPolicy(policies, 'hq', 'transfer')).toEqual({ effect: 'read' });
    expect(findToolPolicy(policies, 'ledger', 'transfer')).toEqual({ effect: 'write' });
    expect(findToolPolicy(policies, 'ledger', 'refund')).toBeUndefined();
  });

  it('matches in-process tools by their name only, and never a property of Object.prototype', () => {
    expect(findToolPolicy(policies, 'in-process', 'transfer')).toEqual({ effect: 'write' });
    expect(findToolPolicy({}, 'x', 'toString')).toBeUndefined();
    expect(findToolPolicy({}, 'x', '__proto__')).toBeUndefined();
  });
});
