import { defineConfig } from 'vitest/config';

/**
 * `npm run test:browser`: the dashboard and chat page in a real headless Chromium or Chrome
 * (found where it is usually installed, or CHROMIUM_PATH), driven by playwright-core.
 */
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.test.ts'],
    globalSetup: ['test/setup/redis-setup.ts', 'test/setup/chromium-setup.ts'],
    fileParallelism: false,
    testTimeout: 90_000,
    hookTimeout: 90_000,
    reporters: ['default'],
  },
});
