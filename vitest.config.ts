import { defineConfig } from 'vitest/config';
import { EXTERNAL_FILES_DIRECTORY, externalFilesExpected } from './test/helpers/external-files.js';

// test/external/ reads files that are not part of the project (τ-bench's data, the tools
// acceptance run's MCP server): without them, outside CI, the folder is left out, said once
// here rather than as skipped tests.
const withExternalFiles = externalFilesExpected();
if (!withExternalFiles) console.log(`test/external/ left out: τ-bench's data and the acceptance MCP server are not in ${EXTERNAL_FILES_DIRECTORY}`);

/**
 * `npm test`: everything but the browser tests (`npm run test:browser`) and the fault-injection
 * suite (`npm run test:faults`). It needs Node and a Redis, which it finds or starts the way
 * `npm run demo` does.
 */
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/e2e/**', '**/node_modules/**', ...(withExternalFiles ? [] : ['test/external/**'])],
    globalSetup: ['test/setup/redis-setup.ts'],
    // Integration tests talk to the real Redis and spawn processes; two cores are shared.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
