import type { AgentEvent, AgentSnapshot, NewEvent } from '@lathe/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type FileStream,
  hasWholeContent,
  initialStreamState,
  isFileDone,
  LOG_CAP,
  type StreamAction,
  type StreamState,
  selectAgentState,
  selectCurrentError,
  selectMessages,
  selectPhases,
  selectPreviewUrl,
  selectProblems,
  selectStreamingPaths,
  streamReducer,
} from '../src/lib/reducer';

/** Numbers a list of events the way the server's event log does. */
function sequence(events: NewEvent[], first = 1): AgentEvent[] {
  return events.map(
    (e, i) => ({ ...e, seq: first + i, projectId: 'p1', at: new Date(Date.UTC(2026, 0, 1, 0, 0, first + i)).toISOString() }) as AgentEvent,
  );
}

function fold(events: readonly AgentEvent[], state: StreamState = initialStreamState): StreamState {
  return events.reduce((s, event) => streamReducer(s, { type: 'event', event }), state);
}

const spec = (name: string, files: string[], lastPhase = false) => ({
  name,
  description: `${name} description`,
  files: files.map((path) => ({ path, purpose: 'p' })),
  installCommands: [],
  lastPhase,
});

/** A whole round: two phases, a retried file stream, logs, a message, preview and completion. */
const round: AgentEvent[] = sequence([
  { type: 'message', payload: { id: 'm1', role: 'user', content: 'a todo app' } },
  { type: 'state_change', payload: { from: 'IDLE', to: 'DESIGNING_PHASE' } },
  { type: 'phase_designing', payload: { phaseIndex: 0 } },
  { type: 'phase_designed', payload: { phaseIndex: 0, phase: spec('Skeleton', ['src/App.tsx', 'src/main.tsx']) } },
  { type: 'state_change', payload: { from: 'DESIGNING_PHASE', to: 'IMPLEMENTING_PHASE' } },
  { type: 'file_start', payload: { phaseIndex: 0, path: 'src/App.tsx' } },
  { type: 'file_chunk', payload: { path: 'src/App.tsx', chunk: 'export def' } },
  // The stream broke and was retried: the file starts again.
  { type: 'file_start', payload: { phaseIndex: 0, path: 'src/App.tsx' } },
  { type: 'file_chunk', payload: { path: 'src/App.tsx', chunk: 'export default function App() {\n' } },
  { type: 'file_chunk', payload: { path: 'src/App.tsx', chunk: '  return <h1>Todo</h1>;\n}\n' } },
  { type: 'file_end', payload: { phaseIndex: 0, path: 'src/App.tsx', hash: 'h1', size: 58 } },
  { type: 'file_start', payload: { phaseIndex: 0, path: 'src/main.tsx' } },
  { type: 'file_chunk', payload: { path: 'src/main.tsx', chunk: 'import "./App";\n' } },
  { type: 'file_end', payload: { phaseIndex: 0, path: 'src/main.tsx', hash: 'h2', size: 16 } },
  { type: 'state_change', payload: { from: 'IMPLEMENTING_PHASE', to: 'INSTALLING_DEPS' } },
  { type: 'log', payload: { source: 'install', stream: 'stdout', text: 'added 3 packages' } },
  { type: 'state_change', payload: { from: 'INSTALLING_DEPS', to: 'STARTING_SERVER' } },
  { type: 'log', payload: { source: 'dev', stream: 'stdout', text: 'VITE ready' } },
  { type: 'server_started', payload: { previewUrl: 'http://abc.preview.localhost:3000/' } },
  { type: 'state_change', payload: { from: 'STARTING_SERVER', to: 'DESIGNING_PHASE' } },
  { type: 'phase_designing', payload: { phaseIndex: 1 } },
  { type: 'phase_designed', payload: { phaseIndex: 1, phase: spec('Polish', ['src/index.css'], true) } },
  { type: 'llm_usage', payload: { role: 'designer', model: 'm', promptTokens: 100, completionTokens: 20, cachedTokens: 0, costUsd: 0.01 } },
  { type: 'state_change', payload: { from: 'DESIGNING_PHASE', to: 'IMPLEMENTING_PHASE' } },
  { type: 'file_start', payload: { phaseIndex: 1, path: 'src/index.css' } },
  { type: 'file_chunk', payload: { path: 'src/index.css', chunk: 'body{}' } },
  { type: 'file_end', payload: { phaseIndex: 1, path: 'src/index.css', hash: 'h3', size: 6 } },
  {
    type: 'llm_usage',
    payload: { role: 'implementer', model: 'm', promptTokens: 900, completionTokens: 300, cachedTokens: 400, costUsd: null },
  },
  { type: 'review_result', payload: { round: 0, errors: [], fixed: false } },
  { type: 'message', payload: { id: 'm2', role: 'assistant', content: 'Built it.' } },
  { type: 'generation_complete', payload: { round: 0, phases: 2, files: 3 } },
  { type: 'state_change', payload: { from: 'IMPLEMENTING_PHASE', to: 'COMPLETE' } },
]);

