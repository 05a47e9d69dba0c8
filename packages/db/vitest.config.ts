import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: '@lathe/db',
    include: ['test/**/*.test.ts'],
    // Generous: PGlite start-up and migrations are slow on a busy shared machine.
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
});
