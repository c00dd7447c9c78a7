/**
 * The airline MCP server through the real MCP SDK client, over Streamable HTTP (in process)
 * and stdio (the server program in a child process). Reads τ-bench's data from
 * ../shared/data/tau-bench-airline.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AirlineServer } from '../../src/tau-bench/airline-mcp-server.js';
import { IDEMPOTENCY_KEY_META, POLICY_RESOURCE_URI, REPLAYED_META, startAirlineServer } from '../../src/tau-bench/airline-mcp-server.js';
import {TAU_DATA_DIRECTORY } from '../helpers/external-files.js';

const text = (result: unknown) => ((result as CallToolResult).content[0] as { text: string }).text;

async function connect(url: string): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const client = new Client({ name: 'tau-bench-test', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(url));
  await client.connect(transport);
  return { client, transport };
}

describe('τ-bench airline MCP server', () => {
  let server: AirlineServer;
  const clients: Client[] = [];

  beforeAll(async () => {
    server = await startAirlineServer({ dataDirectory: TAU_DATA_DIRECTORY, transport: 'http' });
  });

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await server?.close();
  });

  async function session(url = server.url ?? '') {
    const connection = await connect(url);
    clients.push(connection.client);
    return connection;
  }

  it('lists the 14 tools with τ-bench descriptions, schemas and truthful annotations', async () => {
    const { client } = await session();
    const { tools } = await client.listTools();
    const recorded = JSON.parse(readFileSync(path.join(TAU_DATA_DIRECTORY, 'tools.json'), 'utf8')) as { function: { name: string; description: string; parameters: unknown } }[];
    expect(tools.map((tool) => ({ name: tool.name, description: tool.description, parameters: tool.inputSchema }))).toEqual(recorded.map((tool) => tool.function));
    const byName = Object.fromEntries(tools.map((tool) => [tool.name, tool.annotations]));
    expect(byName.get_user_details).toMatchObject({ readOnlyHint: true, idempotentHint: true });
    expect(byName.cancel_reservation).toMatchObject({ readOnlyHint: false, idempotentHint: false, destructiveHint: true });
    expect(byName.book_reservation).toMatchObject({ readOnlyHint: false, idempotentHint: false });
    expect(byName.send_certificate).toMatchObject({ readOnlyHint: false, idempotentHint: false, destructiveHint: false });
    expect(byName.update_reservation_flights).toMatchObject({ readOnlyHint: false, idempotentHint: true });
    expect(byName.transfer_to_human_agents).toMatchObject({ readOnlyHint: true });
    const policy = await client.readResource({ uri: POLICY_RESOURCE_URI });
    expect((policy.contents[0] as { text: string }).text).toBe(readFileSync(path.join(TAU_DATA_DIRECTORY, 'policy.md'), 'utf8'));
  });

  it('gives each session its own episode, whose state the runner can read after', async () => {
    const first = await session();
    const second = await session();
    const cancelled = await first.client.callTool({ name: 'cancel_reservation', arguments: { reservation_id: '4WQ150' } });
    expect(cancelled.isError).toBe(false);
    expect(JSON.parse(text(cancelled)).status).toBe('cancelled');
    const seen = await second.client.callTool({ name: 'get_reservation_details', arguments: { reservation_id: '4WQ150' } });
    expect(JSON.parse(text(seen)).status).toBeUndefined();
    const episode = server.environment.episode(first.transport.sessionId ?? '');
    expect(episode?.calls.map((call) => call.name)).toEqual(['cancel_reservation']);
    expect(server.environment.episode(second.transport.sessionId ?? '')?.calls.map((call) => call.name)).toEqual(['get_reservation_details']);
  });

  it('returns the recorded result for a repeated idempotency key instead of running the call again', async () => {
    const { client, transport } = await session();
    const call = { name: 'cancel_reservation', arguments: { reservation_id: 'JMO1MG' }, _meta: { [IDEMPOTENCY_KEY_META]: 'turn-1/call-1' } };
    const first = await client.callTool(call);
    const second = await client.callTool(call);
    expect(text(second)).toBe(text(first));
    expect(second._meta?.[REPLAYED_META]).toBe(true);
    expect(JSON.parse(text(second)).payment_history).toHaveLength(JSON.parse(text(first)).payment_history.length);
    const episode = server.environment.episode(transport.sessionId ?? '');
    expect(episode?.calls.filter((record) => !record.result.replayed)).toHaveLength(1);
  });

  it('answers errors as tool errors and unknown tools as protocol errors, and keeps serving', async () => {
    const { client } = await session();
    const missing = await client.callTool({ name: 'get_user_details', arguments: { user_id: 'nobody_0000' } });
    expect(missing).toMatchObject({ isError: true, content: [{ type: 'text', text: 'Error: user not found' }] });
    const invalid = await client.callTool({ name: 'book_reservation', arguments: { user_id: 'mia_li_3668' } });
    expect(invalid.isError).toBe(true);
    expect(text(invalid)).toMatch(/^Error: invalid arguments for book_reservation: .*origin/);
    await expect(client.callTool({ name: 'drop_tables', arguments: {} })).rejects.toThrow(/Unknown tool: drop_tables/);
    const still = await client.callTool({ name: 'list_all_airports', arguments: {} });
    expect(JSON.parse(text(still)).SFO).toBe('San Francisco');
  });

  it('lets sessions share a named episode at /episodes/{id}/mcp', async () => {
    const url = (server.url ?? '').replace(/\/mcp$/, '/episodes/run-7/mcp');
    const first = await session(url);
    await first.client.callTool({ name: 'cancel_reservation', arguments: { reservation_id: '4WQ150' } });
    await first.client.close();
    const second = await session(url);
    const seen = await second.client.callTool({ name: 'get_reservation_details', arguments: { reservation_id: '4WQ150' } });
    expect(JSON.parse(text(seen)).status).toBe('cancelled');
    expect(server.environment.episode('run-7')?.calls).toHaveLength(2);
  });

  it('refuses a new session with 503 while every episode is in use', async () => {
    const small = await startAirlineServer({ data: server.environment.data, transport: 'http', maxEpisodes: 1 });
    try {
      const first = await connect(small.url ?? '');
      await expect(connect(small.url ?? '')).rejects.toThrow(/all 1 episodes are in use/);
      // Ending the first session (DELETE) leaves its episode unused, so it makes room.
      await first.transport.terminateSession();
      await first.client.close();
      const next = await connect(small.url ?? '');
      await next.client.close();
    } finally {
      await small.close();
    }
  });

  it('serves one episode over stdio from the server program', async () => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: ['--import', 'tsx', path.resolve('src/tau-bench/airline-server-main.ts'), '--data', TAU_DATA_DIRECTORY],
      stderr: 'pipe',
    });
    const client = new Client({ name: 'tau-bench-test', version: '1.0.0' });
    await client.connect(transport);
    clients.push(client);
    expect((await client.listTools()).tools).toHaveLength(14);
    const booked = await client.callTool({
      name: 'send_certificate',
      arguments: { user_id: 'mia_li_3668', amount: 150 },
      _meta: { [IDEMPOTENCY_KEY_META]: 'k' },
    });
    expect(text(booked)).toBe('Certificate certificate_3221322 added to user mia_li_3668 with amount 150.');
    const repeated = await client.callTool({ name: 'send_certificate', arguments: { user_id: 'mia_li_3668', amount: 150 }, _meta: { [IDEMPOTENCY_KEY_META]: 'k' } });
    expect(text(repeated)).toBe(text(booked));
    const another = await client.callTool({ name: 'send_certificate', arguments: { user_id: 'mia_li_3668', amount: 150 } });
    expect(text(another)).toBe('Certificate certificate_3221323 added to user mia_li_3668 with amount 150.');
  });
});
