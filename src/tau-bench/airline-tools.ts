/**
 * The 14 airline tools, each a line-by-line port of `tau_bench/envs/airline/tools/*.py`
 * (sierra-research/tau-bench, MIT). What they return must be τ-bench's text byte for byte, so
 * they keep its behaviour where it looks wrong, and say so:
 *
 * - `get_reservation_details` answers an unknown reservation with "Error: user not found".
 * - `update_reservation_flights` never stores the new cabin, and never changes seat counts
 *   (neither does `book_reservation` or `cancel_reservation`).
 * - `search_onestop_flight` writes the next day as `2024-05-{day + 1}` without a leading zero
 *   (so an overnight connection from May 1-8 is never found) and shows the second flight's
 *   seats and prices for the first flight's date.
 * - `book_reservation` takes HATHAT, then HATHAU, then HATHAV as the new reservation id and
 *   overwrites HATHAV after that; a certificate listed twice in one payment is deleted by the
 *   first entry and the second raises `KeyError` after the first was spent.
 * - `cancel_reservation` appends a refund of every payment, earlier refunds included, each time
 *   it runs; a cancelled reservation can be cancelled again.
 *
 * A tool reads records with `table.get` and takes its own copy with `table.getForUpdate`
 * before it changes one (airline-database.ts). Python exceptions are thrown as `PythonError`
 * with Python's message; the environment turns them into `Error: {message}` as `Env.step` does.
 */
import type { AirlineDatabase } from './airline-database.js';
import { calculateLikePython } from './python-calculate.js';
import { PythonError } from './python-error.js';
import { pythonJsonDumps, pythonRepr, pythonStr } from './python-format.js';
import type { PythonNumber } from './python-numbers.js';
import { pythonAdd, pythonLess, pythonMaxZero, pythonMultiply, pythonNegate, pythonNumbersEqual, pythonSubtract, pythonSum } from './python-numbers.js';
import type { PythonDict, PythonValue } from './python-value.js';
import { compareCodePoints, deepCopy, isPythonDict } from './python-value.js';

export type AirlineToolName =
  | 'book_reservation'
  | 'calculate'
  | 'cancel_reservation'
  | 'get_reservation_details'
  | 'get_user_details'
  | 'list_all_airports'
  | 'search_direct_flight'
  | 'search_onestop_flight'
  | 'send_certificate'
  | 'think'
  | 'transfer_to_human_agents'
  | 'update_reservation_baggages'
  | 'update_reservation_flights'
  | 'update_reservation_passengers';

/** A tool body: the episode's database and the validated keyword arguments, to τ-bench's output text. */
export type AirlineToolImplementation = (database: AirlineDatabase, kwargs: PythonDict) => string;

/** `value[key]`, raising Python's `KeyError` (whose text is the key's repr). */
function item(value: PythonValue | undefined, key: string): PythonValue {
  if (!isPythonDict(value)) throw new PythonError('TypeError', `'${pythonTypeName(value ?? null)}' object is not subscriptable`);
  if (!value.has(key)) throw new PythonError('KeyError', pythonRepr(key));
  return value.get(key) ?? null;
}

function dict(value: PythonValue | undefined, key: string): PythonDict {
  const found = item(value, key);
  if (!isPythonDict(found)) throw new PythonError('TypeError', `'${pythonTypeName(found)}' object is not subscriptable`);
  return found;
}

function list(value: PythonValue): PythonValue[] {
  if (!Array.isArray(value)) throw new PythonError('TypeError', `'${pythonTypeName(value)}' object is not iterable`);
  return value;
}

function dicts(value: PythonValue): PythonDict[] {
  return list(value).map((entry) => {
    if (!isPythonDict(entry)) throw new PythonError('TypeError', `'${pythonTypeName(entry)}' object is not subscriptable`);
    return entry;
  });
}

function pythonTypeName(value: PythonValue): string {
  if (value === null) return 'NoneType';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'bigint') return 'int';
  if (typeof value === 'number') return 'float';
  if (typeof value === 'string') return 'str';
  return Array.isArray(value) ? 'list' : 'dict';
}

