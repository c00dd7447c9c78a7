import { defineConfig } from 'vitest/config';

/**
 * `npm test`: everything but the browser tests (`npm run test:browser`) and the fault-injection
 * suite (`npm run test:faults`). It needs Node and a Redis, which it finds or starts the way
 * `npm run demo` does.
 */
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/e2e/**', '**/node_modules/**'],
    globalSetup: ['test/setup/redis-setup.ts'],
    // Integration tests talk to the real Redis and spawn processes; two cores are shared.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
