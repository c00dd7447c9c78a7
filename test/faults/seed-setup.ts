/**
 * One seed for the whole fault suite run: chosen here (or taken from FAULT_SEED) before any
 * scenario file starts, so every file's random choices come from the same, printed seed.
 */
export default function setup(): void {
  if (!process.env.FAULT_SEED) process.env.FAULT_SEED = String((Date.now() ^ (process.pid << 16)) >>> 0);
  console.log(`[faults] seed ${process.env.FAULT_SEED}: replay the suite's random choices with FAULT_SEED=${process.env.FAULT_SEED} npm run test:faults`);
}
