/**
 * Tools: the sources (MCP servers, in-process tools), their effects, and the action ledger.
 * What the turn runner, the action gate and the review service use; docs/tools.md explains it.
 */
export { type ActionApproval, type ActionApprovalSource, type ActionVerdictApproval, approveActionByCritic, approveActionByReviewer, approveReadCall, isIssuedActionApproval, type ProposedCall } from './action-approval.js';
export { type ActionExecution, type ActionLedger, type ActionLedgerOptions, type ActionRecord, type ActionState, capResult, createActionLedger, type ExecuteOptions, type LedgerTransition } from './action-ledger.js';
export { type DefineToolOptions, defineTool, type InProcessTool, type InProcessToolOutput, TOOL_NAME_PATTERN, type ToolExecutionContext } from './define-tool.js';
export type { ToolServerState, ToolServerStatus } from './mcp-tool-server.js';
export { decideToolEffect, type EffectDecision, type EffectInput, findToolPolicy, type ToolPolicy } from './tool-effects.js';
export { type ArgumentsValidation, createToolRegistry, createToolRegistryFromConfig, type ToolRegistry, type ToolRegistryOptions } from './tool-registry.js';
export {
  type CriticPolicy,
  IDEMPOTENCY_KEY_META,
  IN_PROCESS_SOURCE,
  mayHaveRun,
  type ToolCallOptions,
  type ToolContent,
  type ToolDescriptor,
  type ToolEffect,
  type ToolFailure,
  type ToolFailureCode,
  type ToolRef,
  type ToolResult,
  type ToolSuccess,
  toolResultText,
} from './tool-types.js';
