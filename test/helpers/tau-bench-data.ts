/**
 * τ-bench's airline data, read from `../shared/data/tau-bench-airline` relative to the project
 * root (it is not copied into the project). Outside CI, tests that need it are skipped when it
 * is absent; in CI (`CI` set) they run and fail.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export const TAU_DATA_DIRECTORY = path.resolve(root, '../shared/data/tau-bench-airline');
export const TAU_TRAJECTORIES_FILE = path.join(TAU_DATA_DIRECTORY, 'gpt-4o-airline-trajectories.json');

const available = existsSync(path.join(TAU_DATA_DIRECTORY, 'db', 'flights.json'));

/** `describe`, or `describe.skip` when the data is absent outside CI. */
export function describeWithTauData(name: string, body: () => void): void {
  if (available || process.env.CI !== undefined) describe(name, body);
  else describe.skip(name, body);
}
