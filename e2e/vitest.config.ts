import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: '@lathe/e2e',
    include: ['test/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 600_000,
    hookTimeout: 600_000,
  },
});
