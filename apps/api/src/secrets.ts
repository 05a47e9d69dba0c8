import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LatheError } from '@lathe/protocol';
import type { Env } from './config';

export interface Secrets {
  /** Signs better-auth sessions and our socket tokens. */
  authSecret: string;
  /** 32 bytes for AES-256-GCM (user API keys at rest). */
  encryptionKey: Buffer;
}

interface SecretsFile {
  betterAuthSecret: string;
  encryptionKey: string;
}

function parseEncryptionKey(raw: string, source: string): Buffer {
  const value = raw.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(value) ? Buffer.from(value, 'hex') : Buffer.from(value, 'base64');
  if (key.length !== 32) {
    throw new LatheError('bad_config', `${source} must be 32 bytes as 64 hex characters or base64 (e.g. from: openssl rand -hex 32)`);
  }
  return key;
}

async function readSecretsFile(path: string): Promise<Partial<SecretsFile> | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new LatheError('bad_config', `cannot read ${path}: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text) as Partial<SecretsFile>;
  } catch {
    throw new LatheError('bad_config', `${path} is not valid JSON; fix or delete it (deleting invalidates sessions and stored API keys)`);
  }
}

/**
 * Secrets from the environment, else from `<dataDir>/secrets.json`, generated there (0600) on
 * first start. Values are never logged.
 */
export async function loadSecrets(env: Env, dataDir: string): Promise<Secrets> {
  const path = join(dataDir, 'secrets.json');
  const fromEnvAuth = env.BETTER_AUTH_SECRET?.trim();
  const fromEnvKey = env.LATHE_ENCRYPTION_KEY?.trim();
  if (fromEnvAuth && fromEnvKey) {
    if (fromEnvAuth.length < 32) throw new LatheError('bad_config', 'BETTER_AUTH_SECRET must be at least 32 characters');
    return { authSecret: fromEnvAuth, encryptionKey: parseEncryptionKey(fromEnvKey, 'LATHE_ENCRYPTION_KEY') };
  }
  await mkdir(dataDir, { recursive: true });
  let stored = await readSecretsFile(path);
  if (!stored?.betterAuthSecret || !stored.encryptionKey) {
    const fresh: SecretsFile = {
      betterAuthSecret: stored?.betterAuthSecret ?? randomBytes(32).toString('hex'),
      encryptionKey: stored?.encryptionKey ?? randomBytes(32).toString('hex'),
    };
    await writeFile(path, `${JSON.stringify(fresh, null, 2)}\n`, { mode: 0o600 });
    await chmod(path, 0o600);
    stored = fresh;
  }
  const authSecret = fromEnvAuth || stored.betterAuthSecret;
  if (!authSecret || authSecret.length < 32) throw new LatheError('bad_config', 'BETTER_AUTH_SECRET must be at least 32 characters');
  const encryptionKey = fromEnvKey
    ? parseEncryptionKey(fromEnvKey, 'LATHE_ENCRYPTION_KEY')
    : parseEncryptionKey(stored.encryptionKey ?? '', `encryptionKey in ${path}`);
  return { authSecret, encryptionKey };
}