/** `key in dict` for a key the model sent (a string after validation). */
function contains(container: PythonDict, key: PythonValue): boolean {
  return typeof key === 'string' && container.has(key);
}

/** Python `==` on JSON-shaped values: `1 == 1.0 == True`, dicts by content in any order. */
export function pythonEquals(left: PythonValue, right: PythonValue): boolean {
  const numeric = (value: PythonValue) => typeof value === 'bigint' || typeof value === 'number' || typeof value === 'boolean';
  if (numeric(left) && numeric(right)) return pythonNumbersEqual(left, right);
  if (Array.isArray(left) && Array.isArray(right)) return left.length === right.length && left.every((entry, index) => pythonEquals(entry, right[index] ?? null));
  if (isPythonDict(left) && isPythonDict(right)) {
    if (left.size !== right.size) return false;
    for (const [key, value] of left) if (!right.has(key) || !pythonEquals(value, right.get(key) ?? null)) return false;
    return true;
  }
  return left === right;
}

const length = (value: PythonValue): bigint => BigInt(list(value).length);
const argument = (kwargs: PythonDict, name: string): PythonValue => kwargs.get(name) ?? null;

/** `int(text)` in base 10, as Python parses it (whitespace, one sign, digits with single underscores). */
function pythonInt(text: string): bigint {
  const stripped = text.trim();
  if (/^[-+]?\d+(?:_\d+)*$/.test(stripped)) return BigInt(stripped.replaceAll('_', ''));
  throw new PythonError('ValueError', `invalid literal for int() with base 10: ${pythonRepr(text)}`);
}

/** Python's `text[-2:]` (code points, not UTF-16 units). */
function lastTwo(text: string): string {
  return Array.from(text).slice(-2).join('');
}

function bookReservation(database: AirlineDatabase, kwargs: PythonDict): string {
  const userId = argument(kwargs, 'user_id');
  const cabin = argument(kwargs, 'cabin');
  const passengers = argument(kwargs, 'passengers');
  const paymentMethods = argument(kwargs, 'payment_methods');
  const insurance = argument(kwargs, 'insurance');
  const nonfreeBaggages = argument(kwargs, 'nonfree_baggages');
  if (typeof userId !== 'string' || !database.users.has(userId)) return 'Error: user not found';
  const user = database.users.get(userId) as PythonDict;

  // assume each task makes at most 3 reservations
  let reservationId = 'HATHAT';
  if (database.reservations.has(reservationId)) {
    reservationId = 'HATHAU';
    if (database.reservations.has(reservationId)) reservationId = 'HATHAV';
  }

  const reservation: PythonDict = new Map<string, PythonValue>([
    ['reservation_id', reservationId],
    ['user_id', userId],
    ['origin', argument(kwargs, 'origin')],
    ['destination', argument(kwargs, 'destination')],
    ['flight_type', argument(kwargs, 'flight_type')],
    ['cabin', cabin],
    ['flights', deepCopy(argument(kwargs, 'flights'))],
    ['passengers', passengers],
    ['payment_history', paymentMethods],
    ['created_at', '2024-05-15T15:00:00'],
    ['total_baggages', argument(kwargs, 'total_baggages')],
    ['nonfree_baggages', nonfreeBaggages],
    ['insurance', insurance],
  ]);

  let totalPrice: PythonNumber = 0n;
  for (const flight of dicts(reservation.get('flights') ?? null)) {
    const flightNumber = item(flight, 'flight_number');
    if (typeof flightNumber !== 'string' || !database.flights.has(flightNumber)) return `Error: flight ${pythonStr(flightNumber)} not found`;
    const flightData = database.flights.get(flightNumber) as PythonDict;
    const date = item(flight, 'date');
    if (!contains(dict(flightData, 'dates'), date)) return `Error: flight ${flightNumber} not found on date ${pythonStr(date)}`;
    const flightDateData = dict(dict(flightData, 'dates'), date as string);
    if (item(flightDateData, 'status') !== 'available') return `Error: flight ${flightNumber} not available on date ${pythonStr(date)}`;
    if (pythonLess(item(dict(flightDateData, 'available_seats'), cabin as string), length(passengers))) return `Error: not enough seats on flight ${flightNumber}`;
    flight.set('price', item(dict(flightDateData, 'prices'), cabin as string));
    flight.set('origin', item(flightData, 'origin'));
    flight.set('destination', item(flightData, 'destination'));
    totalPrice = pythonAdd(totalPrice, pythonMultiply(flight.get('price') ?? null, length(passengers)));
  }

  if (insurance === 'yes') totalPrice = pythonAdd(totalPrice, pythonMultiply(30n, length(passengers)));
  totalPrice = pythonAdd(totalPrice, pythonMultiply(50n, nonfreeBaggages));

  const payments = dicts(paymentMethods);
  for (const paymentMethod of payments) {
    const paymentId = item(paymentMethod, 'payment_id');
    const amount = item(paymentMethod, 'amount');
    if (!contains(dict(user, 'payment_methods'), paymentId)) return `Error: payment method ${pythonStr(paymentId)} not found`;
    const method = dict(dict(user, 'payment_methods'), paymentId as string);
    const source = item(method, 'source');
    if (source === 'gift_card' || source === 'certificate') {
      if (pythonLess(item(method, 'amount'), amount)) return `Error: not enough balance in payment method ${pythonStr(paymentId)}`;
    }
  }
  const paid = pythonSum(payments.map((payment) => item(payment, 'amount')));
  if (!pythonNumbersEqual(paid, totalPrice)) {
    return `Error: payment amount does not add up, total price is ${pythonStr(totalPrice)}, but paid ${pythonStr(pythonSum(payments.map((payment) => item(payment, 'amount'))))}`;
  }

  // if checks pass, deduct payment and update seats
  const userForUpdate = database.users.getForUpdate(userId) as PythonDict;
  for (const paymentMethod of payments) {
    const paymentId = item(paymentMethod, 'payment_id') as string;
    const amount = item(paymentMethod, 'amount');
    const methods = dict(userForUpdate, 'payment_methods');
    const source = item(dict(methods, paymentId), 'source');
    if (source === 'gift_card') {
      const method = dict(methods, paymentId);
      method.set('amount', pythonSubtract(item(method, 'amount'), amount));
    } else if (source === 'certificate') {
      methods.delete(paymentId);
    }
  }

  database.reservations.set(reservationId, reservation);
  list(item(userForUpdate, 'reservations')).push(reservationId);
  return pythonJsonDumps(reservation);
}

