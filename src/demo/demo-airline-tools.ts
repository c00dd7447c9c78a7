/**
 * The offline demo's airline tools: in-process tools (defineTool) over a few bookings kept in
 * memory, so the demo can show the critic countersigning actions, not only replies:
 *
 * - `get_reservation` (a read): a booking's facts, as JSON text;
 * - `cancel_reservation` (a write, not idempotent): cancels a booking; a second cancellation of
 *   the same booking fails, as a real booking system would;
 * - `issue_voucher` (a write, idempotent): issues a travel voucher, once per idempotency key.
 *
 * The policy the demo critic applies to these calls is here too (`cancellationRule`,
 * `voucherLimit`), next to the data it reads, after the airline policy of the public τ-bench
 * airline domain: any booking can be cancelled within 24 hours of purchase, business bookings
 * always, others only with travel insurance; a voucher for a delay is at most $50 per passenger.
 */
import { z } from 'zod';
import { defineTool, type InProcessTool } from '../tools/define-tool.js';

/** A voucher for a delayed flight is at most this much per passenger, in USD. */
export const VOUCHER_LIMIT_PER_PASSENGER = 50;

const HOUR_MS = 3_600_000;

/** One booking of the demo airline. */
export interface DemoBooking {
  reservationId: string;
  passenger: string;
  passengers: number;
  cabin: 'basic_economy' | 'economy' | 'business';
  travelInsurance: boolean;
  /** Milliseconds since the epoch. */
  bookedAt: number;
  flights: string;
  /** What was paid, in USD (refunded when the booking is cancelled). */
  price: number;
  /** Hours the first flight was delayed, if it was. */
  delayedHours?: number;
  status: 'confirmed' | 'cancelled';
}

/** A booking's facts as `get_reservation` gives them to the actor (and the critic reads them back). */
export interface BookingFacts {
  reservation_id: string;
  passenger: string;
  passenger_count: number;
  cabin: DemoBooking['cabin'];
  travel_insurance: boolean;
  booked_at: string;
  flights: string;
  price_usd: number;
  status: DemoBooking['status'];
  delayed_hours?: number;
}

/** The demo's bookings, relative to `now` so that "booked 9 days ago" stays true. */
export function demoBookings(now: number): DemoBooking[] {
  return [
    // Business: the policy always allows cancelling it (the critic approves).
    { reservationId: 'ZFA04Y', passenger: 'Mia Li', passengers: 1, cabin: 'business', travelInsurance: false, bookedAt: now - 9 * 24 * HOUR_MS, flights: 'SFO to JFK, HAT023, in 12 days', price: 1240, status: 'confirmed' },
    // Economy without insurance, booked long ago: the policy does not allow it (the critic escalates).
    { reservationId: 'EHGLP3', passenger: 'Omar Rossi', passengers: 1, cabin: 'economy', travelInsurance: false, bookedAt: now - 12 * 24 * HOUR_MS, flights: 'ORD to MIA, HAT112, in 5 days', price: 312, status: 'confirmed' },
    // Two passengers on a delayed flight: a voucher of at most $100 (the critic edits a larger one down).
    { reservationId: '4WQ150', passenger: 'Chen Johnson', passengers: 2, cabin: 'economy', travelInsurance: true, bookedAt: now - 30 * 24 * HOUR_MS, flights: 'BOS to SEA, HAT207, yesterday', price: 688, delayedHours: 6, status: 'confirmed' },
  ];
}

export function bookingFacts(booking: DemoBooking): BookingFacts {
  return {
    reservation_id: booking.reservationId,
    passenger: booking.passenger,
    passenger_count: booking.passengers,
    cabin: booking.cabin,
    travel_insurance: booking.travelInsurance,
    booked_at: new Date(booking.bookedAt).toISOString(),
    flights: booking.flights,
    price_usd: booking.price,
    status: booking.status,
    ...(booking.delayedHours ? { delayed_hours: booking.delayedHours } : {}),
  };
}

/** Whether the policy lets a booking be cancelled without a human, and why (in one sentence). */
export function cancellationRule(facts: BookingFacts, now: number): { allowed: boolean; reason: string } {
  if (facts.status === 'cancelled') return { allowed: false, reason: `Reservation ${facts.reservation_id} is already cancelled.` };
  const hours = (now - Date.parse(facts.booked_at)) / HOUR_MS;
  if (hours <= 24) return { allowed: true, reason: 'Booked within the last 24 hours: the policy allows cancelling any such booking.' };
  if (facts.cabin === 'business') return { allowed: true, reason: 'A business booking: the policy always allows cancelling it, and the user asked for it.' };
  if (facts.travel_insurance) return { allowed: true, reason: 'The booking has travel insurance, which covers a cancellation for the reason given.' };
  const cabin = facts.cabin.replace('_', ' ');
  return {
    allowed: false,
    reason: `An ${cabin} booking without travel insurance, booked ${Math.round(hours / 24)} days ago: the policy does not allow cancelling it, so only a human may make an exception.`,
  };
}

