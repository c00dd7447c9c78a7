/**
 * Files some tests read that are not part of the project and are not copied into it: τ-bench's
 * airline data and the MCP server of the tools acceptance run, from the folder beside the
 * project (`../shared`, which CI provides). The tests that read them live in `test/external/`;
 * vitest.config.ts leaves that folder out, and says so, when the files are absent outside CI. In
 * CI (`CI` set) those tests always run, and fail without the files.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const beside = path.resolve(root, '../shared');

export const TAU_DATA_DIRECTORY = path.join(beside, 'data/tau-bench-airline');
export const TAU_TRAJECTORIES_FILE = path.join(TAU_DATA_DIRECTORY, 'gpt-4o-airline-trajectories.json');
export const ACCEPTANCE_LEDGER_SERVER = path.join(beside, 'acceptance/ledger-mcp-server.mjs');

/** Where they were looked for, for the message that says they are absent. */
export const EXTERNAL_FILES_DIRECTORY = beside;

/** Whether the tests of test/external/ run here: their files are there, or this is CI (where they must be). */
export function externalFilesExpected(): boolean {
  const present = existsSync(path.join(TAU_DATA_DIRECTORY, 'db', 'flights.json')) && existsSync(ACCEPTANCE_LEDGER_SERVER);
  return present || process.env.CI !== undefined;
}