function cancelReservation(database: AirlineDatabase, kwargs: PythonDict): string {
  const reservationId = argument(kwargs, 'reservation_id');
  if (typeof reservationId !== 'string' || !database.reservations.has(reservationId)) return 'Error: reservation not found';
  const reservation = database.reservations.getForUpdate(reservationId) as PythonDict;

  // reverse the payment
  const history = list(item(reservation, 'payment_history'));
  const refunds: PythonValue[] = dicts(history).map(
    (payment) =>
      new Map<string, PythonValue>([
        ['payment_id', item(payment, 'payment_id')],
        ['amount', pythonNegate(item(payment, 'amount'))],
      ]),
  );
  history.push(...refunds);
  reservation.set('status', 'cancelled');
  return pythonJsonDumps(reservation);
}

function getReservationDetails(database: AirlineDatabase, kwargs: PythonDict): string {
  const reservationId = argument(kwargs, 'reservation_id');
  if (typeof reservationId === 'string' && database.reservations.has(reservationId)) return pythonJsonDumps(database.reservations.get(reservationId) ?? null);
  // sic: τ-bench says "user" here.
  return 'Error: user not found';
}

function getUserDetails(database: AirlineDatabase, kwargs: PythonDict): string {
  const userId = argument(kwargs, 'user_id');
  if (typeof userId === 'string' && database.users.has(userId)) return pythonJsonDumps(database.users.get(userId) ?? null);
  return 'Error: user not found';
}

