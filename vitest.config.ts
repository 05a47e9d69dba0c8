import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: ['packages/*', 'apps/api', 'apps/web', 'e2e', 'eval'],
    globalSetup: ['./testing/global-setup.ts'],
    reporters: ['default', './testing/summary-reporter.ts'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
  },
});
