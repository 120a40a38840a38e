import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Starts a throwaway Ceph RADOS Gateway (or uses LAKE_TEST_S3_ENDPOINT); tests read it with inject('s3').
    globalSetup: ['test/setup/s3-server.ts'],
    // The default output, then one plain `N passed, N failed, N skipped` line for CI.
    reporters: ['default', './test/support/summary-reporter.ts'],
    hookTimeout: 120_000,
    testTimeout: 30_000,
  },
});