const AIRPORTS: readonly (readonly [string, string])[] = [
  ['SFO', 'San Francisco'],
  ['JFK', 'New York'],
  ['LAX', 'Los Angeles'],
  ['ORD', 'Chicago'],
  ['DFW', 'Dallas'],
  ['DEN', 'Denver'],
  ['SEA', 'Seattle'],
  ['ATL', 'Atlanta'],
  ['MIA', 'Miami'],
  ['BOS', 'Boston'],
  ['PHX', 'Phoenix'],
  ['IAH', 'Houston'],
  ['LAS', 'Las Vegas'],
  ['MCO', 'Orlando'],
  ['EWR', 'Newark'],
  ['CLT', 'Charlotte'],
  ['MSP', 'Minneapolis'],
  ['DTW', 'Detroit'],
  ['PHL', 'Philadelphia'],
  ['LGA', 'LaGuardia'],
];

function listAllAirports(): string {
  return pythonJsonDumps(new Map<string, PythonValue>(AIRPORTS.map(([code, city]) => [code, city])));
}

/** `{k: v for k, v in flight.items() if k != "dates"}` then `.update(flight["dates"][date])`. */
function flightOnDate(flight: PythonDict, dateData: PythonDict): PythonDict {
  const result: PythonDict = new Map();
  for (const [key, value] of flight) if (key !== 'dates') result.set(key, value);
  for (const [key, value] of dateData) result.set(key, value);
  return result;
}

function searchDirectFlight(database: AirlineDatabase, kwargs: PythonDict): string {
  const origin = argument(kwargs, 'origin');
  const destination = argument(kwargs, 'destination');
  const date = argument(kwargs, 'date');
  const results: PythonValue[] = [];
  for (const flight of database.flights.values()) {
    if (pythonEquals(item(flight, 'origin'), origin) && pythonEquals(item(flight, 'destination'), destination)) {
      const dates = dict(flight, 'dates');
      if (contains(dates, date) && item(dict(dates, date as string), 'status') === 'available') {
        // results add flight except dates, but add flight["datas"][date]
        results.push(flightOnDate(flight, dict(dates, date as string)));
      }
    }
  }
  return pythonJsonDumps(results);
}

function searchOnestopFlight(database: AirlineDatabase, kwargs: PythonDict): string {
  const origin = argument(kwargs, 'origin');
  const destination = argument(kwargs, 'destination');
  const date = argument(kwargs, 'date');
  const results: PythonValue[] = [];
  for (const flight1 of database.flights.values()) {
    if (!pythonEquals(item(flight1, 'origin'), origin)) continue;
    for (const flight2 of database.flights.values()) {
      if (!(pythonEquals(item(flight2, 'destination'), destination) && pythonEquals(item(flight1, 'destination'), item(flight2, 'origin')))) continue;
      const arrival = item(flight1, 'scheduled_arrival_time_est');
      const date2 = String(arrival).includes('+1') ? `2024-05-${pythonInt(lastTwo(String(date))) + 1n}` : date;
      if (compareCodePoints(String(arrival), String(item(flight2, 'scheduled_departure_time_est'))) > 0) continue;
      const dates1 = dict(flight1, 'dates');
      const dates2 = dict(flight2, 'dates');
      if (contains(dates1, date) && contains(dates2, date2)) {
        if (item(dict(dates1, date as string), 'status') === 'available' && item(dict(dates2, date2 as string), 'status') === 'available') {
          const result1 = flightOnDate(flight1, dict(dates1, date as string));
          result1.set('date', date);
          // sic: τ-bench takes flight2's data for `date`, not `date2`.
          const result2 = flightOnDate(flight2, dict(dates2, date as string));
          result2.set('date', date2);
          results.push([result1, result2]);
        }
      }
    }
  }
  return pythonJsonDumps(results);
}

/** Thrown where τ-bench's tool returns `None`, which its `Env.step` cannot turn into an observation. */
export class AirlineToolNoResult extends Error {}

function sendCertificate(database: AirlineDatabase, kwargs: PythonDict): string {
  const userId = argument(kwargs, 'user_id');
  const amount = argument(kwargs, 'amount');
  if (typeof userId !== 'string' || !database.users.has(userId)) return 'Error: user not found';
  // add a certificate, assume at most 3 cases per task
  for (const id of [3221322, 3221323, 3221324]) {
    const paymentId = `certificate_${id}`;
    if (!dict(database.users.get(userId), 'payment_methods').has(paymentId)) {
      const user = database.users.getForUpdate(userId) as PythonDict;
      dict(user, 'payment_methods').set(
        paymentId,
        new Map<string, PythonValue>([
          ['source', 'certificate'],
          ['amount', amount],
          ['id', paymentId],
        ]),
      );
      return `Certificate ${paymentId} added to user ${userId} with amount ${pythonStr(amount)}.`;
    }
  }
  throw new AirlineToolNoResult('the user already holds the three certificates (certificate_3221322 to certificate_3221324) this environment can issue');
}

