import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { AgentStateNameSchema, BlueprintSchema, DiagnosticSchema, PhaseSpecSchema } from './agent';
import { FilesChangedSchema } from './rest';
import { VersionSchema } from './versions';

/**
 * Every event an agent emits. Each carries the project's monotonically increasing `seq`
 * (assigned when the event is appended to the project's event log) and an ISO time.
 */
function event<T extends string, P extends TSchema>(type: T, payload: P) {
  return Type.Object({
    seq: Type.Integer({ minimum: 1 }),
    projectId: Type.String(),
    at: Type.String(),
    type: Type.Literal(type),
    payload,
  });
}

export const LogSourceSchema = Type.Union([Type.Literal('install'), Type.Literal('dev'), Type.Literal('exec'), Type.Literal('agent')]);
export type LogSource = Static<typeof LogSourceSchema>;

export const EventSchemas = {
  state_change: event('state_change', Type.Object({ from: AgentStateNameSchema, to: AgentStateNameSchema })),
  phase_designing: event('phase_designing', Type.Object({ phaseIndex: Type.Integer({ minimum: 0 }) })),
  phase_designed: event('phase_designed', Type.Object({ phaseIndex: Type.Integer({ minimum: 0 }), phase: PhaseSpecSchema })),
  blueprint_updated: event('blueprint_updated', Type.Object({ blueprint: BlueprintSchema })),
  file_start: event('file_start', Type.Object({ phaseIndex: Type.Integer({ minimum: 0 }), path: Type.String() })),
  file_chunk: event('file_chunk', Type.Object({ path: Type.String(), chunk: Type.String() })),
  file_end: event(
    'file_end',
    Type.Object({ phaseIndex: Type.Integer({ minimum: 0 }), path: Type.String(), hash: Type.String(), size: Type.Integer({ minimum: 0 }) }),
  ),
  /** The agent deleted a file (an `rm` directive, or the old path of a rename). */
  file_deleted: event('file_deleted', Type.Object({ phaseIndex: Type.Integer({ minimum: 0 }), path: Type.String() })),
  /** The agent renamed a file; a file_end for the new path follows it. */
  file_renamed: event('file_renamed', Type.Object({ phaseIndex: Type.Integer({ minimum: 0 }), from: Type.String(), to: Type.String() })),
  files_written: event('files_written', Type.Object({ phaseIndex: Type.Integer({ minimum: 0 }), paths: Type.Array(Type.String()) })),
  deps_installed: event('deps_installed', Type.Object({ packages: Type.Array(Type.String()), ok: Type.Boolean() })),
  server_started: event('server_started', Type.Object({ previewUrl: Type.Union([Type.String(), Type.Null()]) })),
  /**
   * The preview loaded in headless Chromium after a phase's server start and at each review check:
   * runtime errors, a blank page, a JPEG thumbnail as a data URL (null when none was taken).
   * `status` is 'skipped' (with a `note`) when the server has no browser.
   */
  render_checked: event(
    'render_checked',
    Type.Object({
      phaseIndex: Type.Integer({ minimum: 0 }),
      status: Type.Union([Type.Literal('checked'), Type.Literal('skipped')]),
      note: Type.Union([Type.String(), Type.Null()]),
      blank: Type.Boolean(),
      errors: Type.Array(DiagnosticSchema),
      screenshot: Type.Union([Type.String({ maxLength: 140_000 }), Type.Null()]),
      ms: Type.Integer({ minimum: 0 }),
    }),
  ),
  review_result: event(
    'review_result',
    Type.Object({ round: Type.Integer({ minimum: 0 }), errors: Type.Array(DiagnosticSchema), fixed: Type.Boolean() }),
  ),
  message: event(
    'message',
    Type.Object({
      id: Type.String(),
      role: Type.Union([Type.Literal('user'), Type.Literal('assistant'), Type.Literal('system')]),
      content: Type.String(),
    }),
  ),
  log: event(
    'log',
    Type.Object({ source: LogSourceSchema, stream: Type.Union([Type.Literal('stdout'), Type.Literal('stderr')]), text: Type.String() }),
  ),
  generation_complete: event(
    'generation_complete',
    Type.Object({ round: Type.Integer({ minimum: 0 }), phases: Type.Integer({ minimum: 0 }), files: Type.Integer({ minimum: 0 }) }),
  ),
  /** One model call's tokens and cost (null when neither the provider nor the price table knows it). */
  llm_usage: event(
    'llm_usage',
    Type.Object({
      role: Type.Union([Type.Literal('designer'), Type.Literal('implementer'), Type.Literal('fixer')]),
      model: Type.String(),
      promptTokens: Type.Integer({ minimum: 0 }),
      completionTokens: Type.Integer({ minimum: 0 }),
      cachedTokens: Type.Integer({ minimum: 0 }),
      costUsd: Type.Union([Type.Number({ minimum: 0 }), Type.Null()]),
    }),
  ),
  error: event('error', Type.Object({ code: Type.String(), message: Type.String() })),
  /**
   * A version was added to the project's history (or an edit burst's version moved on). For a
   * restore, the files it wrote back and the files it deleted: the stored files changed.
   */
  /** The user created, uploaded, moved or deleted files (from the file tree or the API). */
  files_changed: event('files_changed', FilesChangedSchema),
  version_created: event(
    'version_created',
    Type.Object({ version: VersionSchema, written: Type.Array(Type.String()), deleted: Type.Array(Type.String()) }),
  ),
} as const;

export type EventType = keyof typeof EventSchemas;
export const EVENT_TYPES = Object.keys(EventSchemas) as EventType[];

export const AgentEventSchema = Type.Union(Object.values(EventSchemas));
export type AgentEvent = Static<typeof AgentEventSchema>;

/** An event of one type. */
export type EventOf<T extends EventType> = Extract<AgentEvent, { type: T }>;
/** The payload of one event type. */
export type PayloadOf<T extends EventType> = EventOf<T>['payload'];

/** An event before the log assigned it a seq and time. */
export type NewEvent = { [T in EventType]: { type: T; payload: PayloadOf<T> } }[EventType];
