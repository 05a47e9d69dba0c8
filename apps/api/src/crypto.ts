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
 * Short-lived socket tokens: `<payload>.<hmac>`, stateless so any API process can check them.
 * The key is derived from the auth secret so rotating that secret revokes them too.
 */
export class SocketTokens {
  readonly #key: Buffer;
  constructor(
    authSecret: string,
    readonly ttlMs = 60_000,
  ) {
    this.#key = createHmac('sha256', authSecret).update('lathe-socket-token').digest();
  }

  issue(userId: string, projectId: string, now = Date.now()): { token: string; expiresAt: string } {
    const exp = now + this.ttlMs;
    const payload = b64url(JSON.stringify({ u: userId, p: projectId, e: exp }));
    const mac = b64url(createHmac('sha256', this.#key).update(payload).digest());
    return { token: `${payload}.${mac}`, expiresAt: new Date(exp).toISOString() };
  }

  /** The user id when the token is genuine, unexpired and for this project. */
  verify(token: string, projectId: string, now = Date.now()): string | null {
    const [payload, mac] = token.split('.');
    if (!payload || !mac || token.length > 1000) return null;
    const expected = createHmac('sha256', this.#key).update(payload).digest();
    const given = Buffer.from(mac, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    try {
      const data = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { u?: unknown; p?: unknown; e?: unknown };
      if (typeof data.u !== 'string' || data.p !== projectId || typeof data.e !== 'number' || data.e < now) return null;
      return data.u;
    } catch {
      return null;
    }
  }
}