/**
 * The payment check `update_reservation_baggages` and `update_reservation_flights` share in
 * τ-bench: the method must be the user's, not a certificate, and a gift card must cover the price.
 * Answers τ-bench's error text, or undefined when the payment can go ahead.
 */
function updatePaymentError(database: AirlineDatabase, userId: string, paymentId: PythonValue, totalPrice: PythonNumber): string | undefined {
  const user = database.users.get(userId);
  if (user === undefined) throw new PythonError('KeyError', pythonRepr(userId));
  if (!contains(dict(user, 'payment_methods'), paymentId)) return 'Error: payment method not found';
  const method = dict(dict(user, 'payment_methods'), paymentId as string);
  const source = item(method, 'source');
  if (source === 'certificate') return 'Error: certificate cannot be used to update reservation';
  if (source === 'gift_card' && pythonLess(item(method, 'amount'), totalPrice)) return 'Error: gift card balance is not enough';
  return undefined;
}

/** Charges a checked update: a gift card's balance goes down, and a non-zero price is recorded in the reservation's payment history. */
function chargeUpdate(database: AirlineDatabase, charge: { userId: string; paymentId: string; totalPrice: PythonNumber; reservation: PythonDict }): void {
  const { userId, paymentId, totalPrice, reservation } = charge;
  if (item(dict(dict(database.users.get(userId), 'payment_methods'), paymentId), 'source') === 'gift_card') {
    const method = dict(dict(database.users.getForUpdate(userId), 'payment_methods'), paymentId);
    method.set('amount', pythonSubtract(item(method, 'amount'), totalPrice));
  }
  if (!pythonNumbersEqual(totalPrice, 0n)) {
    list(item(reservation, 'payment_history')).push(
      new Map<string, PythonValue>([
        ['payment_id', paymentId],
        ['amount', totalPrice],
      ]),
    );
  }
}

function updateReservationBaggages(database: AirlineDatabase, kwargs: PythonDict): string {
  const reservationId = argument(kwargs, 'reservation_id');
  const totalBaggages = argument(kwargs, 'total_baggages');
  const nonfreeBaggages = argument(kwargs, 'nonfree_baggages');
  const paymentId = argument(kwargs, 'payment_id');
  if (typeof reservationId !== 'string' || !database.reservations.has(reservationId)) return 'Error: reservation not found';
  const reservation = database.reservations.get(reservationId) as PythonDict;

  const totalPrice = pythonMultiply(50n, pythonMaxZero(pythonSubtract(nonfreeBaggages, item(reservation, 'nonfree_baggages'))));
  const userId = item(reservation, 'user_id') as string;
  const paymentError = updatePaymentError(database, userId, paymentId, totalPrice);
  if (paymentError !== undefined) return paymentError;

  const changed = database.reservations.getForUpdate(reservationId) as PythonDict;
  changed.set('total_baggages', totalBaggages);
  changed.set('nonfree_baggages', nonfreeBaggages);
  chargeUpdate(database, { userId, paymentId: paymentId as string, totalPrice, reservation: changed });
  return pythonJsonDumps(changed);
}

