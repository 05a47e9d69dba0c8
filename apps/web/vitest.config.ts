import { defineProject } from 'vitest/config';

// Deliberately without the TanStack Start plugin: tests cover pure modules and drive the built app.
export default defineProject({
  test: {
    name: '@lathe/web',
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    environment: 'node',
  },
});
