/**
 * The airline MCP server as a program:
 *
 *   node dist/src/tau-bench/airline-server-main.js --data DIR            (stdio, one episode)
 *   node dist/src/tau-bench/airline-server-main.js --data DIR --http 7010 (Streamable HTTP)
 *
 * DIR holds τ-bench's flights.json, reservations.json and users.json (or a db/ folder with
 * them); without --data, TAU_AIRLINE_DATA names it. Messages go to stderr: stdout is the
 * stdio transport's.
 */
import { Command, InvalidArgumentError } from 'commander';
import { describeError } from '../core/errors.js';
import { airlineDataDirectoryFrom } from './airline-data.js';
import { startAirlineServer } from './airline-mcp-server.js';

function port(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0 || parsed > 65_535) throw new InvalidArgumentError('a port number (0-65535)');
  return parsed;
}

function positiveInteger(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new InvalidArgumentError('a positive integer');
  return parsed;
}

const program = new Command()
  .name('tau-airline-server')
  .description("τ-bench's airline environment as an MCP server")
  .option('--data <dir>', 'the airline data directory (default: $TAU_AIRLINE_DATA)')
  .option('--http <port>', 'serve Streamable HTTP on this port instead of stdio', port)
  .option('--host <host>', 'the HTTP interface', '127.0.0.1')
  .option('--max-episodes <n>', 'episodes kept in memory (HTTP)', positiveInteger, 1000)
  .action(async (options: { data?: string; http?: number; host: string; maxEpisodes: number }) => {
    const dataDirectory = airlineDataDirectoryFrom(options.data);
    const server = await startAirlineServer(
      options.http === undefined ? { dataDirectory, transport: 'stdio' } : { dataDirectory, transport: 'http', port: options.http, host: options.host, maxEpisodes: options.maxEpisodes },
    );
    if (server.url !== null) process.stderr.write(`τ-bench airline MCP server: ${server.url} (an episode per session), episodes by name at /episodes/{id}/mcp\n`);
    const stop = () => {
      server.close().finally(() => process.exit(0));
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    if (server.url === null) process.stdin.once('end', stop);
  });

program.parseAsync().catch((error: unknown) => {
  process.stderr.write(`tau-airline-server: ${describeError(error)}\n`);
  process.exit(1);
});
