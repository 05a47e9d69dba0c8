import { createHash, randomBytes } from 'node:crypto';
import { Signer } from './crypto';

/**
 * Who may load a preview. The preview host `<token>.<PREVIEW_DOMAIN>` never sees the IDE's
 * session cookie, so the owner proves themselves in two steps:
 *
 * 1. The IDE asks the API (with the session cookie) for a ticket: a signed, single-use URL on the
 *    preview host, valid for a minute, naming the user, their session and the project.
 * 2. The preview host redeems it at PREVIEW_AUTH_PATH: it sets its own HttpOnly cookie, scoped to
 *    that one preview host, and redirects to the app. Every other preview request, HTTP or
 *    WebSocket, needs that cookie, and its session must still be signed in.
 *
 * A leaked preview URL is therefore useless without the owner's sign-in, and signing out ends
 * the preview's access too.
 */

/** Where the preview host redeems tickets. */
export const PREVIEW_AUTH_PATH = '/__lathe/auth';
export const PREVIEW_COOKIE = 'lathe_preview';

/** What a ticket or a cookie grants: this user, in this session, may see this project's preview. */
export interface PreviewGrant {
  userId: string;
  sessionId: string;
  projectId: string;
}

interface GrantInput extends PreviewGrant {
  previewToken: string;
  /** When the user's session ends; the cookie never outlives it. */
  sessionExpiresAt: Date;
}

export interface PreviewAccessOptions {
  ticketTtlMs?: number;
  cookieTtlMs?: number;
}

/** A short tag of the preview token, so a rotated token voids its tickets and cookies. */
function tokenTag(previewToken: string): string {
  return createHash('sha256').update(previewToken).digest('base64url').slice(0, 22);
}

function grantOf(data: Record<string, unknown> | null, previewToken: string, now: number): (PreviewGrant & { exp: number }) | null {
  if (!data) return null;
  const { u, s, p, t, e } = data;
  if (typeof u !== 'string' || typeof s !== 'string' || typeof p !== 'string' || typeof e !== 'number') return null;
  if (t !== tokenTag(previewToken) || e <= now) return null;
  return { userId: u, sessionId: s, projectId: p, exp: e };
}

export class PreviewAccess {
  readonly #tickets: Signer;
  readonly #cookies: Signer;
  readonly #ticketTtlMs: number;
  readonly #cookieTtlMs: number;
  /** Redeemed ticket nonces until they expire (single use within this process). */
  readonly #used = new Map<string, number>();

  constructor(authSecret: string, opts: PreviewAccessOptions = {}) {
    this.#tickets = new Signer(authSecret, 'lathe-preview-ticket');
    this.#cookies = new Signer(authSecret, 'lathe-preview-cookie');
    this.#ticketTtlMs = opts.ticketTtlMs ?? 60_000;
    this.#cookieTtlMs = opts.cookieTtlMs ?? 12 * 3_600_000;
  }

  /** A ticket for the preview host's PREVIEW_AUTH_PATH. */
  issueTicket(input: GrantInput, now = Date.now()): { ticket: string; expiresAt: string } {
    const exp = now + this.#ticketTtlMs;
    const ticket = this.#tickets.sign({
      u: input.userId,
      s: input.sessionId,
      p: input.projectId,
      t: tokenTag(input.previewToken),
      e: exp,
      // The cookie this ticket becomes ends with the session, or after cookieTtlMs.
      c: Math.min(input.sessionExpiresAt.getTime(), now + this.#cookieTtlMs),
      n: randomBytes(12).toString('base64url'),
    });
    return { ticket, expiresAt: new Date(exp).toISOString() };
  }

  /**
   * The grant of a genuine, unexpired, unused ticket for this preview token, with the cookie
   * that carries it; null otherwise. A ticket works once.
   */
  redeemTicket(ticket: string, previewToken: string, now = Date.now()): { grant: PreviewGrant; cookie: string; maxAgeS: number } | null {
    const data = this.#tickets.verify(ticket);
    const grant = grantOf(data, previewToken, now);
    if (!grant || !data || typeof data.n !== 'string' || typeof data.c !== 'number' || data.c <= now) return null;
    this.#forgetExpired(now);
    if (this.#used.has(data.n)) return null;
    this.#used.set(data.n, grant.exp);
    const cookie = this.#cookies.sign({ u: grant.userId, s: grant.sessionId, p: grant.projectId, t: tokenTag(previewToken), e: data.c });
    return {
      grant: { userId: grant.userId, sessionId: grant.sessionId, projectId: grant.projectId },
      cookie,
      maxAgeS: Math.max(1, Math.floor((data.c - now) / 1000)),
    };
  }

  /** The grant carried by the request's preview cookie, if genuine, unexpired and for this token. */
  fromCookieHeader(cookieHeader: string | null, previewToken: string, now = Date.now()): PreviewGrant | null {
    // Every cookie of that name counts: one tossed in by a sibling preview host cannot shadow ours.
    for (const value of readCookies(cookieHeader, PREVIEW_COOKIE)) {
      const grant = grantOf(this.#cookies.verify(value), previewToken, now);
      if (grant) return { userId: grant.userId, sessionId: grant.sessionId, projectId: grant.projectId };
    }
    return null;
  }

  #forgetExpired(now: number): void {
    for (const [nonce, exp] of this.#used) if (exp <= now) this.#used.delete(nonce);
  }
}

/** The values of every cookie called `name` in a Cookie header (at most 20). */
export function readCookies(header: string | null, name: string): string[] {
  if (!header) return [];
  const values: string[] = [];
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq >= 0 && part.slice(0, eq).trim() === name) values.push(part.slice(eq + 1).trim());
    if (values.length >= 20) break;
  }
  return values;
}

/**
 * Set-Cookie for the preview host. In a secure context (https, or *.localhost, which browsers
 * treat as one) the cookie is SameSite=None + Partitioned, so it works inside the IDE's iframe
 * even where third-party cookies are blocked; on plain http elsewhere browsers refuse such
 * cookies, so it falls back to SameSite=Lax (the iframe then needs the IDE and previews on one site).
 */
export function previewSetCookie(value: string, maxAgeS: number, previewOrigin: URL): string {
  const secure = previewOrigin.protocol === 'https:' || /(^|\.)localhost$/.test(previewOrigin.hostname);
  const base = `${PREVIEW_COOKIE}=${value}; Path=/; Max-Age=${maxAgeS}; HttpOnly`;
  return secure ? `${base}; Secure; SameSite=None; Partitioned` : `${base}; SameSite=Lax`;
}

/** A same-origin path to go to after the ticket is redeemed; anything else becomes "/". */
export function safeNextPath(raw: string | null): string {
  if (!raw?.startsWith('/') || raw.startsWith('//') || raw.startsWith('/\\') || raw.length > 2000) return '/';
  for (let i = 0; i < raw.length; i++) {
    const code = raw.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return '/';
  }
  return raw;
}
