import { defineConfig } from 'drizzle-kit';

// `npm run db:generate` writes a migration after a schema change; createDatabase applies them on start-up.
export default defineConfig({
  dialect: 'postgresql',
  schema: './packages/db/src/schema.ts',
  out: './packages/db/drizzle',
});
