import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', 'cdk.out/**', '.local/**'],
    // Integration suites start a local stack each; two cores, so two at a time.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Says which Chromium the browser tests drive (test/support/chromium.ts).
    globalSetup: ['test/support/chromium-setup.ts'],
  },
});