describe('streamReducer, in order', () => {
  const state = fold(round);

  it('keeps every model call, in seq order', () => {
    expect(state.usage.map((u) => [u.role, u.promptTokens, u.costUsd])).toEqual([
      ['designer', 100, 0.01],
      ['implementer', 900, null],
    ]);
    expect(state.usage[0]?.seq).toBeLessThan(state.usage[1]?.seq ?? 0);
  });

  it('assembles files from their chunks, keeping only the latest attempt', () => {
    expect(state.files['src/App.tsx']?.content).toBe('export default function App() {\n  return <h1>Todo</h1>;\n}\n');
    expect(state.files['src/main.tsx']?.content).toBe('import "./App";\n');
    expect(state.files['src/App.tsx']?.hash).toBe('h1');
    expect(selectStreamingPaths(state)).toEqual([]);
    expect(state.lastSeq).toBe(round.length);
  });

  it('builds the phase timeline and follows the agent state', () => {
    expect(selectAgentState(state)).toBe('COMPLETE');
    expect(selectPhases(state)).toEqual([
      {
        index: 0,
        name: 'Skeleton',
        description: 'Skeleton description',
        files: [
          { path: 'src/App.tsx', done: true },
          { path: 'src/main.tsx', done: true },
        ],
        status: 'done',
        current: false,
        thumbnail: null,
      },
      {
        index: 1,
        name: 'Polish',
        description: 'Polish description',
        files: [{ path: 'src/index.css', done: true }],
        status: 'done',
        current: true,
        thumbnail: null,
      },
    ]);
    expect(selectPreviewUrl(state)).toBe('http://abc.preview.localhost:3000/');
    expect(selectMessages(state).map((m) => m.content)).toEqual(['a todo app', 'Built it.']);
    expect(state.logs.filter((l) => l.source !== 'agent').map((l) => l.text)).toEqual(['added 3 packages', 'VITE ready']);
    expect(state.logs.map((l) => l.text)).toContain('Dev server ready at http://abc.preview.localhost:3000/');
    expect(state.logs.map((l) => l.text)).toContain('Wrote src/App.tsx (58 bytes)');
    expect(state.logs.map((l) => l.text)).toContain('IMPLEMENTING_PHASE → COMPLETE');
    expect(state.logs.at(-2)?.text).toBe('Review: no errors');
    expect(state.completed?.files).toBe(3);
  });

  it("keeps each phase's newest browser check: its thumbnail, and its errors as the open problems until a newer check", () => {
    const boom = { source: 'runtime' as const, file: 'src/App.tsx', line: 4, column: null, message: 'Uncaught in the browser: boom' };
    const checked = fold(
      sequence(
        [
          {
            type: 'render_checked',
            payload: {
              phaseIndex: 1,
              status: 'checked',
              note: null,
              blank: true,
              errors: [boom],
              screenshot: 'data:image/jpeg;base64,AA==',
              ms: 900,
            },
          },
        ],
        round.length + 1,
      ),
      state,
    );
    expect(selectPhases(checked)[1]?.thumbnail).toBe('data:image/jpeg;base64,AA==');
    expect(selectPhases(checked)[0]?.thumbnail).toBeNull();
    expect(selectProblems(checked)).toEqual([boom]);
    expect(checked.logs.at(-1)?.text).toBe('Preview checked in a browser (900 ms): 1 error, blank page');
    // A later review that found nothing clears them.
    const reviewed = fold(sequence([{ type: 'review_result', payload: { round: 1, errors: [], fixed: true } }], round.length + 2), checked);
    expect(selectProblems(reviewed)).toEqual([]);
  });

  it('shows a file streaming while it is being written', () => {
    const mid = fold(round.slice(0, 9));
    expect(selectStreamingPaths(mid)).toEqual(['src/App.tsx']);
    expect(mid.files['src/App.tsx']?.content).toBe('export default function App() {\n');
    expect(selectAgentState(mid)).toBe('IMPLEMENTING_PHASE');
    expect(selectPhases(mid)[0]).toMatchObject({
      status: 'implementing',
      current: true,
      files: [
        { path: 'src/App.tsx', done: false },
        { path: 'src/main.tsx', done: false },
      ],
    });
  });

  it('does not keep showing a file as being written once the round stopped', () => {
    const stopped = fold(
      sequence([{ type: 'state_change', payload: { from: 'IMPLEMENTING_PHASE', to: 'CANCELLED' } }], round.length + 1),
      fold(round.slice(0, 9)),
    );
    expect(selectStreamingPaths(stopped)).toEqual([]);
    expect(isFileDone(stopped.files['src/App.tsx'] as FileStream)).toBe(false);
    expect(selectPhases(stopped)[0]?.status).toBe('cancelled');
  });

  it('reports the error that ended a round', () => {
    const failed = fold(
      sequence(
        [
          { type: 'error', payload: { code: 'llm_failed', message: 'The model stopped answering' } },
          { type: 'state_change', payload: { from: 'IMPLEMENTING_PHASE', to: 'ERROR' } },
        ],
        round.length + 1,
      ),
      fold(round.slice(0, 9)),
    );
    expect(selectCurrentError(failed)).toEqual({ code: 'llm_failed', message: 'The model stopped answering' });
    expect(selectPhases(failed)[0]?.status).toBe('failed');
    expect(selectCurrentError(state)).toBeNull();
  });
});

