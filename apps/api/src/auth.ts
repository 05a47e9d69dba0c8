import { type Database, type Repositories, schema, type UserRole, type UserStatus, userAdditionalFields } from '@lathe/db';
import { LatheError } from '@lathe/protocol';
import { betterAuth } from 'better-auth';
import { drizzleAdapter } from 'better-auth/adapters/drizzle';
import { APIError, createAuthMiddleware } from 'better-auth/api';
import type { SignupPolicy } from './config';
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
  signup: SignupPolicy;
  users: Repositories['users'];
}

/** Why an account that is not active cannot sign in, as better-auth's error body `{ code, message }`. */
export const ACCOUNT_REFUSALS = {
  pending: {
    code: 'account_pending',
    message: 'Your account was created and is waiting for an administrator to approve it. Try signing in once they have.',
  },
  disabled: { code: 'account_disabled', message: 'This account has been disabled by an administrator.' },
} as const;

const SIGNUP_CLOSED = {
  code: 'signup_closed',
  message: 'This server does not accept new accounts. Ask its administrator for one.',
} as const;

/** The role and status a new account starts with; throws when the policy refuses it. */
export function newAccount(policy: SignupPolicy, existingAccounts: number): { role: UserRole; status: UserStatus } {
  // The very first account runs the server, whatever the policy.
  if (existingAccounts === 0) return { role: 'admin', status: 'active' };
  if (policy === 'closed') throw new APIError('FORBIDDEN', SIGNUP_CLOSED);
  return { role: 'user', status: policy === 'approval' ? 'pending' : 'active' };
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
    user: { additionalFields: userAdditionalFields },
    hooks: {
      // A closed server refuses before better-auth looks the email up, so the answer is the same
      // whether the address has an account or not (and no password is hashed for nothing).
      before: createAuthMiddleware(async (ctx) => {
        if (ctx.path.startsWith('/sign-up/') && opts.signup === 'closed' && (await opts.users.count()) > 0) {
          throw new APIError('FORBIDDEN', SIGNUP_CLOSED);
        }
      }),
    },
    databaseHooks: {
      user: {
        create: {
          // Sign-ups are serialised by handleAuth(), so two first accounts cannot both become admin.
          before: async (user) => ({ data: { ...user, ...newAccount(opts.signup, await opts.users.count()) } }),
        },
      },
      session: {
        create: {
          // Every way into a session (sign-up, sign-in) passes here, after the password was checked.
          before: async (session) => {
            const account = await opts.users.get(session.userId);
            if (account?.status === 'active') return;
            throw new APIError('FORBIDDEN', ACCOUNT_REFUSALS[account?.status ?? 'disabled']);
          },
        },
      },
    },
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
  role: UserRole;
}

/** Resolves the signed-in user from the request's session cookie. */
export class Sessions {
  constructor(private readonly auth: Auth) {}

  async user(headers: Headers): Promise<SessionUser | null> {
    const session = await this.auth.api.getSession({ headers });
    // Disabling an account ends its sessions; the status check covers a sign-in racing that.
    if (session?.user.status !== 'active') return null;
    return {
      id: session.user.id,
      email: session.user.email,
      sessionId: session.session.id,
      sessionExpiresAt: new Date(session.session.expiresAt),
      role: session.user.role === 'admin' ? 'admin' : 'user',
    };
  }

  async require(headers: Headers): Promise<SessionUser> {
    const user = await this.user(headers);
    if (!user) throw new LatheError('unauthorized', 'sign in first');
    return user;
  }

  /** The signed-in user if they are an admin; anyone else signed in gets 403. */
  async requireAdmin(headers: Headers): Promise<SessionUser> {
    const user = await this.require(headers);
    if (user.role !== 'admin') throw new LatheError('forbidden', 'only an administrator may do this');
    return user;
  }
}

const SIGN_UP_ROUTE = /^\/api\/auth\/sign-up\/[a-z-]+$/;

/** Runs tasks one after another (one queue per server instance). */
export class SerialQueue {
  #tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const turn = this.#tail.then(task);
    this.#tail = turn.catch(() => undefined);
    return turn;
  }
}

function withClientIp(request: Request, ip: string): Request {
  const headers = new Headers(request.headers);
  headers.set(CLIENT_IP_HEADER, ip);
  return new Request(request, { headers });
}

/** Routes that check a password, so guesses there are counted. */
const PASSWORD_ROUTES = /^\/api\/auth\/(sign-in\/[a-z-]+|change-password)$/;

/**
 * Hands a request (its body already read and size-checked) to better-auth with the client
 * address set; password checks pass the sign-in limiter first (429 + Retry-After beyond it).
 */
export async function handleAuth(
  auth: Auth,
  limiter: SignInLimiter,
  signUps: SerialQueue,
  request: Request,
  ip: string,
): Promise<Response> {
  const path = new URL(request.url).pathname;
  // One sign-up at a time: the first-account rule counts accounts, then inserts.
  if (request.method === 'POST' && SIGN_UP_ROUTE.test(path)) return signUps.run(() => auth.handler(withClientIp(request, ip)));
  const checksPassword = request.method === 'POST' && PASSWORD_ROUTES.test(path);
  // Read before the body moves to the forwarded request.
  const email = checksPassword ? await emailOf(request) : '';
  const forwarded = withClientIp(request, ip);
  if (!checksPassword) return auth.handler(forwarded);
  const attempt = limiter.begin(ip, email);
  if (!attempt.ok) {
    return errorResponse(429, 'rate_limited', `too many failed sign-ins; try again in ${attempt.retryAfterS} s`, {
      'retry-after': String(attempt.retryAfterS),
    });
  }
  const response = await auth.handler(forwarded);
  // 403 comes after a right password (an account pending or disabled) or before any check (a foreign origin): no guess.
  if (response.status < 400 || response.status === 403) attempt.succeeded();
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
