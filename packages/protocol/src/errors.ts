import { type Static, Type } from '@sinclair/typebox';

/** The one error shape at every boundary: HTTP bodies `{ error }`, `error` events and frames. */
export const ErrorInfoSchema = Type.Object({ code: Type.String(), message: Type.String() });
export type ErrorInfo = Static<typeof ErrorInfoSchema>;
export const ErrorBodySchema = Type.Object({ error: ErrorInfoSchema });
export type ErrorBody = Static<typeof ErrorBodySchema>;

/** An error as a value: a stable machine code and a human message. */
export class LatheError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LatheError';
    this.code = code;
  }
  toInfo(): ErrorInfo {
    return { code: this.code, message: this.message };
  }
}

export function isLatheError(e: unknown): e is LatheError {
  return e instanceof LatheError;
}

/** Turns anything thrown into an ErrorInfo without leaking stack traces. */
export function toErrorInfo(e: unknown, fallbackCode = 'internal_error'): ErrorInfo {
  if (isLatheError(e)) return e.toInfo();
  if (e instanceof Error) return { code: fallbackCode, message: e.message };
  return { code: fallbackCode, message: String(e) };
}
