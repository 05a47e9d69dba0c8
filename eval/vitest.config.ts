import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: '@lathe/eval',
    include: ['test/*.test.ts'],
    testTimeout: 300_000,
    hookTimeout: 180_000,
  },
});