function updateReservationFlights(database: AirlineDatabase, kwargs: PythonDict): string {
  const reservationId = argument(kwargs, 'reservation_id');
  const cabin = argument(kwargs, 'cabin');
  const paymentId = argument(kwargs, 'payment_id');
  if (typeof reservationId !== 'string' || !database.reservations.has(reservationId)) return 'Error: reservation not found';
  const reservation = database.reservations.get(reservationId) as PythonDict;
  const passengerCount = length(item(reservation, 'passengers'));

  // update flights and calculate price
  let totalPrice: PythonNumber = 0n;
  const flights = dicts(deepCopy(argument(kwargs, 'flights')));
  for (const flight of flights) {
    // if existing flight, ignore
    const existing = dicts(item(reservation, 'flights')).filter(
      (kept) => pythonEquals(item(kept, 'flight_number'), item(flight, 'flight_number')) && pythonEquals(item(kept, 'date'), item(flight, 'date')) && pythonEquals(cabin, item(reservation, 'cabin')),
    );
    const first = existing[0];
    if (first !== undefined) {
      totalPrice = pythonAdd(totalPrice, pythonMultiply(item(first, 'price'), passengerCount));
      flight.set('price', item(first, 'price'));
      flight.set('origin', item(first, 'origin'));
      flight.set('destination', item(first, 'destination'));
      continue;
    }
    const flightNumber = item(flight, 'flight_number');
    if (typeof flightNumber !== 'string' || !database.flights.has(flightNumber)) return `Error: flight ${pythonStr(flightNumber)} not found`;
    const flightData = database.flights.get(flightNumber) as PythonDict;
    const date = item(flight, 'date');
    if (!contains(dict(flightData, 'dates'), date)) return `Error: flight ${flightNumber} not found on date ${pythonStr(date)}`;
    const flightDateData = dict(dict(flightData, 'dates'), date as string);
    if (item(flightDateData, 'status') !== 'available') return `Error: flight ${flightNumber} not available on date ${pythonStr(date)}`;
    if (pythonLess(item(dict(flightDateData, 'available_seats'), cabin as string), passengerCount)) return `Error: not enough seats on flight ${flightNumber}`;
    flight.set('price', item(dict(flightDateData, 'prices'), cabin as string));
    flight.set('origin', item(flightData, 'origin'));
    flight.set('destination', item(flightData, 'destination'));
    totalPrice = pythonAdd(totalPrice, pythonMultiply(flight.get('price') ?? null, passengerCount));
  }

  totalPrice = pythonSubtract(totalPrice, pythonMultiply(pythonSum(dicts(item(reservation, 'flights')).map((kept) => item(kept, 'price'))), passengerCount));

  // check payment
  const userId = item(reservation, 'user_id') as string;
  const paymentError = updatePaymentError(database, userId, paymentId, totalPrice);
  if (paymentError !== undefined) return paymentError;

  // if checks pass, deduct payment and update seats
  const changed = database.reservations.getForUpdate(reservationId) as PythonDict;
  changed.set('flights', flights);
  chargeUpdate(database, { userId, paymentId: paymentId as string, totalPrice, reservation: changed });
  // do not make flight database update here, assume it takes time to be updated
  return pythonJsonDumps(changed);
}

function updateReservationPassengers(database: AirlineDatabase, kwargs: PythonDict): string {
  const reservationId = argument(kwargs, 'reservation_id');
  const passengers = argument(kwargs, 'passengers');
  if (typeof reservationId !== 'string' || !database.reservations.has(reservationId)) return 'Error: reservation not found';
  const reservation = database.reservations.get(reservationId) as PythonDict;
  if (length(passengers) !== length(item(reservation, 'passengers'))) return 'Error: number of passengers does not match';
  const changed = database.reservations.getForUpdate(reservationId) as PythonDict;
  changed.set('passengers', passengers);
  return pythonJsonDumps(changed);
}

export const AIRLINE_TOOL_IMPLEMENTATIONS: Readonly<Record<AirlineToolName, AirlineToolImplementation>> = {
  book_reservation: bookReservation,
  calculate: (_database, kwargs) => calculateLikePython(String(argument(kwargs, 'expression'))),
  cancel_reservation: cancelReservation,
  get_reservation_details: getReservationDetails,
  get_user_details: getUserDetails,
  list_all_airports: listAllAirports,
  search_direct_flight: searchDirectFlight,
  search_onestop_flight: searchOnestopFlight,
  send_certificate: sendCertificate,
  think: () => '',
  transfer_to_human_agents: () => 'Transfer successful',
  update_reservation_baggages: updateReservationBaggages,
  update_reservation_flights: updateReservationFlights,
  update_reservation_passengers: updateReservationPassengers,
};
