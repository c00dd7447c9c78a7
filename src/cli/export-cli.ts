/**
 * `countersign export --since DATE --out FILE.jsonl [--mask-personal-data]`: the reviewed turns
 * as the critic's fine-tuning set (see dataset-export.ts for the format and the labels). The
 * prompts are built by the critic's own prompt builder with the configured policy, and with a
 * fixed data delimiter (`dataset`) so identical turns give identical lines.
 */
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { buildCriticMessages } from '../agents/critic-prompt.js';
import type { Config } from '../config/schema.js';
import { parseTurn } from '../conversation/conversation-store.js';
import { CountersignError } from '../core/errors.js';
import { createKeys } from '../core/keys.js';
import type { Turn } from '../core/types.js';
import { type DatasetExportResult, exportDataset } from '../review/dataset-export.js';
import { CliUsageError, type CliOutput, connectCliRedis, processOutput, whereLooked } from './review-cli.js';

const UNITS: Record<string, number> = { m: 60_000, h: 3600_000, d: 86_400_000, w: 7 * 86_400_000 };

/**
 * A point in time from the command line: an ISO date or date-time (`2025-01-31`, which is
 * midnight UTC, or `2025-01-31T09:00+01:00`), or an age back from now (`90m`, `12h`, `30d`, `2w`).
 */
export function parseWhen(text: string, flag: string, now = Date.now()): number {
  const trimmed = text.trim();
  const relative = /^(\d+)\s*([mhdw])$/i.exec(trimmed);
  if (relative) return now - Number(relative[1]) * UNITS[relative[2]!.toLowerCase()]!;
  if (/^\d{4}-\d{2}-\d{2}(?:[T ][\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)?$/.test(trimmed)) {
    const at = Date.parse(trimmed.replace(' ', 'T'));
    if (!Number.isNaN(at)) return at;
  }
  throw new CliUsageError(`${flag}: "${trimmed.slice(0, 60)}" is not a date (2025-01-31, 2025-01-31T09:00Z) or an age (12h, 30d)`);
}

export interface ExportOptions {
  /** Only turns resolved at or after this time (ms). */
  since?: number;
  /** Only turns resolved before this time (ms). */
  until?: number;
  /** The JSONL file; `-` writes to stdout. */
  out: string;
  mask?: boolean;
}

/** Every resolved turn in the time range, oldest resolution first, read in pipelined batches. */
async function readResolvedTurns(config: Config, since: number | undefined, until: number | undefined): Promise<{ turns: Turn[]; emptyHint: string | null }> {
  const redis = await connectCliRedis(config);
  const keys = createKeys(config.redis.prefix);
  try {
    const ids = await redis.zrangebyscore(keys.reviewResolved, since ?? '-inf', until === undefined ? '+inf' : `(${until}`);
    const turns: Turn[] = [];
    for (let start = 0; start < ids.length; start += 500) {
      const batch = ids.slice(start, start + 500);
      const pipeline = redis.pipeline();
      for (const id of batch) pipeline.hgetall(keys.turn(id));
      const results = (await pipeline.exec()) ?? [];
      results.forEach(([error, hash], index) => {
        if (error) throw new CountersignError('cli.redis', `could not read turn ${batch[index]}: ${error.message}`);
        const turn = parseTurn(batch[index]!, hash as Record<string, string>);
        if (turn) turns.push(turn);
      });
    }
    return { turns, emptyHint: turns.length ? null : await whereLooked(redis, config) };
  } finally {
    await redis.quit().catch(() => redis.disconnect());
  }
}

/** Export reviewed turns as JSONL; returns the export result (the command prints a summary). */
export async function exportReviewedTurns(config: Config, options: ExportOptions, output: CliOutput = processOutput): Promise<DatasetExportResult> {
  if (options.since !== undefined && options.until !== undefined && options.until <= options.since) throw new CliUsageError('--until must be after --since');
  const { turns, emptyHint } = await readResolvedTurns(config, options.since, options.until);
  const result = exportDataset(turns, {
    buildPrompt: (input) => buildCriticMessages({ ...input, policy: config.critic.policy, boundary: 'dataset' }),
    mask: options.mask ?? false,
    ...(options.since !== undefined ? { since: options.since } : {}),
    ...(options.until !== undefined ? { until: options.until } : {}),
  });
  const text = result.lines.length ? `${result.lines.join('\n')}\n` : '';
  if (options.out === '-') {
    output.stdout(text);
  } else {
    // Written next to the target and renamed: a reader never sees half a file.
    const temporary = `${options.out}.${process.pid}.tmp`;
    try {
      writeFileSync(temporary, text, { mode: 0o600 });
      renameSync(temporary, options.out);
    } catch (error) {
      rmSync(temporary, { force: true });
      throw new CliUsageError(`cannot write ${options.out}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  }
  const { approve, edit, escalate } = result.labels;
  const reasons = new Map<string, number>();
  for (const skipped of result.skipped) reasons.set(skipped.reason, (reasons.get(skipped.reason) ?? 0) + 1);
  const skippedText = reasons.size ? `; skipped ${result.skipped.length} (${[...reasons].map(([reason, count]) => `${count} ${reason}`).join(', ')})` : '';
  if (!result.lines.length) {
    const range = options.since !== undefined || options.until !== undefined ? ' in that time range' : '';
    output.stderr(`nothing to export: no reviewed turns${range}${turns.length ? ` (${result.skipped.length} resolved turns skipped)` : ''}; ${options.out === '-' ? 'nothing written' : `${options.out} is empty`}. ${emptyHint ?? ''}\n`);
    return result;
  }
  output.stderr(
    `wrote ${result.lines.length} line${result.lines.length === 1 ? '' : 's'} to ${options.out === '-' ? 'stdout' : options.out}: approve ${approve}, edit ${edit}, escalate ${escalate}${skippedText}${options.mask ? '; personal data masked' : ''}\n`,
  );
  return result;
}
