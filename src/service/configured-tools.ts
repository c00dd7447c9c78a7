/**
 * The actor's tools as the configuration asks for them: one registry over the configured MCP
 * servers and the application's in-process tools, and the action ledger through which every
 * approved call runs once (docs/tools.md).
 */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { Keys } from '../core/keys.js';
import { type ActionLedger, type ActionLedgerOptions, createActionLedger } from '../tools/action-ledger.js';
import type { InProcessTool } from '../tools/define-tool.js';
import { createToolRegistryFromConfig, type ToolRegistry } from '../tools/tool-registry.js';

export function createConfiguredTools(
  config: Config,
  options: { redis: Redis; keys: Keys; logger: Logger; inProcess?: readonly InProcessTool[]; onTransition?: ActionLedgerOptions['onTransition'] },
): { registry: ToolRegistry; ledger: ActionLedger } {
  const { redis, keys, logger } = options;
  // Connected in start() (workers only), closed in stop().
  const registry = createToolRegistryFromConfig(config.tools, { logger, ...(options.inProcess ? { tools: options.inProcess } : {}) });
  const ledger = createActionLedger({
    redis,
    keys,
    registry,
    logger,
    retentionSeconds: config.retention.turnSeconds,
    resolvedRetentionSeconds: config.retention.reviewedTurnSeconds,
    callTimeoutMs: config.tools.callTimeoutMs,
    maxResultBytes: config.tools.maxResultBytes,
    ...(options.onTransition ? { onTransition: options.onTransition } : {}),
  });
  return { registry, ledger };
}