/** The largest voucher the policy allows for a booking, in USD. */
export const voucherLimit = (facts: Pick<BookingFacts, 'passenger_count'>): number => VOUCHER_LIMIT_PER_PASSENGER * Math.max(1, facts.passenger_count);

const reservationId = z.string().regex(/^[A-Z0-9]{6}$/, 'a reservation id is 6 capital letters and digits').describe('The reservation id, e.g. ZFA04Y');

/** A voucher the demo issued. */
export interface DemoVoucher {
  id: string;
  reservationId: string;
  amount: number;
  idempotencyKey: string;
}

export interface DemoAirline {
  tools: InProcessTool[];
  bookings: Map<string, DemoBooking>;
  vouchers: DemoVoucher[];
  /** How many times each tool's side effect ran (reads count too): for tests and the curious. */
  runs: Record<'get_reservation' | 'cancel_reservation' | 'issue_voucher', number>;
}

/** The demo airline's tools over a fresh set of bookings. */
export function createDemoAirline(options: { now?: () => number } = {}): DemoAirline {
  const now = options.now ?? Date.now;
  const bookings = new Map(demoBookings(now()).map((booking) => [booking.reservationId, booking]));
  const vouchers: DemoVoucher[] = [];
  const runs = { get_reservation: 0, cancel_reservation: 0, issue_voucher: 0 };
  const find = (id: string): DemoBooking => {
    const booking = bookings.get(id);
    // A thrown error is a failed call: the actor sees its message.
    if (!booking) throw new Error(`there is no reservation ${id}`);
    return booking;
  };

  const getReservation = defineTool({
    name: 'get_reservation',
    description: "Look up a reservation by its id: the passenger, cabin, flights, price, travel insurance, when it was booked and its status. Returns the booking's facts as JSON.",
    input: z.object({ reservation_id: reservationId }),
    effect: 'read',
    execute: ({ reservation_id }) => {
      runs.get_reservation++;
      return JSON.stringify(bookingFacts(find(reservation_id)));
    },
  });

  const cancelReservation = defineTool({
    name: 'cancel_reservation',
    description: 'Cancel a whole reservation and refund it to the original payment method. Cannot be undone. Only when the user asked for it and the policy allows it.',
    input: z.object({ reservation_id: reservationId }),
    effect: 'write',
    // A second cancellation is an error, not a no-op: it must never run twice.
    idempotent: false,
    execute: ({ reservation_id }) => {
      const booking = find(reservation_id);
      if (booking.status === 'cancelled') throw new Error(`reservation ${reservation_id} is already cancelled`);
      runs.cancel_reservation++;
      booking.status = 'cancelled';
      return `Reservation ${reservation_id} (${booking.flights}) is cancelled. ${booking.price} USD is refunded to the original payment method within 5 to 7 business days.`;
    },
  });

  const issueVoucher = defineTool({
    name: 'issue_voucher',
    description: `Issue a travel voucher, in USD, for a reservation whose flight was delayed or cancelled. The policy allows at most ${VOUCHER_LIMIT_PER_PASSENGER} USD per passenger.`,
    input: z.object({ reservation_id: reservationId, amount: z.number().positive().max(1000).describe('USD') }),
    effect: 'write',
    // Vouchers are keyed by the idempotency key: a repeated attempt gives back the first voucher.
    idempotent: true,
    execute: ({ reservation_id, amount }, { idempotencyKey }) => {
      find(reservation_id);
      let voucher = vouchers.find((issued) => issued.idempotencyKey === idempotencyKey);
      if (!voucher) {
        runs.issue_voucher++;
        voucher = { id: `VC-${String(vouchers.length + 1001)}`, reservationId: reservation_id, amount, idempotencyKey };
        vouchers.push(voucher);
      }
      return `Voucher ${voucher.id} of ${voucher.amount} USD is issued for reservation ${voucher.reservationId}, valid for one year.`;
    },
  });

  return { tools: [getReservation, cancelReservation, issueVoucher] as InProcessTool[], bookings, vouchers, runs };
}
