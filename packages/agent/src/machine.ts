import type { AgentSnapshot, AgentStateName, Blueprint, Diagnostic, ErrorInfo, PhaseRecord, PhaseSpec, Usage } from '@lathe/protocol';

/**
 * The agent's rules as one pure function. The runner performs the effects and feeds their
 * results back as events; nothing here does I/O, so every state × event pair is testable.
 */

export type RoundKind = 'generate' | 'message';

export type MachineEvent =
  | { type: 'generate'; description: string }
  | { type: 'message'; text: string }
  | { type: 'cancel' }
  | { type: 'get_state' }
  /** A loaded agent continues whatever its stored state was doing. */
  | { type: 'resume' }
  | { type: 'phase_designed'; spec: PhaseSpec }
  /** The design made or revised the project's blueprint. */
  | { type: 'blueprint_made'; blueprint: Blueprint }
  | { type: 'file_completed'; path: string }
  | { type: 'phase_implemented' }
  | { type: 'deps_installed' }
  | { type: 'server_started'; previewUrl: string | null }
  /** `problems`: the errors the review could not fix (empty: none). */
  | { type: 'review_done'; problems: Diagnostic[] }
  | { type: 'usage_recorded'; usage: Usage }
  | { type: 'failed'; error: ErrorInfo };

export type Effect =
  /** A new round starts: store the user's request. */
  | { type: 'record_request'; kind: RoundKind; text: string }
  /** Make the sandbox hold every stored file (it may be fresh). */
  | { type: 'sync_sandbox' }
  | { type: 'design_phase'; phaseIndex: number }
  | { type: 'implement_phase'; phaseIndex: number }
  | { type: 'install_deps'; phaseIndex: number }
  | { type: 'start_server'; phaseIndex: number }
  /** The phase is over: snapshot the project's files. */
  | { type: 'phase_done'; phaseIndex: number }
  | { type: 'review' }
  | { type: 'round_complete' }
  | { type: 'round_failed'; error: ErrorInfo }
  /** Stop in-flight work (LLM request, install) at once. */
  | { type: 'abort_work' }
  | { type: 'report_state' }
  | { type: 'rejected'; error: ErrorInfo };

export interface Rules {
  phaseBudget: number;
}

export interface Transition {
  state: AgentSnapshot;
  effects: Effect[];
}

export const RESTING_STATES: readonly AgentStateName[] = ['IDLE', 'COMPLETE', 'ERROR', 'CANCELLED'];

const STATUS_BY_STATE: Partial<Record<AgentStateName, PhaseRecord['status']>> = {
  DESIGNING_PHASE: 'designing',
  IMPLEMENTING_PHASE: 'implementing',
  INSTALLING_DEPS: 'installing',
  STARTING_SERVER: 'starting',
  REVIEWING: 'reviewing',
};

/** What a state does when entered (or resumed). */
function workFor(state: AgentSnapshot): Effect[] {
  const i = state.currentPhase ?? 0;
  switch (state.state) {
    case 'DESIGNING_PHASE':
      return [{ type: 'design_phase', phaseIndex: i }];
    case 'IMPLEMENTING_PHASE':
      return [{ type: 'implement_phase', phaseIndex: i }];
    case 'INSTALLING_DEPS':
      return [{ type: 'install_deps', phaseIndex: i }];
    case 'STARTING_SERVER':
      return [{ type: 'start_server', phaseIndex: i }];
    case 'REVIEWING':
      return [{ type: 'review' }];
    default:
      return [];
  }
}

function withCurrentPhase(state: AgentSnapshot, patch: Partial<PhaseRecord>): PhaseRecord[] {
  const i = state.currentPhase;
  if (i === null) return state.phases;
  return state.phases.map((p) => (p.index === i ? { ...p, ...patch } : p));
}

/** Moves to `to`, keeping the current phase's status in step with the state. */
function enter(state: AgentSnapshot, to: AgentStateName, patch: Partial<AgentSnapshot> = {}): Transition {
  const next: AgentSnapshot = { ...state, ...patch, state: to };
  const status = STATUS_BY_STATE[to];
  if (status) next.phases = withCurrentPhase(next, { status });
  return { state: next, effects: workFor(next) };
}

function newPhase(state: AgentSnapshot): { phases: PhaseRecord[]; currentPhase: number } {
  const index = state.phases.length;
  return {
    phases: [...state.phases, { index, round: state.round, spec: null, status: 'designing', completedFiles: [] }],
    currentPhase: index,
  };
}

