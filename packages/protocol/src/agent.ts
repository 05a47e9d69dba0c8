import { type Static, Type } from '@sinclair/typebox';

/** The agent's states. ERROR and CANCELLED are terminal outcomes of a generation round. */
export const AGENT_STATES = [
  'IDLE',
  'DESIGNING_PHASE',
  'IMPLEMENTING_PHASE',
  'INSTALLING_DEPS',
  'STARTING_SERVER',
  'REVIEWING',
  'COMPLETE',
  'ERROR',
  'CANCELLED',
] as const;
export type AgentStateName = (typeof AGENT_STATES)[number];
export const AgentStateNameSchema = Type.Union(AGENT_STATES.map((s) => Type.Literal(s)));

/** States in which the agent is busy working on a generation round. */
export const ACTIVE_STATES: readonly AgentStateName[] = [
  'DESIGNING_PHASE',
  'IMPLEMENTING_PHASE',
  'INSTALLING_DEPS',
  'STARTING_SERVER',
  'REVIEWING',
];

export function isActiveState(state: AgentStateName): boolean {
  return ACTIVE_STATES.includes(state);
}

/** What the designer returns for one phase (validated LLM output). */
export const PhaseFileSchema = Type.Object({
  path: Type.String({ minLength: 1, maxLength: 300 }),
  purpose: Type.String({ maxLength: 2000 }),
});
export type PhaseFile = Static<typeof PhaseFileSchema>;

export const PhaseSpecSchema = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 200 }),
  description: Type.String({ maxLength: 4000 }),
  files: Type.Array(PhaseFileSchema, { maxItems: 100 }),
  installCommands: Type.Array(Type.String({ maxLength: 500 }), { maxItems: 20 }),
  lastPhase: Type.Boolean(),
});
export type PhaseSpec = Static<typeof PhaseSpecSchema>;

/** The product plan made once per new project and sent with every later prompt. */
export const BlueprintSchema = Type.Object({
  title: Type.String({ minLength: 1, maxLength: 200 }),
  description: Type.String({ maxLength: 4000 }),
  style: Type.Object({
    palette: Type.Array(Type.String({ maxLength: 100 }), { maxItems: 12 }),
    typography: Type.String({ maxLength: 500 }),
    layout: Type.String({ maxLength: 1000 }),
  }),
  views: Type.Array(Type.Object({ name: Type.String({ maxLength: 200 }), description: Type.String({ maxLength: 1000 }) }), {
    maxItems: 20,
  }),
  components: Type.Array(Type.String({ maxLength: 300 }), { maxItems: 40 }),
  dataModel: Type.String({ maxLength: 4000 }),
  roadmap: Type.Array(Type.Object({ name: Type.String({ maxLength: 200 }), description: Type.String({ maxLength: 1000 }) }), {
    maxItems: 6,
  }),
});
export type Blueprint = Static<typeof BlueprintSchema>;

export const UsageSchema = Type.Object({
  /** Input tokens, cached ones included (as providers count them). */
  promptTokens: Type.Integer({ minimum: 0 }),
  completionTokens: Type.Integer({ minimum: 0 }),
  /** The part of promptTokens the provider served from its prompt cache. */
  cachedTokens: Type.Optional(Type.Integer({ minimum: 0 })),
  /** Known cost in USD (reported by the provider or priced from the table); absent when unknown. */
  costUsd: Type.Optional(Type.Number({ minimum: 0 })),
});
export type Usage = Static<typeof UsageSchema>;

export const PHASE_STATUSES = ['designing', 'implementing', 'installing', 'starting', 'reviewing', 'done', 'failed', 'cancelled'] as const;
export type PhaseStatus = (typeof PHASE_STATUSES)[number];

export const PhaseRecordSchema = Type.Object({
  index: Type.Integer({ minimum: 0 }),
  round: Type.Integer({ minimum: 0 }),
  spec: Type.Union([PhaseSpecSchema, Type.Null()]),
  status: Type.Union(PHASE_STATUSES.map((s) => Type.Literal(s))),
  completedFiles: Type.Array(Type.String()),
  /** Tokens spent on this phase (design + implementation + fixes). */
  usage: Type.Optional(UsageSchema),
});
export type PhaseRecord = Static<typeof PhaseRecordSchema>;

export const DiagnosticSchema = Type.Object({
  source: Type.Union([Type.Literal('tsc'), Type.Literal('vite'), Type.Literal('runtime')]),
  file: Type.Union([Type.String(), Type.Null()]),
  line: Type.Union([Type.Integer(), Type.Null()]),
  column: Type.Union([Type.Integer(), Type.Null()]),
  message: Type.String(),
});
export type Diagnostic = Static<typeof DiagnosticSchema>;

/** The whole agent state as stored and as sent to a client on connect. */
export const AgentSnapshotSchema = Type.Object({
  projectId: Type.String(),
  state: AgentStateNameSchema,
  round: Type.Integer({ minimum: 0 }),
  phases: Type.Array(PhaseRecordSchema),
  currentPhase: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
  lastSeq: Type.Integer({ minimum: 0 }),
  lastError: Type.Union([Type.Object({ code: Type.String(), message: Type.String() }), Type.Null()]),
  previewUrl: Type.Union([Type.String(), Type.Null()]),
  usage: UsageSchema,
  offlineModel: Type.Boolean(),
  /** The project's blueprint, once the first design made one. */
  blueprint: Type.Optional(Type.Union([BlueprintSchema, Type.Null()])),
  /** Errors the last round's review could not fix (absent or empty: none). */
  problems: Type.Optional(Type.Array(DiagnosticSchema)),
});
export type AgentSnapshot = Static<typeof AgentSnapshotSchema>;

/** The state of a project whose agent has never run. */
export function initialSnapshot(projectId: string, offlineModel: boolean): AgentSnapshot {
  return {
    projectId,
    state: 'IDLE',
    round: 0,
    phases: [],
    currentPhase: null,
    lastSeq: 0,
    lastError: null,
    previewUrl: null,
    usage: { promptTokens: 0, completionTokens: 0 },
    offlineModel,
  };
}
