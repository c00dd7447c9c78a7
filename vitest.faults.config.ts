import { defineConfig } from 'vitest/config';

/**
 * The fault-injection suite (`npm run test:faults`): one file per scenario, run one after the
 * other, because the scenarios start several processes and load both cores on their own.
 */
export default defineConfig({
  test: {
    include: ['test/faults/*.fault.ts'],
    fileParallelism: false,
    maxWorkers: 1,
    testTimeout: 240_000,
    hookTimeout: 60_000,
    reporters: ['default'],
    // Each scenario prints what it did and what it found.
    silent: false,
  },
});
