import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { LatheError } from '@lathe/protocol';

export interface Sealed {
  ciphertext: string;
  iv: string;
  tag: string;
}

/** AES-256-GCM with a random 96-bit IV; every field base64. */
export function seal(plaintext: string, key: Buffer): Sealed {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return { ciphertext: ciphertext.toString('base64'), iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64') };
}

export function open(sealed: Sealed, key: Buffer): string {
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(sealed.iv, 'base64'));
    decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(sealed.ciphertext, 'base64')), decipher.final()]).toString('utf8');
  } catch (e) {
    throw new LatheError('key_undecryptable', 'a stored API key cannot be decrypted (was LATHE_ENCRYPTION_KEY changed?)', { cause: e });
  }
}

/** "sk-or-…a1b2": a short prefix hint and the last four characters, never the key. */
export function maskKey(prefix: string, last4: string): string {
  return `${prefix}…${last4}`;
}

function b64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

/**
 * HMAC-signed JSON: `<payload>.<mac>`, stateless so any API process can check it. Each purpose
 * has its own key, derived from the auth secret, so one kind of token never passes for another
 * and rotating the secret revokes them all.
 */
export class Signer {
  readonly #key: Buffer;
  constructor(authSecret: string, purpose: string) {
    this.#key = createHmac('sha256', authSecret).update(purpose).digest();
  }

  sign(data: Record<string, string | number>): string {
    const payload = b64url(JSON.stringify(data));
    return `${payload}.${b64url(createHmac('sha256', this.#key).update(payload).digest())}`;
  }

  /** The signed object when the MAC is genuine, else null (expiry is the caller's field to check). */
  verify(token: string): Record<string, unknown> | null {
    if (token.length > 2000) return null;
    const [payload, mac, extra] = token.split('.');
    if (!payload || !mac || extra !== undefined) return null;
    const expected = createHmac('sha256', this.#key).update(payload).digest();
    const given = Buffer.from(mac, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    try {
      const data: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
      return data !== null && typeof data === 'object' && !Array.isArray(data) ? (data as Record<string, unknown>) : null;
    } catch {
      return null;
    }
  }
}

/** Who a redeemed socket token speaks for. */
export interface SocketGrant {
  userId: string;
  /** The sign-in session it was issued from; the socket closes when that session ends. */
  sessionId: string;
}

/**
 * Short-lived, single-use socket tokens for ?token= on the project WebSocket. Spent tokens are
 * remembered until they expire, per API process (with several processes, a token could be
 * replayed on another within its minute).
 */
export class SocketTokens {
  readonly #signer: Signer;
  readonly #spent = new Map<string, number>();
  constructor(
    authSecret: string,
    readonly ttlMs = 60_000,
  ) {
    this.#signer = new Signer(authSecret, 'lathe-socket-token');
  }

  issue(grant: SocketGrant, projectId: string, now = Date.now()): { token: string; expiresAt: string } {
    const exp = now + this.ttlMs;
    const token = this.#signer.sign({
      u: grant.userId,
      s: grant.sessionId,
      p: projectId,
      e: exp,
      n: randomBytes(12).toString('base64url'),
    });
    return { token, expiresAt: new Date(exp).toISOString() };
  }

  /** The grant when the token is genuine, unexpired, for this project and unused; it is then spent. */
  redeem(token: string, projectId: string, now = Date.now()): SocketGrant | null {
    const data = this.#signer.verify(token);
    if (!data || typeof data.u !== 'string' || typeof data.s !== 'string' || typeof data.n !== 'string') return null;
    if (data.p !== projectId || typeof data.e !== 'number' || data.e < now) return null;
    for (const [nonce, exp] of this.#spent) if (exp < now) this.#spent.delete(nonce);
    if (this.#spent.has(data.n)) return null;
    this.#spent.set(data.n, data.e);
    return { userId: data.u, sessionId: data.s };
  }
}
