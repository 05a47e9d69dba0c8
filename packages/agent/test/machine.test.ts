import {
  AGENT_STATES,
  type AgentSnapshot,
  AgentSnapshotSchema,
  type AgentStateName,
  initialSnapshot,
  type PhaseSpec,
} from '@lathe/protocol';
import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import { type Effect, type MachineEvent, RESTING_STATES, transition } from '../src/machine';

const rules = { phaseBudget: 6 };
const spec = (lastPhase: boolean): PhaseSpec => ({
  name: 'Core',
  description: 'd',
  files: [{ path: 'src/App.tsx', purpose: 'p' }],
  installCommands: [],
  lastPhase,
});

/** A snapshot in `state` with one phase of round 1 in progress (for active states). */
function inState(state: AgentStateName, lastPhase = false): AgentSnapshot {
  const s = initialSnapshot('p1', true);
  if (state === 'IDLE') return s;
  return {
    ...s,
    state,
    round: 1,
    currentPhase: 0,
    phases: [
      { index: 0, round: 1, spec: state === 'DESIGNING_PHASE' ? null : spec(lastPhase), status: 'implementing', completedFiles: [] },
    ],
  };
}

const EVENTS: MachineEvent[] = [
  { type: 'generate', description: 'a todo app' },
  { type: 'message', text: 'make it dark' },
  { type: 'cancel' },
  { type: 'get_state' },
  { type: 'resume' },
  { type: 'phase_designed', spec: spec(false) },
  {
    type: 'blueprint_made',
    blueprint: {
      title: 'Todo',
      description: 'A todo list.',
      style: { palette: ['#0f172a'], typography: 'Inter', layout: 'one column' },
      views: [{ name: 'List', description: 'All todos' }],
      components: ['TodoItem'],
      dataModel: 'Todo { id, text, done } in localStorage',
      roadmap: [{ name: 'Core', description: 'Add and toggle' }],
    },
  },
  { type: 'file_completed', path: 'src/App.tsx' },
  { type: 'phase_implemented' },
  { type: 'deps_installed' },
  { type: 'server_started', previewUrl: 'http://preview' },
  { type: 'review_done', problems: [] },
  { type: 'usage_recorded', usage: { promptTokens: 10, completionTokens: 5 } },
  { type: 'failed', error: { code: 'boom', message: 'Boom.' } },
];

type Expect = { to: AgentStateName | 'same'; effects: Effect['type'][] };
const WORK: Partial<Record<AgentStateName, Effect['type']>> = {
  DESIGNING_PHASE: 'design_phase',
  IMPLEMENTING_PHASE: 'implement_phase',
  INSTALLING_DEPS: 'install_deps',
  STARTING_SERVER: 'start_server',
  REVIEWING: 'review',
};

/** The rule table, written out: every state × every event. */
function expected(state: AgentStateName, event: MachineEvent['type']): Expect {
  const resting = RESTING_STATES.includes(state);
  const same = (...effects: Effect['type'][]): Expect => ({ to: 'same', effects });
  if (event === 'get_state') return same('report_state');
  if (resting) {
    if (event === 'generate' || event === 'message')
      return { to: 'DESIGNING_PHASE', effects: ['record_request', 'sync_sandbox', 'design_phase'] };
    return same();
  }
  const table: Partial<Record<MachineEvent['type'], Expect>> = {
    generate: same('rejected'),
    message: same('rejected'),
    cancel: { to: 'CANCELLED', effects: ['abort_work'] },
    resume: same('sync_sandbox', WORK[state] as Effect['type']),
    failed: { to: 'ERROR', effects: ['abort_work', 'round_failed'] },
    usage_recorded: same(),
  };
  const own: Partial<Record<AgentStateName, [MachineEvent['type'], Expect]>> = {
    DESIGNING_PHASE: ['phase_designed', { to: 'IMPLEMENTING_PHASE', effects: ['implement_phase'] }],
    IMPLEMENTING_PHASE: ['phase_implemented', { to: 'INSTALLING_DEPS', effects: ['install_deps'] }],
    INSTALLING_DEPS: ['deps_installed', { to: 'STARTING_SERVER', effects: ['start_server'] }],
    STARTING_SERVER: ['server_started', { to: 'DESIGNING_PHASE', effects: ['phase_done', 'design_phase'] }],
    REVIEWING: ['review_done', { to: 'COMPLETE', effects: ['round_complete'] }],
  };
  const mine = own[state];
  if (mine && mine[0] === event) return mine[1];
  return table[event] ?? same();
}

describe('transition: every state × every event', () => {
  for (const state of AGENT_STATES) {
    for (const event of EVENTS) {
      it(`${state} + ${event.type}`, () => {
        const before = inState(state);
        const frozen = structuredClone(before);
        const t = transition(before, event, rules);
        const want = expected(state, event.type);
        expect(t.state.state).toBe(want.to === 'same' ? state : want.to);
        expect(t.effects.map((e) => e.type)).toEqual(want.effects);
        expect(before).toEqual(frozen);
        expect(Value.Check(AgentSnapshotSchema, t.state)).toBe(true);
        const changesData =
          event.type === 'usage_recorded' ||
          event.type === 'file_completed' ||
          (event.type === 'blueprint_made' && state === 'DESIGNING_PHASE');
        if (want.to === 'same' && want.effects.length === 0 && !changesData) {
          expect(t.state).toBe(before);
        }
      });
    }
  }
});

