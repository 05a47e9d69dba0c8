/**
 * Only used to generate better-auth's tables (`npm run auth:generate -w @lathe/db`); the real
 * instance lives in apps/api with the same adapter and options.
 */
import { betterAuth } from 'better-auth';
import { drizzleAdapter } from 'better-auth/adapters/drizzle';
import { userAdditionalFields } from './src/user-fields';

export const auth = betterAuth({
  database: drizzleAdapter({}, { provider: 'pg' }),
  emailAndPassword: { enabled: true },
  user: { additionalFields: userAdditionalFields },
});
