import { readFileSync } from 'node:fs';

/**
 * The 14 tools of τ-bench's airline domain as τ-bench gives them to the agent (each tool's
 * `get_info()`): name, description and the JSON Schema of the arguments, verbatim. τ-bench,
 * sierra-research, MIT licence.
 */
export interface AirlineToolSchema {
  readonly name: string;
  readonly description: string;
  readonly parameters: { readonly type: 'object'; readonly properties: Record<string, unknown>; readonly required: readonly string[] };
}

/**
 * Kept as data (airline-tool-schemas.json, copied into dist by the build) rather than code: it is
 * τ-bench's text verbatim, and a diff against τ-bench's tools.json should stay a plain JSON diff.
 */
export const AIRLINE_TOOL_SCHEMAS: readonly AirlineToolSchema[] = JSON.parse(
  readFileSync(new URL('./airline-tool-schemas.json', import.meta.url), 'utf8'),
);
