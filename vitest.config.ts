import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    // Suites start servers and databases of their own; two at a time suits a 2-core machine.
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ['default', 'json'],
    // Read by .ci/run to print the closing count of tests.
    outputFile: { json: 'test-results/vitest.json' },
  },
});
