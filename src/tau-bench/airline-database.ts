/**
 * One episode's view of the airline database: the shared, never-changed data that was loaded,
 * plus the records this episode changed or added. τ-bench loads the whole database afresh for
 * every episode; a copy per record on first write gives the same isolation without copying
 * 5 MB per episode, so a server can hold many episodes at once.
 *
 * Python dict order is kept: a changed record stays where it was, an added one goes last.
 */
import { CountersignError } from '../core/errors.js';
import type { PythonDict, PythonValue } from './python-value.js';
import { deepCopy, isPythonDict } from './python-value.js';

/** The airline data as loaded (`db/flights.json`, `reservations.json`, `users.json`); never written. */
export interface AirlineData {
  readonly flights: PythonDict;
  readonly reservations: PythonDict;
  readonly users: PythonDict;
}

export const AIRLINE_TABLES = ['flights', 'reservations', 'users'] as const;
export type AirlineTableName = (typeof AIRLINE_TABLES)[number];

function asRecord(value: PythonValue | undefined, table: string, id: string): PythonDict {
  if (!isPythonDict(value)) throw new CountersignError('tau.data', `${table}[${id}] is not an object`);
  return value;
}

/** One table (`data["users"]` in τ-bench) as this episode sees it. */
export class AirlineTable {
  readonly name: AirlineTableName;
  private readonly base: PythonDict;
  /** Records changed or added by this episode, by id. */
  private readonly own = new Map<string, PythonDict>();
  /** Ids added by this episode, in the order they were added. */
  private readonly added: string[] = [];

  constructor(name: AirlineTableName, base: PythonDict) {
    this.name = name;
    this.base = base;
  }

  /** `id in table`. */
  has(id: string): boolean {
    return this.own.has(id) || this.base.has(id);
  }

  /** `table[id]` to read. Never change what this returns: use `getForUpdate`. */
  get(id: string): PythonDict | undefined {
    const own = this.own.get(id);
    if (own !== undefined) return own;
    return this.base.has(id) ? asRecord(this.base.get(id), this.name, id) : undefined;
  }

  /** `table[id]` to change: this episode's own copy of the record. */
  getForUpdate(id: string): PythonDict | undefined {
    const own = this.own.get(id);
    if (own !== undefined) return own;
    if (!this.base.has(id)) return undefined;
    const copy = deepCopy(asRecord(this.base.get(id), this.name, id));
    this.own.set(id, copy);
    return copy;
  }

  /** `table[id] = record`. */
  set(id: string, record: PythonDict): void {
    if (!this.has(id)) this.added.push(id);
    this.own.set(id, record);
  }

  /** The ids in Python dict order. */
  *keys(): IterableIterator<string> {
    yield* this.base.keys();
    yield* this.added;
  }

  /** `table.values()` to read, in Python dict order. */
  *values(): IterableIterator<PythonDict> {
    for (const id of this.keys()) {
      const record = this.get(id);
      if (record !== undefined) yield record;
    }
  }

  /** Ids whose record this episode changed or added. */
  changedIds(): string[] {
    return [...this.own.keys()];
  }

  /** Whether `id` still has the record as loaded (its text form can be cached). */
  isShared(id: string): boolean {
    return !this.own.has(id);
  }
}

export interface AirlineDatabase {
  readonly flights: AirlineTable;
  readonly reservations: AirlineTable;
  readonly users: AirlineTable;
}

/** A fresh database for one episode, as τ-bench's `load_data()` gives each episode. */
export function createAirlineDatabase(data: AirlineData): AirlineDatabase {
  return {
    flights: new AirlineTable('flights', data.flights),
    reservations: new AirlineTable('reservations', data.reservations),
    users: new AirlineTable('users', data.users),
  };
}

/** The whole state as one Python dict (`{"flights": ..., "reservations": ..., "users": ...}`), copied. */
export function materializeAirlineDatabase(database: AirlineDatabase): PythonDict {
  const state: PythonDict = new Map();
  for (const name of AIRLINE_TABLES) {
    const table: PythonDict = new Map();
    for (const id of database[name].keys()) table.set(id, deepCopy(database[name].get(id) ?? null));
    state.set(name, table);
  }
  return state;
}
