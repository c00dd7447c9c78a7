/**
 * The reward's database hash, as τ-bench computes it: `sha256(str(to_hashable(data)))`, where
 * `to_hashable` turns every dict into the tuple of its `(key, value)` pairs sorted by key and
 * every list into a tuple. The text is Python's `str` of that tuple, reproduced byte for byte
 * (python-format.ts), so the hex digest is the very one τ-bench records as `gt_data_hash`.
 *
 * Two states hash alike exactly when τ-bench would call them equal, including its quirks: an
 * int and the equal float differ (`100` vs `100.0`), list order matters, dict order does not.
 * The text of a record still as loaded is cached, so hashing an episode costs the changed
 * records plus one pass of SHA-256 over ~5 MB.
 */
import { createHash, type Hash } from 'node:crypto';
import type { AirlineDatabase, AirlineTable } from './airline-database.js';
import { AIRLINE_TABLES } from './airline-database.js';
import { pythonHashableRepr, pythonStringRepr } from './python-format.js';
import type { PythonDict } from './python-value.js';
import { compareCodePoints } from './python-value.js';

const sharedPieces = new WeakMap<PythonDict, string>();

/** `repr((id, to_hashable(record)))`. */
function recordPiece(table: AirlineTable, id: string): string {
  const record = table.get(id);
  if (record === undefined) return '';
  const shared = table.isShared(id);
  if (shared) {
    const cached = sharedPieces.get(record);
    if (cached !== undefined) return cached;
  }
  const piece = `(${pythonStringRepr(id)}, ${pythonHashableRepr(record)})`;
  if (shared) sharedPieces.set(record, piece);
  return piece;
}

/** Writes `repr(tuple)` of the table's sorted pairs into the hash (the tuple rules of python-format). */
function updateTable(hash: Hash, table: AirlineTable): void {
  const ids = [...table.keys()].sort(compareCodePoints);
  hash.update('(');
  ids.forEach((id, index) => {
    if (index > 0) hash.update(', ');
    hash.update(recordPiece(table, id), 'utf8');
  });
  hash.update(ids.length === 1 ? ',)' : ')');
}

/** The hex SHA-256 of the whole database state, equal to τ-bench's `get_data_hash()`. */
export function hashAirlineDatabase(database: AirlineDatabase): string {
  const hash = createHash('sha256');
  // The three table names are already in sorted order.
  hash.update('(');
  AIRLINE_TABLES.forEach((name, index) => {
    if (index > 0) hash.update(', ');
    hash.update(`(${pythonStringRepr(name)}, `);
    updateTable(hash, database[name]);
    hash.update(')');
  });
  hash.update(')');
  return hash.digest('hex');
}
