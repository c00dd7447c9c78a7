/**
 * Loads τ-bench's airline database from a directory: `flights.json`, `reservations.json` and
 * `users.json`, either in the directory itself (τ-bench's `tau_bench/envs/airline/data/`) or in
 * its `db/` folder. Files are read as Python's `json.load` reads them (python-value.ts) and
 * their shape is checked, so a wrong directory fails at start with a clear error.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { CountersignError } from '../core/errors.js';
import type { AirlineData, AirlineTableName } from './airline-database.js';
import { AIRLINE_TABLES } from './airline-database.js';
import type { PythonDict } from './python-value.js';
import { isPythonDict, parsePythonJson, toJsonValue } from './python-value.js';

/** The environment variable naming the data directory when no `--data` is given. */
export const AIRLINE_DATA_ENVIRONMENT_VARIABLE = 'TAU_AIRLINE_DATA';

// The fields the tools read; anything else in a record is kept as it is.
const Flight = z.looseObject({
  flight_number: z.string(),
  origin: z.string(),
  destination: z.string(),
  scheduled_departure_time_est: z.string(),
  scheduled_arrival_time_est: z.string(),
  dates: z.record(z.string(), z.looseObject({ status: z.string() })),
});
const Reservation = z.looseObject({
  reservation_id: z.string(),
  user_id: z.string(),
  cabin: z.string(),
  flights: z.array(z.looseObject({ flight_number: z.string(), date: z.string(), price: z.number() })),
  passengers: z.array(z.looseObject({})),
  payment_history: z.array(z.looseObject({ payment_id: z.string(), amount: z.number() })),
  nonfree_baggages: z.number(),
});
const User = z.looseObject({
  payment_methods: z.record(z.string(), z.looseObject({ source: z.string() })),
  reservations: z.array(z.string()),
});
const TABLE_SCHEMAS: Record<AirlineTableName, z.ZodType> = {
  flights: z.record(z.string(), Flight),
  reservations: z.record(z.string(), Reservation),
  users: z.record(z.string(), User),
};

/** The directory holding the three files: `directory` itself or its `db/` folder. */
export function resolveAirlineDatabaseDirectory(directory: string): string {
  const nested = path.join(directory, 'db');
  return existsSync(path.join(nested, 'flights.json')) ? nested : directory;
}

/** The data directory from an option, else from `TAU_AIRLINE_DATA`; an error when neither is set. */
export function airlineDataDirectoryFrom(option: string | undefined, environment: NodeJS.ProcessEnv = process.env): string {
  const directory = option ?? environment[AIRLINE_DATA_ENVIRONMENT_VARIABLE];
  if (directory === undefined || directory.trim() === '') {
    throw new CountersignError('tau.data', `no airline data directory: pass --data DIR or set ${AIRLINE_DATA_ENVIRONMENT_VARIABLE} (a directory with flights.json, reservations.json and users.json, or with db/ holding them)`);
  }
  return directory;
}

async function loadTable(directory: string, name: AirlineTableName): Promise<PythonDict> {
  const file = path.join(directory, `${name}.json`);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new CountersignError('tau.data', `cannot read ${file}: ${(error as Error).message}`, { cause: error });
  }
  const table = parsePythonJson(text);
  const checked = TABLE_SCHEMAS[name].safeParse(toJsonValue(table));
  if (!checked.success || !isPythonDict(table)) {
    throw new CountersignError('tau.data', `${file} is not τ-bench's airline ${name} table: ${checked.success ? 'not an object' : z.prettifyError(checked.error).split('\n').slice(0, 4).join(' ')}`);
  }
  return table;
}

/** Reads the airline database of `directory` (see resolveAirlineDatabaseDirectory). */
export async function loadAirlineData(directory: string): Promise<AirlineData> {
  const databaseDirectory = resolveAirlineDatabaseDirectory(directory);
  const [flights, reservations, users] = await Promise.all(AIRLINE_TABLES.map((name) => loadTable(databaseDirectory, name)));
  return { flights: flights as PythonDict, reservations: reservations as PythonDict, users: users as PythonDict };
}
