import { type Static, Type } from '@sinclair/typebox';
import { ErrorInfoSchema } from './errors';
import { check, type Parsed } from './validate';

/** Most characters one `input` message may carry (a large paste is sent in several). */
export const TERMINAL_INPUT_CHARS = 64 * 1024;

/** Messages a client sends on a project's terminal WebSocket (`/api/projects/{id}/terminal`). */
export const TerminalClientMessageSchema = Type.Union([
  /** Keystrokes and pasted text, as the terminal emulator sends them (`\r` for Enter). */
  Type.Object({ type: Type.Literal('input'), data: Type.String({ minLength: 1, maxLength: TERMINAL_INPUT_CHARS }) }),
  Type.Object({
    type: Type.Literal('resize'),
    cols: Type.Integer({ minimum: 2, maximum: 500 }),
    rows: Type.Integer({ minimum: 1, maximum: 200 }),
  }),
]);
export type TerminalClientMessage = Static<typeof TerminalClientMessageSchema>;

/** Why a terminal session ended. */
export const TerminalExitReasonSchema = Type.Union([
  /** The shell exited (`exit`, Ctrl+D). */
  Type.Literal('exited'),
  /** Nothing was typed or printed for LATHE_TERMINAL_IDLE_MS. */
  Type.Literal('idle'),
  /** The project's terminal was opened in another window, which took it over. */
  Type.Literal('taken_over'),
  /** The server is stopping, or the project was deleted. */
  Type.Literal('closed'),
]);
export type TerminalExitReason = Static<typeof TerminalExitReasonSchema>;

/**
 * Frames the server sends: `ready` once the shell runs (with the output of an earlier connection
 * that this one took over, bounded), then `output` as the shell prints, `dropped` when output was
 * left out because the client read too slowly, `error` for a refused message or a shell that could
 * not start (`shell_unavailable`), and `exit` just before the server closes the socket.
 */
export const TerminalServerFrameSchema = Type.Union([
  Type.Object({ type: Type.Literal('ready'), replay: Type.String() }),
  Type.Object({ type: Type.Literal('output'), data: Type.String() }),
  Type.Object({ type: Type.Literal('dropped'), chars: Type.Integer({ minimum: 1 }) }),
  Type.Object({ type: Type.Literal('error'), error: ErrorInfoSchema }),
  Type.Object({
    type: Type.Literal('exit'),
    reason: TerminalExitReasonSchema,
    code: Type.Union([Type.Integer(), Type.Null()]),
  }),
]);
export type TerminalServerFrame = Static<typeof TerminalServerFrameSchema>;

function parseJson<T>(raw: string, parse: (data: unknown) => Parsed<T>): Parsed<T> {
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch {
    return { ok: false, error: 'message is not valid JSON' };
  }
  return parse(data);
}

export function parseTerminalClientMessage(raw: string): Parsed<TerminalClientMessage> {
  return parseJson(raw, (data) => check(TerminalClientMessageSchema, data));
}

export function parseTerminalServerFrame(raw: string): Parsed<TerminalServerFrame> {
  return parseJson(raw, (data) => check(TerminalServerFrameSchema, data));
}
