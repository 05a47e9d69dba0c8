import { type Static, Type } from '@sinclair/typebox';
import { AgentSnapshotSchema } from './agent';
import { ErrorInfoSchema } from './errors';
import { AgentEventSchema } from './events';
import { LIMITS } from './limits';

/** Messages a client sends on a project's WebSocket. */
export const ClientMessageSchema = Type.Union([
  Type.Object({ type: Type.Literal('generate'), description: Type.String({ minLength: 1, maxLength: LIMITS.promptChars }) }),
  Type.Object({ type: Type.Literal('message'), text: Type.String({ minLength: 1, maxLength: LIMITS.messageChars }) }),
  Type.Object({ type: Type.Literal('cancel') }),
  Type.Object({ type: Type.Literal('get_state') }),
  Type.Object({ type: Type.Literal('resume'), afterSeq: Type.Integer({ minimum: 0 }) }),
]);
export type ClientMessage = Static<typeof ClientMessageSchema>;

/**
 * Frames the server sends. On connect: one `snapshot`, then every `event` after the client's seq,
 * then live events. `error` answers a bad client message. `resume_hint` comes just before the
 * server closes a socket whose client is too slow; reconnect with afterSeq = hint.afterSeq.
 */
export const ServerFrameSchema = Type.Union([
  Type.Object({ frame: Type.Literal('snapshot'), snapshot: AgentSnapshotSchema }),
  Type.Object({ frame: Type.Literal('event'), event: AgentEventSchema }),
  Type.Object({ frame: Type.Literal('error'), error: ErrorInfoSchema }),
  Type.Object({ frame: Type.Literal('resume_hint'), afterSeq: Type.Integer({ minimum: 0 }) }),
]);
export type ServerFrame = Static<typeof ServerFrameSchema>;
