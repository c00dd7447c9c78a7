/**
 * The structure behind invariant 1: only the critic step and the review service can make an
 * approval, and only the outbox hands text to an adapter's `send`; for tools, only the action
 * gate and the review service can approve a call, only the action ledger calls the tool
 * registry, and only the registry reaches a tool (an MCP server's connection, an in-process
 * tool's `execute`). Checked on the source with the TypeScript compiler, so a new call site
 * anywhere in src/ or adapters/ fails this test. (That the ledger runs nothing without an issued
 * approval is checked at run time: test/integration/action-ledger.test.ts.)
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

/** A value whose type has all these properties (or one member of a union does). */
const hasShape = (...names: string[]) => (type: ts.Type): boolean => {
  const types = type.isUnion() ? type.types : [type];
  return types.some((part) => names.every((name) => part.getProperty(name) !== undefined));
};

/** A value whose type has the ChatAdapter shape (platform, render, send). */
const isChatAdapter = hasShape('platform', 'render', 'send');
/** The tool registry, or the part of it the ledger holds (`Pick<ToolRegistry, 'find' | 'call'>`). */
const isToolRegistry = hasShape('call', 'find');
/** One MCP server's connection (src/tools/mcp-tool-server.ts). */
const isToolServer = hasShape('call', 'tools', 'status');
/** An in-process tool made by defineTool. */
const isInProcessTool = hasShape('execute', 'inputSchema', 'effect');
/** The MCP SDK's client. */
const isMcpClient = hasShape('callTool', 'listTools');

/** `file:line` of every `receiver.method(...)` (or `receiver['method'](...)`) whose receiver matches. */
function callSites(method: string, matches: (type: ts.Type) => boolean): string[] {
  const sites: string[] = [];
  for (const file of files) {
    walk(program.getSourceFile(file)!, (node) => {
      if (!ts.isCallExpression(node)) return;
      const callee = node.expression;
      const receiver = (ts.isPropertyAccessExpression(callee) && callee.name.text === method ? callee.expression
        : ts.isElementAccessExpression(callee) && ts.isStringLiteral(callee.argumentExpression) && callee.argumentExpression.text === method ? callee.expression
        : null);
      if (receiver && matches(checker.getTypeAtLocation(receiver))) sites.push(`${relative(file)}:${node.getSourceFile().getLineAndCharacterOfPosition(node.getStart()).line + 1}`);
    });
  }
  return sites;
}

/** Files that take `method` off a matching value without calling it (`const { call } = registry`, `registry.call` passed on). */
function aliasesOf(method: string, matches: (type: ts.Type) => boolean): string[] {
  const aliases: string[] = [];
  for (const file of files) {
    walk(program.getSourceFile(file)!, (node) => {
      if (ts.isPropertyAccessExpression(node) && node.name.text === method && !ts.isCallExpression(node.parent) && matches(checker.getTypeAtLocation(node.expression))) aliases.push(relative(file));
      if (ts.isBindingElement(node) && (node.propertyName ?? node.name).getText() === method && ts.isObjectBindingPattern(node.parent)) {
        const from = node.parent.parent;
        if (ts.isVariableDeclaration(from) && from.initializer && matches(checker.getTypeAtLocation(from.initializer))) aliases.push(relative(file));
      }
    });
  }
  return aliases;
}

const fileOf = (site: string) => site.split(':')[0];

/**
 * Where the action gate will live (with the other gates, src/escalation), and the tools
 * module's own index, which re-exports the factories.
 */
const ACTION_GATE = 'src/escalation/action-gate.ts';
const TOOLS_INDEX = 'src/tools/index.ts';
const outside = (users: string[], allowed: string[]) => users.filter((user) => !allowed.includes(user));

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

describe('the approval boundary for tool calls', () => {
  it('only the action gate approves a call by the critic or as a read, and only the review service by a human', () => {
    expect(outside(filesUsing('approveActionByCritic', 'src/tools/action-approval.ts'), [ACTION_GATE, TOOLS_INDEX])).toEqual([]);
    expect(outside(filesUsing('approveReadCall', 'src/tools/action-approval.ts'), [ACTION_GATE, TOOLS_INDEX])).toEqual([]);
    expect(outside(filesUsing('approveActionByReviewer', 'src/tools/action-approval.ts'), ['src/review/review-service.ts', TOOLS_INDEX])).toEqual([]);
  });

  it('only the action ledger calls the tool registry', () => {
    const sites = callSites('call', isToolRegistry);
    expect(sites.length).toBeGreaterThan(0); // the check itself finds the one real call
    expect([...new Set(sites.map(fileOf))]).toEqual(['src/tools/action-ledger.ts']);
  });

  it('only the registry reaches a tool: an MCP server connection, an in-process execute', () => {
    const serverCalls = callSites('call', isToolServer);
    const executes = callSites('execute', isInProcessTool);
    expect(serverCalls.length).toBeGreaterThan(0);
    expect(executes.length).toBeGreaterThan(0);
    expect([...new Set([...serverCalls, ...executes].map(fileOf))]).toEqual(['src/tools/tool-registry.ts']);
  });

  it("only the MCP server connection calls the MCP client's callTool", () => {
    const sites = callSites('callTool', isMcpClient);
    expect(sites.length).toBeGreaterThan(0);
    expect([...new Set(sites.map(fileOf))]).toEqual(['src/tools/mcp-tool-server.ts']);
  });

  it("only the agent loop runs calls through the ledger (execute, resume), and only the review service records a reviewer's approval", () => {
    // The ledger, or any part of it (`Pick<ActionLedger, ...>`), by its declared type.
    const isActionLedger = (type: ts.Type) => checker.typeToString(type).includes('ActionLedger');
    const runs = [...callSites('execute', isActionLedger), ...callSites('resume', isActionLedger), ...callSites('resolveUnknown', isActionLedger)];
    expect(runs.length).toBeGreaterThan(0);
    expect([...new Set(runs.map(fileOf))]).toEqual(['src/conversation/turn/turn-tools.ts']);
    const records = callSites('record', isActionLedger);
    expect(records.length).toBeGreaterThan(0);
    expect([...new Set(records.map(fileOf))]).toEqual(['src/review/review-service.ts']);
    expect([...aliasesOf('execute', isActionLedger), ...aliasesOf('resume', isActionLedger), ...aliasesOf('record', isActionLedger)]).toEqual([]);
  });

  it('nothing takes call, execute or callTool off those values to call it under another name', () => {
    expect([...aliasesOf('call', isToolRegistry), ...aliasesOf('call', isToolServer), ...aliasesOf('execute', isInProcessTool), ...aliasesOf('callTool', isMcpClient)]).toEqual([]);
  });
});
