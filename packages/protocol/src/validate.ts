import type { Static, TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { type ClientMessage, ClientMessageSchema, type ServerFrame, ServerFrameSchema } from './socket';

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

/** Checks unknown input against a schema; the error names the first offending path. */
export function check<S extends TSchema>(schema: S, input: unknown): Parsed<Static<S>> {
  if (Value.Check(schema, input)) return { ok: true, value: input };
  const first = Value.Errors(schema, input).First();
  return { ok: false, error: first ? `${first.path || '/'}: ${first.message}` : 'invalid value' };
}

/** Parses a raw WebSocket text frame from a client. */
export function parseClientMessage(raw: unknown): Parsed<ClientMessage> {
  let data: unknown = raw;
  if (typeof raw === 'string') {
    try {
      data = JSON.parse(raw);
    } catch {
      return { ok: false, error: 'message is not valid JSON' };
    }
  }
  return check(ClientMessageSchema, data);
}

/** Parses a raw frame from the server (used by clients). */
export function parseServerFrame(raw: string): Parsed<ServerFrame> {
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch {
    return { ok: false, error: 'frame is not valid JSON' };
  }
  return check(ServerFrameSchema, data);
}

/** Whether `text` is standard padded base64 (how binary file contents travel and are stored). */
export function isBase64(text: string): boolean {
  return text.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(text);
}