describe('streamReducer, duplicates and reordering', () => {
  const expected = fold(round);

  it('ignores a replayed stream (a reconnect that resumes too early)', () => {
    expect(fold(round, expected)).toEqual(expected);
    expect(fold(round.slice(5, 12), expected)).toBe(expected);
  });

  it('gives the same state for any arrival order with any duplicates', () => {
    const arrival = fc
      .array(fc.nat(round.length - 1), { maxLength: 15 })
      .chain((dups) =>
        fc.shuffledSubarray([...round, ...dups.map((i) => round[i] as AgentEvent)], { minLength: round.length + dups.length }),
      );
    fc.assert(
      fc.property(arrival, (events) => {
        expect(fold(events)).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('drops chunks of an abandoned attempt even when the newer file_start arrives last', () => {
    const late = [...round.slice(0, 7), ...round.slice(8, 11), round[7] as AgentEvent];
    expect(fold(late).files['src/App.tsx']?.content).toBe(expected.files['src/App.tsx']?.content);
  });

  it('keeps only the newest log lines', () => {
    const logs = sequence(
      Array.from(
        { length: LOG_CAP + 10 },
        (_, i) => ({ type: 'log', payload: { source: 'dev', stream: 'stdout', text: `line ${i}` } }) as const,
      ),
    );
    const state = fold([...logs].reverse());
    expect(state.logs).toHaveLength(LOG_CAP);
    expect(state.logs[0]?.text).toBe('line 10');
    expect(state.logs.at(-1)?.text).toBe(`line ${LOG_CAP + 9}`);
  });
});

describe('streamReducer, after the server compacted a round', () => {
  const file = (state: StreamState, path: string) => state.files[path] as FileStream;

  it('knows a streamed file is whole, and a file with non-ASCII text by its UTF-8 size', () => {
    const state = fold(round);
    for (const path of ['src/App.tsx', 'src/main.tsx', 'src/index.css']) expect(hasWholeContent(file(state, path))).toBe(true);
    const text = 'const s = "héllo 👋";\n';
    const utf8 = fold(
      sequence([
        { type: 'file_start', payload: { phaseIndex: 0, path: 'a.ts' } },
        { type: 'file_chunk', payload: { path: 'a.ts', chunk: text } },
        { type: 'file_end', payload: { phaseIndex: 0, path: 'a.ts', hash: 'h', size: new TextEncoder().encode(text).length } },
      ]),
    );
    expect(hasWholeContent(file(utf8, 'a.ts'))).toBe(true);
  });

  it('a replay without the chunks marks done files as not whole, so the IDE reads them over REST', () => {
    const compacted = round.filter((e) => e.type !== 'file_chunk');
    const state = fold(compacted);
    for (const path of ['src/App.tsx', 'src/main.tsx', 'src/index.css']) {
      expect(isFileDone(file(state, path))).toBe(true);
      expect(hasWholeContent(file(state, path))).toBe(false);
    }
    // A client that saw the first chunks live, dropped, and resumed after compaction.
    const cut = round.findIndex((e) => e.type === 'file_chunk' && e.payload.chunk.startsWith('export default'));
    const resumed = fold(
      compacted.filter((e) => e.seq > (round[cut]?.seq ?? 0)),
      fold(round.slice(0, cut + 1)),
    );
    expect(file(resumed, 'src/App.tsx').content).toBe('export default function App() {\n');
    expect(hasWholeContent(file(resumed, 'src/App.tsx'))).toBe(false);
    expect(hasWholeContent(file(resumed, 'src/main.tsx'))).toBe(false);
  });
});

describe('streamReducer, snapshots', () => {
  const snapshot = (lastSeq: number, state: AgentSnapshot['state']): AgentSnapshot => ({
    projectId: 'p1',
    state,
    round: 0,
    phases: [{ index: 0, round: 0, spec: spec('Skeleton', ['src/App.tsx']), status: 'done', completedFiles: ['src/App.tsx'] }],
    currentPhase: 0,
    lastSeq,
    lastError: null,
    previewUrl: 'http://snap.preview.localhost:3000/',
    usage: { promptTokens: 0, completionTokens: 0 },
    offlineModel: true,
  });

  it('lets events newer than the snapshot win, and older ones not', () => {
    const actions: StreamAction[] = [
      { type: 'snapshot', snapshot: snapshot(10, 'COMPLETE') },
      ...round.slice(0, 9).map((event) => ({ type: 'event', event }) as const),
    ];
    const state = actions.reduce(streamReducer, initialStreamState);
    // Every event is older than the snapshot: the snapshot's state and timeline stand.
    expect(selectAgentState(state)).toBe('COMPLETE');
    expect(selectPreviewUrl(state)).toBe('http://snap.preview.localhost:3000/');
    expect(selectPhases(state)[0]).toMatchObject({
      name: 'Skeleton',
      status: 'done',
      files: [
        { path: 'src/App.tsx', done: true },
        { path: 'src/main.tsx', done: false },
      ],
    });

    const newer = streamReducer(state, {
      type: 'event',
      event: sequence([{ type: 'state_change', payload: { from: 'COMPLETE', to: 'DESIGNING_PHASE' } }], 11)[0] as AgentEvent,
    });
    expect(selectAgentState(newer)).toBe('DESIGNING_PHASE');
  });

  it('never goes back to an older snapshot', () => {
    const state = [snapshot(20, 'COMPLETE'), snapshot(5, 'IMPLEMENTING_PHASE')].reduce(
      (s, snap) => streamReducer(s, { type: 'snapshot', snapshot: snap }),
      initialStreamState,
    );
    expect(selectAgentState(state)).toBe('COMPLETE');
  });
});

describe('version history events', () => {
  const version = (seq: number, kind: 'phase' | 'edit' | 'restore') => ({
    seq,
    kind,
    label: `v${seq}`,
    round: kind === 'phase' ? 1 : null,
    phaseIndex: kind === 'phase' ? 0 : null,
    restoredFrom: kind === 'restore' ? 1 : null,
    treeHash: `t${seq}`,
    fileCount: 1,
    totalBytes: 1,
    changes: { added: [], modified: [], deleted: [] },
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
  });
  // The agent wrote and deleted files, then the user restored version 1, then the agent wrote again.
  const events = sequence([
    { type: 'file_start', payload: { phaseIndex: 0, path: 'src/App.tsx' } },
    { type: 'file_chunk', payload: { path: 'src/App.tsx', chunk: 'broken' } },
    { type: 'file_end', payload: { phaseIndex: 0, path: 'src/App.tsx', hash: 'h', size: 6 } },
    { type: 'file_deleted', payload: { phaseIndex: 0, path: 'src/Old.tsx' } },
    { type: 'version_created', payload: { version: version(2, 'phase'), written: [], deleted: [] } },
    { type: 'version_created', payload: { version: version(3, 'restore'), written: ['src/App.tsx', 'src/Old.tsx'], deleted: [] } },
    { type: 'file_start', payload: { phaseIndex: 1, path: 'src/New.tsx' } },
    { type: 'file_chunk', payload: { path: 'src/New.tsx', chunk: 'new' } },
    { type: 'file_end', payload: { phaseIndex: 1, path: 'src/New.tsx', hash: 'n', size: 3 } },
  ]);

  it('a restore drops the streamed files and deletions from before it, in any order', () => {
    fc.assert(
      fc.property(fc.shuffledSubarray(events, { minLength: events.length }), (shuffled) => {
        const state = fold(shuffled);
        expect(state.restoredSeq).toBe(6);
        expect(state.versionSeq).toBe(6);
        expect(Object.keys(state.files)).toEqual(['src/New.tsx']);
        expect(state.removed).toEqual({});
      }),
    );
  });
});
