/**
 * What the airline environment offers as MCP tools: τ-bench's schemas (verbatim), a validator
 * derived from each schema, the implementation, and annotations that say truthfully what a call
 * does to the database, measured against the implementation (test/unit/tau-bench-tools.test.ts
 * runs every recorded write call once and twice and checks `idempotentHint` against the result).
 */
import { z } from 'zod';
import type { AirlineToolImplementation, AirlineToolName } from './airline-tools.js';
import { AIRLINE_TOOL_IMPLEMENTATIONS } from './airline-tools.js';
import type { AirlineToolSchema } from './airline-tool-schemas.js';
import { AIRLINE_TOOL_SCHEMAS } from './airline-tool-schemas.js';

/** MCP tool annotations (hints for clients: countersign reads `readOnlyHint` and `idempotentHint`). */
export interface AirlineToolAnnotations {
  readonly title: string;
  readonly readOnlyHint: boolean;
  readonly destructiveHint: boolean;
  readonly idempotentHint: boolean;
  readonly openWorldHint: boolean;
}

export interface AirlineToolDefinition {
  readonly name: AirlineToolName;
  readonly description: string;
  /** τ-bench's JSON Schema of the arguments, as listed to MCP clients. */
  readonly inputSchema: AirlineToolSchema['parameters'];
  readonly annotations: AirlineToolAnnotations;
  /** `write` for the five tools that change reservations and the one that pays out. */
  readonly effect: 'read' | 'write';
  /**
   * Validates a call's arguments: the schema above, and no arguments it does not name (τ-bench
   * would raise `TypeError: invoke() got an unexpected keyword argument`).
   */
  readonly argumentsSchema: z.ZodType<Record<string, unknown>>;
  readonly implementation: AirlineToolImplementation;
}

const READ = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false } as const;

/**
 * Why each write tool is (not) idempotent, in τ-bench's implementation:
 * - book_reservation: a second call books another reservation (HATHAU) and charges again.
 * - cancel_reservation: a second call succeeds and appends another refund of every payment
 *   (the earlier refunds included), so the database differs from one cancellation.
 * - send_certificate: a second call issues another certificate.
 * - update_reservation_flights / _baggages / _passengers: set the reservation to the given
 *   state; repeated, the price difference is 0, nothing more is charged, the state is the same
 *   and so is the answer.
 * Destructive: every write but send_certificate replaces or removes what was there
 * (booking spends gift-card balance and deletes a used certificate); send_certificate only adds.
 */
const ANNOTATIONS: Record<AirlineToolName, Omit<AirlineToolAnnotations, 'openWorldHint'> & { openWorldHint?: boolean }> = {
  book_reservation: { title: 'Book a reservation', readOnlyHint: false, destructiveHint: true, idempotentHint: false },
  calculate: { title: 'Calculate', ...READ },
  cancel_reservation: { title: 'Cancel a reservation', readOnlyHint: false, destructiveHint: true, idempotentHint: false },
  get_reservation_details: { title: 'Get reservation details', ...READ },
  get_user_details: { title: 'Get user details', ...READ },
  list_all_airports: { title: 'List all airports', ...READ },
  search_direct_flight: { title: 'Search direct flights', ...READ },
  search_onestop_flight: { title: 'Search one-stop flights', ...READ },
  send_certificate: { title: 'Send a certificate', readOnlyHint: false, destructiveHint: false, idempotentHint: false },
  think: { title: 'Think', ...READ },
  // Hands the conversation to a human and ends the episode; it changes nothing in the database.
  transfer_to_human_agents: { title: 'Transfer to a human agent', ...READ },
  update_reservation_baggages: { title: 'Update reservation baggage', readOnlyHint: false, destructiveHint: true, idempotentHint: true },
  update_reservation_flights: { title: 'Update reservation flights', readOnlyHint: false, destructiveHint: true, idempotentHint: true },
  update_reservation_passengers: { title: 'Update reservation passengers', readOnlyHint: false, destructiveHint: true, idempotentHint: true },
};

function definition(schema: AirlineToolSchema): AirlineToolDefinition {
  const name = schema.name as AirlineToolName;
  const implementation = AIRLINE_TOOL_IMPLEMENTATIONS[name];
  if (implementation === undefined) throw new Error(`no implementation for the airline tool ${schema.name}`);
  const annotations = { openWorldHint: false, ...ANNOTATIONS[name] };
  return {
    name,
    description: schema.description,
    inputSchema: schema.parameters,
    annotations,
    effect: annotations.readOnlyHint ? 'read' : 'write',
    argumentsSchema: z.fromJSONSchema({ ...schema.parameters, additionalProperties: false } as Parameters<typeof z.fromJSONSchema>[0]) as z.ZodType<Record<string, unknown>>,
    implementation,
  };
}

export const AIRLINE_TOOLS: readonly AirlineToolDefinition[] = AIRLINE_TOOL_SCHEMAS.map(definition);

const BY_NAME = new Map<string, AirlineToolDefinition>(AIRLINE_TOOLS.map((tool) => [tool.name, tool]));

export function findAirlineTool(name: string): AirlineToolDefinition | undefined {
  return BY_NAME.get(name);
}

/** The six tools that change the database (five on reservations, one that pays out). */
export const AIRLINE_WRITE_TOOL_NAMES: readonly AirlineToolName[] = AIRLINE_TOOLS.filter((tool) => tool.effect === 'write').map((tool) => tool.name);

/** τ-bench's `terminate_tools`: calling one ends the episode. */
export const AIRLINE_TERMINATE_TOOL_NAMES: readonly AirlineToolName[] = ['transfer_to_human_agents'];