function startRound(state: AgentSnapshot, kind: RoundKind, text: string): Transition {
  if (!RESTING_STATES.includes(state.state)) {
    return {
      state,
      effects: [{ type: 'rejected', error: { code: 'agent_busy', message: `The agent is busy (${state.state}); cancel it or wait.` } }],
    };
  }
  if (text.trim() === '') {
    return { state, effects: [{ type: 'rejected', error: { code: 'invalid_input', message: 'The request is empty.' } }] };
  }
  const base: AgentSnapshot = { ...state, round: state.round + 1, lastError: null, problems: [] };
  const t = enter(base, 'DESIGNING_PHASE', newPhase(base));
  return { state: t.state, effects: [{ type: 'record_request', kind, text }, { type: 'sync_sandbox' }, ...t.effects] };
}

const ignore = (state: AgentSnapshot): Transition => ({ state, effects: [] });

function phasesInRound(state: AgentSnapshot): number {
  return state.phases.filter((p) => p.round === state.round).length;
}

export function transition(state: AgentSnapshot, event: MachineEvent, rules: Rules): Transition {
  const active = !RESTING_STATES.includes(state.state);
  switch (event.type) {
    case 'get_state':
      return { state, effects: [{ type: 'report_state' }] };
    case 'generate':
      return startRound(state, 'generate', event.description);
    case 'message':
      return startRound(state, 'message', event.text);
    case 'cancel': {
      if (!active) return ignore(state);
      const next = { ...state, state: 'CANCELLED' as const, phases: withCurrentPhase(state, { status: 'cancelled' }) };
      return { state: next, effects: [{ type: 'abort_work' }] };
    }
    case 'resume':
      if (!active) return ignore(state);
      return { state, effects: [{ type: 'sync_sandbox' }, ...workFor(state)] };
    case 'failed': {
      if (!active) return ignore(state);
      const next: AgentSnapshot = {
        ...state,
        state: 'ERROR',
        lastError: event.error,
        phases: withCurrentPhase(state, { status: 'failed' }),
      };
      return { state: next, effects: [{ type: 'abort_work' }, { type: 'round_failed', error: event.error }] };
    }
    case 'blueprint_made':
      if (state.state !== 'DESIGNING_PHASE') return ignore(state);
      return { state: { ...state, blueprint: event.blueprint }, effects: [] };
    case 'phase_designed':
      if (state.state !== 'DESIGNING_PHASE') return ignore(state);
      return enter({ ...state, phases: withCurrentPhase(state, { spec: event.spec }) }, 'IMPLEMENTING_PHASE');
    case 'file_completed': {
      if (state.state !== 'IMPLEMENTING_PHASE') return ignore(state);
      const current = state.phases.find((p) => p.index === state.currentPhase);
      if (!current || current.completedFiles.includes(event.path)) return ignore(state);
      return {
        state: { ...state, phases: withCurrentPhase(state, { completedFiles: [...current.completedFiles, event.path] }) },
        effects: [],
      };
    }
    case 'phase_implemented':
      if (state.state !== 'IMPLEMENTING_PHASE') return ignore(state);
      return enter(state, 'INSTALLING_DEPS');
    case 'deps_installed':
      if (state.state !== 'INSTALLING_DEPS') return ignore(state);
      return enter(state, 'STARTING_SERVER');
    case 'server_started': {
      if (state.state !== 'STARTING_SERVER') return ignore(state);
      const i = state.currentPhase ?? 0;
      const current = state.phases.find((p) => p.index === i);
      const done: AgentSnapshot = { ...state, previewUrl: event.previewUrl, phases: withCurrentPhase(state, { status: 'done' }) };
      const last = current?.spec?.lastPhase === true || phasesInRound(state) >= rules.phaseBudget;
      const t = last ? enter(done, 'REVIEWING') : enter(done, 'DESIGNING_PHASE', newPhase(done));
      return { state: t.state, effects: [{ type: 'phase_done', phaseIndex: i }, ...t.effects] };
    }
    case 'usage_recorded': {
      if (!active) return ignore(state);
      const cost = event.usage.costUsd;
      const add = (u: Usage | undefined): Usage => ({
        promptTokens: (u?.promptTokens ?? 0) + event.usage.promptTokens,
        completionTokens: (u?.completionTokens ?? 0) + event.usage.completionTokens,
        cachedTokens: (u?.cachedTokens ?? 0) + (event.usage.cachedTokens ?? 0),
        // A cost stays absent until some call had one: "unknown" is not "$0".
        ...(u?.costUsd === undefined && cost === undefined ? {} : { costUsd: (u?.costUsd ?? 0) + (cost ?? 0) }),
      });
      const current = state.phases.find((p) => p.index === state.currentPhase);
      return { state: { ...state, usage: add(state.usage), phases: withCurrentPhase(state, { usage: add(current?.usage) }) }, effects: [] };
    }
    case 'review_done':
      if (state.state !== 'REVIEWING') return ignore(state);
      return {
        state: { ...state, state: 'COMPLETE', problems: event.problems, phases: withCurrentPhase(state, { status: 'done' }) },
        effects: [{ type: 'round_complete' }],
      };
  }
}
