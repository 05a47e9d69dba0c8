import { defineProject } from 'vitest/config';

export default defineProject({ test: { name: '@lathe/protocol', include: ['test/**/*.test.ts'] } });
