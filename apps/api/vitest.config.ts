import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: '@lathe/api',
    include: ['test/**/*.test.ts'],
    // Each file spawns real servers, sandboxes and dev servers: one file at a time on a shared machine.
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 180_000,
  },
});