describe('transition rules', () => {
  it('a round runs design → implement → install → start → review → complete for a one-phase design', () => {
    let s = initialSnapshot('p', false);
    const seen: string[] = [];
    const step = (e: MachineEvent) => {
      s = transition(s, e, rules).state;
      seen.push(s.state);
    };
    step({ type: 'generate', description: 'x' });
    step({ type: 'phase_designed', spec: spec(true) });
    step({ type: 'file_completed', path: 'src/App.tsx' });
    step({ type: 'file_completed', path: 'src/App.tsx' });
    step({ type: 'phase_implemented' });
    step({ type: 'deps_installed' });
    step({ type: 'server_started', previewUrl: 'u' });
    step({ type: 'review_done', problems: [] });
    expect(seen).toEqual([
      'DESIGNING_PHASE',
      'IMPLEMENTING_PHASE',
      'IMPLEMENTING_PHASE',
      'IMPLEMENTING_PHASE',
      'INSTALLING_DEPS',
      'STARTING_SERVER',
      'REVIEWING',
      'COMPLETE',
    ]);
    expect(s.phases).toHaveLength(1);
    expect(s.phases[0]?.completedFiles).toEqual(['src/App.tsx']);
    expect(s.phases[0]?.status).toBe('done');
    expect(s.previewUrl).toBe('u');
    expect(s.round).toBe(1);
  });

  it('a phase that is not the last starts the next design; the budget caps a round', () => {
    let s = transition(initialSnapshot('p', false), { type: 'generate', description: 'x' }, { phaseBudget: 2 }).state;
    for (let i = 0; i < 2; i++) {
      s = transition(s, { type: 'phase_designed', spec: spec(false) }, { phaseBudget: 2 }).state;
      s = transition(s, { type: 'phase_implemented' }, { phaseBudget: 2 }).state;
      s = transition(s, { type: 'deps_installed' }, { phaseBudget: 2 }).state;
      s = transition(s, { type: 'server_started', previewUrl: null }, { phaseBudget: 2 }).state;
      expect(s.state).toBe(i === 0 ? 'DESIGNING_PHASE' : 'REVIEWING');
    }
    expect(s.phases.map((p) => p.index)).toEqual([0, 1]);
    expect(s.currentPhase).toBe(1);
  });

  it('a follow-up round adds phases after the earlier round', () => {
    const done: AgentSnapshot = {
      ...inState('COMPLETE'),
      phases: [{ index: 0, round: 1, spec: spec(true), status: 'done', completedFiles: [] }],
    };
    const t = transition(done, { type: 'message', text: 'make it dark' }, rules);
    expect(t.state.round).toBe(2);
    expect(t.state.phases.map((p) => [p.index, p.round, p.status])).toEqual([
      [0, 1, 'done'],
      [1, 2, 'designing'],
    ]);
    expect(t.effects[0]).toEqual({ type: 'record_request', kind: 'message', text: 'make it dark' });
  });

  it('rejects an empty request and a request while busy with a code', () => {
    const empty = transition(initialSnapshot('p', false), { type: 'generate', description: '   ' }, rules);
    expect(empty.effects).toEqual([{ type: 'rejected', error: expect.objectContaining({ code: 'invalid_input' }) }]);
    const busy = transition(inState('IMPLEMENTING_PHASE'), { type: 'generate', description: 'x' }, rules);
    expect(busy.effects).toEqual([{ type: 'rejected', error: expect.objectContaining({ code: 'agent_busy' }) }]);
  });

  it('failure records the error and marks the phase failed; cancel marks it cancelled', () => {
    const f = transition(inState('INSTALLING_DEPS'), { type: 'failed', error: { code: 'x', message: 'X.' } }, rules).state;
    expect(f.lastError).toEqual({ code: 'x', message: 'X.' });
    expect(f.phases[0]?.status).toBe('failed');
    const c = transition(inState('IMPLEMENTING_PHASE'), { type: 'cancel' }, rules).state;
    expect(c.phases[0]?.status).toBe('cancelled');
  });

  it('usage adds up per phase and in total', () => {
    let s = inState('IMPLEMENTING_PHASE');
    s = transition(s, { type: 'usage_recorded', usage: { promptTokens: 3, completionTokens: 4 } }, rules).state;
    s = transition(s, { type: 'usage_recorded', usage: { promptTokens: 1, completionTokens: 1 } }, rules).state;
    expect(s.usage).toStrictEqual({ promptTokens: 4, completionTokens: 5, cachedTokens: 0 });
    expect(s.phases[0]?.usage).toStrictEqual({ promptTokens: 4, completionTokens: 5, cachedTokens: 0 });
    s = transition(
      s,
      { type: 'usage_recorded', usage: { promptTokens: 10, completionTokens: 2, cachedTokens: 6, costUsd: 0.25 } },
      rules,
    ).state;
    s = transition(s, { type: 'usage_recorded', usage: { promptTokens: 1, completionTokens: 1, cachedTokens: 1 } }, rules).state;
    s = transition(s, { type: 'usage_recorded', usage: { promptTokens: 1, completionTokens: 1, costUsd: 0.5 } }, rules).state;
    expect(s.usage).toStrictEqual({ promptTokens: 16, completionTokens: 9, cachedTokens: 7, costUsd: 0.75 });
    expect(s.phases[0]?.usage).toStrictEqual({ promptTokens: 16, completionTokens: 9, cachedTokens: 7, costUsd: 0.75 });
  });
});
