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
    globalSetup: ['test/setup/redis-setup.ts', 'test/faults/seed-setup.ts'],
    // A backstop only: the scenarios wait with deadlines that follow progress (they fail after
    // 90 s without any), and every aimed fault has its own deadline, so a slow machine gets the
    // time it needs and a stuck run still fails well before this.
    testTimeout: 900_000,
    hookTimeout: 60_000,
    reporters: ['default'],
    // Each scenario prints what it did and what it found.
    silent: false,
  },
});
