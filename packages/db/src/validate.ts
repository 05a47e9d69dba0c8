import { createHash, randomBytes } from 'node:crypto';
import { LatheError } from '@lathe/protocol';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';
export const PREVIEW_TOKEN_RE = /^[a-z2-7]{26}$/;

/** Ids are UUIDs; anything else cannot name a row, so callers answer "not found" without a query. */
export function isUuid(value: string): boolean {
  return UUID_RE.test(value);
}

/** 26 base32 characters = 130 random bits, lowercase and DNS-label safe. */
export function newPreviewToken(): string {
  // 256 is a multiple of 32, so masking keeps every character uniform.
  return Array.from(randomBytes(26), (b) => BASE32[b & 31]).join('');
}

/** A file's bytes from its stored content. */
export function fileBytes(content: string, encoding: 'utf8' | 'base64' = 'utf8'): Buffer {
  return Buffer.from(content, encoding);
}

export function sha256(content: string | Uint8Array): string {
  if (typeof content !== 'string') return createHash('sha256').update(content).digest('hex');
  return createHash('sha256').update(content, 'utf8').digest('hex');
}

export function invalid(message: string): LatheError {
  return new LatheError('invalid_input', message);
}

export function notFound(what: string): LatheError {
  return new LatheError('not_found', `${what} not found`);
}

/** PostgreSQL text cannot hold NUL characters; say so instead of failing inside the driver. */
export function requireText(field: string, value: unknown, opts: { min?: number; max?: number } = {}): string {
  if (typeof value !== 'string') throw invalid(`${field} must be a string`);
  const min = opts.min ?? 0;
  if (value.length < min) throw invalid(min === 1 ? `${field} must not be empty` : `${field} must have at least ${min} characters`);
  if (opts.max !== undefined && value.length > opts.max) throw invalid(`${field} must have at most ${opts.max} characters`);
  if (value.includes('\0')) throw invalid(`${field} must not contain NUL characters`);
  return value;
}

export function requireInt(field: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalid(`${field} must be an integer from ${min} to ${max}`);
  }
  return value;
}

/** Replaces NUL characters in every string of a JSON value (jsonb cannot store U+0000). */
export function withoutNul<T>(value: T): T {
  if (!JSON.stringify(value).includes('\\u0000')) return value;
  const text = JSON.stringify(value, (_key, v: unknown) => (typeof v === 'string' && v.includes('\0') ? v.replaceAll('\0', '\uFFFD') : v));
  return JSON.parse(text) as T;
}

export function iso(date: Date): string {
  return date.toISOString();
}
