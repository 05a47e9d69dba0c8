import { type Database, schema } from '@lathe/db';
import { LatheError } from '@lathe/protocol';
import { betterAuth } from 'better-auth';
import { drizzleAdapter } from 'better-auth/adapters/drizzle';
import { errorResponse } from './errors';
import type { SignInLimiter } from './rate-limit';

/**
 * The client address as the server determined it (socket peer, or X-Forwarded-For from a trusted
 * proxy). Set on every request handed to better-auth, over anything the client sent, and the only
 * header better-auth reads an address from (sessions record it).
 */
export const CLIENT_IP_HEADER = 'x-lathe-client-ip';

export interface AuthOptions {
  db: Database;
  secret: string;
  /** The IDE origin; auth links and cookie checks use it. */
  publicUrl: string;
  /** Origins allowed to POST to /api/auth (the IDE origin, and its 127.0.0.1 twin). */
  trustedOrigins: string[];
}

/** Whether browsers take Secure cookies from this origin: https, or loopback (a secure context on http too). */
export function isSecureOrigin(origin: string): boolean {
  const url = new URL(origin);
  if (url.protocol === 'https:') return true;
  const host = url.hostname;
  return host === 'localhost' || host.endsWith('.localhost') || host === '127.0.0.1' || host === '[::1]';
}

const COOKIES = ['session_token', 'session_data', 'dont_remember'] as const;

/**
 * The IDE's cookie names. Where the browser allows it they carry the `__Host-` prefix: such a
 * cookie is Secure, host-only and for path /, and no other host — a preview on a sibling
 * subdomain included — can set or overwrite one (no cookie tossing into the IDE's session).
 */
export function authCookieName(publicUrl: string, cookie: (typeof COOKIES)[number] = 'session_token'): string {
  return isSecureOrigin(publicUrl) ? `__Host-lathe.${cookie}` : `lathe.${cookie}`;
}

function cookieOptions(publicUrl: string) {
  if (!isSecureOrigin(publicUrl)) return { useSecureCookies: false, cookiePrefix: 'lathe' };
  const cookies = Object.fromEntries(COOKIES.map((c) => [c, { name: authCookieName(publicUrl, c), attributes: { secure: true } }]));
  // better-auth's own secure prefix would be `__Secure-`; the names above carry the stricter one.
  return { useSecureCookies: false, cookiePrefix: 'lathe', cookies };
}

export function createAuth(opts: AuthOptions) {
  return betterAuth({
    advanced: { ...cookieOptions(opts.publicUrl), ipAddress: { ipAddressHeaders: [CLIENT_IP_HEADER] } },
    // better-auth's own limiter runs only with NODE_ENV=production and counts per address and
    // path; sign-in guessing is limited by handleAuth() below in every mode instead.
    rateLimit: { enabled: false },
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

/** Routes that check a password, so guesses there are counted. */
const PASSWORD_ROUTES = /^\/api\/auth\/(sign-in\/[a-z-]+|change-password)$/;

/**
 * Hands a request (its body already read and size-checked) to better-auth with the client
 * address set; password checks pass the sign-in limiter first (429 + Retry-After beyond it).
 */
export async function handleAuth(auth: Auth, limiter: SignInLimiter, request: Request, ip: string): Promise<Response> {
  const checksPassword = request.method === 'POST' && PASSWORD_ROUTES.test(new URL(request.url).pathname);
  // Read before the body moves to the forwarded request.
  const email = checksPassword ? await emailOf(request) : '';
  const headers = new Headers(request.headers);
  headers.set(CLIENT_IP_HEADER, ip);
  const forwarded = new Request(request, { headers });
  if (!checksPassword) return auth.handler(forwarded);
  const attempt = limiter.begin(ip, email);
  if (!attempt.ok) {
    return errorResponse(429, 'rate_limited', `too many failed sign-ins; try again in ${attempt.retryAfterS} s`, {
      'retry-after': String(attempt.retryAfterS),
    });
  }
  const response = await auth.handler(forwarded);
  if (response.status < 400) attempt.succeeded();
  return response;
}

async function emailOf(request: Request): Promise<string> {
  try {
    const body: unknown = await request.clone().json();
    const email = body !== null && typeof body === 'object' && 'email' in body ? body.email : '';
    return typeof email === 'string' ? email.slice(0, 320) : '';
  } catch {
    return '';
  }
}
