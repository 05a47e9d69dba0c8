import { type Database, schema } from '@lathe/db';
import { LatheError } from '@lathe/protocol';
import { betterAuth } from 'better-auth';
import { drizzleAdapter } from 'better-auth/adapters/drizzle';

export interface AuthOptions {
  db: Database;
  secret: string;
  /** The IDE origin; auth links and cookie checks use it. */
  publicUrl: string;
  /** Origins allowed to POST to /api/auth (the IDE origin, and its 127.0.0.1 twin). */
  trustedOrigins: string[];
}

export function createAuth(opts: AuthOptions) {
  return betterAuth({
    appName: 'Lathe',
    basePath: '/api/auth',
    baseURL: opts.publicUrl,
    secret: opts.secret,
    trustedOrigins: opts.trustedOrigins,
    database: drizzleAdapter(opts.db.orm, { provider: 'pg', schema }),
    emailAndPassword: { enabled: true, minPasswordLength: 8, maxPasswordLength: 128 },
    telemetry: { enabled: false },
  });
}

export type Auth = ReturnType<typeof createAuth>;

export interface SessionUser {
  id: string;
  email: string;
  /** The better-auth session this request signed in with, and when it ends. */
  sessionId: string;
  sessionExpiresAt: Date;
}

/** Resolves the signed-in user from the request's session cookie. */
export class Sessions {
  constructor(private readonly auth: Auth) {}

  async user(headers: Headers): Promise<SessionUser | null> {
    const session = await this.auth.api.getSession({ headers });
    if (!session) return null;
    return {
      id: session.user.id,
      email: session.user.email,
      sessionId: session.session.id,
      sessionExpiresAt: new Date(session.session.expiresAt),
    };
  }

  async require(headers: Headers): Promise<SessionUser> {
    const user = await this.user(headers);
    if (!user) throw new LatheError('unauthorized', 'sign in first');
    return user;
  }
}
