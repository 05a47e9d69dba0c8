import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: '@lathe/db',
    include: ['test/**/*.test.ts'],
  },
});
