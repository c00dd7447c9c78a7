/**
 * The structure behind invariant 1: only the critic step and the review service can make an
 * approval, and only the outbox hands text to an adapter's `send`. Checked on the source with
 * the TypeScript compiler, so a new call site anywhere in src/ or adapters/ fails this test.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../helpers/worker-process.js';

function sourceFiles(directory: string): string[] {
  return readdirSync(path.join(PROJECT_ROOT, directory), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts'))
    .map((entry) => path.join(entry.parentPath, entry.name));
}

const files = [...sourceFiles('src'), ...sourceFiles('adapters')];
const relative = (file: string) => path.relative(PROJECT_ROOT, file).split(path.sep).join('/');
const program = ts.createProgram(files, {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  strict: true,
  skipLibCheck: true,
  noEmit: true,
  types: ['node'],
});
const checker = program.getTypeChecker();

function walk(node: ts.Node, visit: (node: ts.Node) => void): void {
  visit(node);
  node.forEachChild((child) => walk(child, visit));
}

/** Files (other than the defining one) that mention an identifier, in imports or anywhere else. */
function filesUsing(name: string, definedIn: string): string[] {
  const users = new Set<string>();
  for (const file of files) {
    const source = program.getSourceFile(file)!;
    if (relative(file) === definedIn) continue;
    walk(source, (node) => {
      if ((ts.isIdentifier(node) || ts.isStringLiteral(node)) && node.text === name) users.add(relative(file));
    });
  }
  return [...users].sort();
}

/** A value whose type has the ChatAdapter shape (platform, render, send). */
function isChatAdapter(type: ts.Type): boolean {
  const types = type.isUnion() ? type.types : [type];
  return types.some((part) => ['platform', 'render', 'send'].every((name) => part.getProperty(name) !== undefined));
}

describe('the approval boundary', () => {
  it('only the critic step of the turn runner and the review service use approveByCritic / approveByReviewer', () => {
    expect(filesUsing('approveByCritic', 'src/delivery/approval.ts')).toEqual(['src/conversation/turn/turn-drafting.ts']);
    expect(filesUsing('approveByReviewer', 'src/delivery/approval.ts')).toEqual(['src/review/review-service.ts']);
  });

  it("only the turn runner's escalation step writes operator texts (holding message, canned reply) as approvals", () => {
    expect(filesUsing('approveOperatorText', 'src/delivery/approval.ts')).toEqual(['src/conversation/turn/turn-escalation.ts']);
  });

  it("only src/delivery/outbox.ts calls an adapter's send", () => {
    const callers: string[] = [];
    let adapterSends = 0;
    for (const file of files) {
      walk(program.getSourceFile(file)!, (node) => {
        if (!ts.isCallExpression(node)) return;
        const callee = node.expression;
        // adapter.send(...), adapter?.send(...), adapter['send'](...)
        const receiver = ts.isPropertyAccessExpression(callee) && callee.name.text === 'send' ? callee.expression
          : ts.isElementAccessExpression(callee) && ts.isStringLiteral(callee.argumentExpression) && callee.argumentExpression.text === 'send' ? callee.expression
          : null;
        if (!receiver) return;
        if (isChatAdapter(checker.getTypeAtLocation(receiver))) {
          adapterSends++;
          callers.push(`${relative(file)}:${node.getSourceFile().getLineAndCharacterOfPosition(node.getStart()).line + 1}`);
        }
      });
    }
    expect(adapterSends).toBeGreaterThan(0); // the check itself finds the one real call
    expect(callers.map((caller) => caller.split(':')[0])).toEqual(['src/delivery/outbox.ts']);
  });

  it('a send through a destructured or aliased method would also be found', () => {
    // Nothing takes `send` off an adapter to call it under another name.
    const aliases: string[] = [];
    for (const file of files) {
      walk(program.getSourceFile(file)!, (node) => {
        if (ts.isPropertyAccessExpression(node) && node.name.text === 'send' && !ts.isCallExpression(node.parent) && isChatAdapter(checker.getTypeAtLocation(node.expression))) {
          aliases.push(relative(file));
        }
        if (ts.isBindingElement(node) && (node.propertyName ?? node.name).getText() === 'send' && ts.isObjectBindingPattern(node.parent)) {
          const from = node.parent.parent;
          if (ts.isVariableDeclaration(from) && from.initializer && isChatAdapter(checker.getTypeAtLocation(from.initializer))) aliases.push(relative(file));
        }
      });
    }
    expect(aliases).toEqual([]);
  });
});
