import {
  type AgentEvent,
  type AgentSnapshot,
  type AgentStateName,
  type Blueprint,
  type Diagnostic,
  type ErrorInfo,
  type EventOf,
  type FilesChanged,
  isActiveState,
  type LogSource,
  type PhaseSpec,
  type PhaseStatus,
} from '@lathe/protocol';

/**
 * The project stream folded into UI state.
 *
 * Every field is a merge that depends only on the SET of events seen, never on their arrival
 * order: "latest by seq wins" registers, seq-sorted lists and max-seq markers. So duplicates are
 * no-ops and reordering is harmless by construction, with no seen-set that grows forever.
 */
export interface StreamState {
  /** Highest seq folded in; a reconnect resumes after it. */
  lastSeq: number;
  snapshot: AgentSnapshot | null;
  /** The latest state_change (by seq). */
  stateChange: { seq: number; to: AgentStateName } | null;
  preview: { seq: number; url: string | null } | null;
  files: Readonly<Record<string, FileStream>>;
  phases: Readonly<Record<number, PhaseInfo>>;
  messages: Readonly<Record<string, StreamMessage>>;
  /** The newest LOG_CAP log lines, seq-ascending. */
  logs: readonly LogLine[];
  errors: readonly SeqError[];
  reviews: readonly Review[];
  completed: { seq: number; round: number; phases: number; files: number } | null;
  /** Every model call's tokens and cost, seq-ascending. */
  usage: readonly UsageRecord[];
  /** The latest blueprint_updated (by seq). */
  blueprint: { seq: number; blueprint: Blueprint } | null;
  /** Paths the agent deleted (or renamed away), with the seq it happened at. */
  removed: Readonly<Record<string, number>>;
  /** The newest render check of each phase (by seq). */
  renders: Readonly<Record<number, RenderInfo>>;
  /** Seq of the newest version_created event (0: none seen): the history has news. */
  versionSeq: number;
  /**
   * Seq of the newest restore of a version: the stored files were replaced then, so the agent's
   * streamed files and deletions from before it no longer describe them.
   */
  restoredSeq: number;
  /** The newest files_changed (a file operation in any tab): the file list and open tabs follow it. */
  fileOps: { seq: number; changes: FilesChanged } | null;
}

export type RenderInfo = { seq: number } & EventOf<'render_checked'>['payload'];

export type UsageRecord = { seq: number; at: string } & EventOf<'llm_usage'>['payload'];

export interface FileStream {
  path: string;
  phaseIndex: number;
  /** Seq of the latest file_start; 0 while only chunks have been seen. */
  startSeq: number;
  /** Chunks of the current attempt (seq > startSeq), seq-ascending. */
  chunks: readonly { seq: number; text: string }[];
  content: string;
  /** Seq of the latest file_end; the file is done when it is newer than startSeq. */
  endSeq: number;
  hash: string | null;
  /** Bytes (UTF-8) the latest file_end announced. */
  size: number | null;
}

export interface PhaseInfo {
  index: number;
  spec: PhaseSpec | null;
  /** Seq of the phase_designed event the spec came from: a redesign replaces an older one. */
  specSeq: number;
  completedFiles: readonly string[];
}

export interface StreamMessage {
  id: string;
  seq: number;
  at: string;
  role: 'user' | 'assistant' | 'system';
  content: string;
}

export interface LogLine {
  seq: number;
  at: string;
  source: LogSource;
  stream: 'stdout' | 'stderr';
  text: string;
}

export interface SeqError extends ErrorInfo {
  seq: number;
  at: string;
}

export interface Review {
  seq: number;
  round: number;
  errors: readonly Diagnostic[];
  fixed: boolean;
}

export type StreamAction =
  | { type: 'snapshot'; snapshot: AgentSnapshot }
  | { type: 'event'; event: AgentEvent }
  /** Frames that arrived within one animation frame, folded with a single render. */
  | { type: 'batch'; actions: readonly StreamAction[] };

export const LOG_CAP = 2000;

const FILE_EVENTS: ReadonlySet<AgentEvent['type']> = new Set([
  'file_start',
  'file_chunk',
  'file_end',
  'file_deleted',
  'file_renamed',
  'files_changed',
]);

export const initialStreamState: StreamState = {
  lastSeq: 0,
  snapshot: null,
  stateChange: null,
  preview: null,
  files: {},
  phases: {},
  messages: {},
  logs: [],
  errors: [],
  reviews: [],
  completed: null,
  usage: [],
  blueprint: null,
  removed: {},
  renders: {},
  versionSeq: 0,
  restoredSeq: 0,
  fileOps: null,
};

/** Inserts into a seq-ascending list; a seq already present is a duplicate and leaves the list as is. */
function insertBySeq<T extends { seq: number }>(list: readonly T[], item: T): readonly T[] {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const at = list[mid] as T;
    if (at.seq < item.seq) lo = mid + 1;
    else hi = mid;
  }
  if (list[lo]?.seq === item.seq) return list;
  if (lo === list.length) return [...list, item];
  return [...list.slice(0, lo), item, ...list.slice(lo)];
}

function emptyFile(path: string, phaseIndex: number): FileStream {
  return { path, phaseIndex, startSeq: 0, chunks: [], content: '', endSeq: 0, hash: null, size: null };
}

function withChunks(file: FileStream, chunks: readonly { seq: number; text: string }[]): FileStream {
  // Appends (the common case) extend the text; anything else rebuilds it.
  const last = chunks[chunks.length - 1];
  const appended = chunks.length === file.chunks.length + 1 && last !== undefined && chunks[chunks.length - 2] === file.chunks.at(-1);
  const content = appended ? file.content + last.text : chunks.map((c) => c.text).join('');
  return { ...file, chunks, content };
}

function foldFile(files: StreamState['files'], event: AgentEvent): StreamState['files'] {
  switch (event.type) {
    case 'file_start': {
      const { path, phaseIndex } = event.payload;
      const file = files[path] ?? emptyFile(path, phaseIndex);
      if (event.seq <= file.startSeq) return files;
      // A newer start begins the file again: chunks of the earlier attempt no longer count.
      const kept = file.chunks.filter((c) => c.seq > event.seq);
      return { ...files, [path]: withChunks({ ...file, phaseIndex, startSeq: event.seq }, kept) };
    }
    case 'file_chunk': {
      const { path, chunk } = event.payload;
      const file = files[path] ?? emptyFile(path, 0);
      if (event.seq <= file.startSeq) return files;
      const chunks = insertBySeq(file.chunks, { seq: event.seq, text: chunk });
      if (chunks === file.chunks) return files;
      return { ...files, [path]: withChunks(file, chunks) };
    }
    case 'file_end': {
      const { path, phaseIndex, hash, size } = event.payload;
      const file = files[path] ?? emptyFile(path, phaseIndex);
      if (event.seq <= file.endSeq) return files;
      return { ...files, [path]: { ...file, endSeq: event.seq, hash, size } };
    }
    default:
      return files;
  }
}

function foldPhase(phases: StreamState['phases'], index: number, change: (p: PhaseInfo) => PhaseInfo): StreamState['phases'] {
  const known = phases[index];
  const next = change(known ?? { index, spec: null, specSeq: 0, completedFiles: [] });
  return known && next === known ? phases : { ...phases, [index]: next };
}

/** Adds a log line keyed by the event's seq, keeping the newest LOG_CAP lines. */
function addLog(state: StreamState, event: AgentEvent, stream: LogLine['stream'], text: string, source: LogSource = 'agent'): StreamState {
  const logs = insertBySeq(state.logs, { seq: event.seq, at: event.at, source, stream, text });
  if (logs === state.logs) return state;
  return { ...state, logs: logs.length > LOG_CAP ? logs.slice(logs.length - LOG_CAP) : logs };
}

/** A restore replaced the stored files: what the stream knew of them before it is dropped. */
function foldRestore(state: StreamState, seq: number): StreamState {
  if (seq <= state.restoredSeq) return state;
  const files = Object.fromEntries(Object.entries(state.files).filter(([, f]) => f.startSeq > seq));
  const removed = Object.fromEntries(Object.entries(state.removed).filter(([, at]) => at > seq));
  return { ...state, restoredSeq: seq, files, removed };
}

function foldEvent(state: StreamState, event: AgentEvent): StreamState {
  const base: StreamState = event.seq > state.lastSeq ? { ...state, lastSeq: event.seq } : state;
  // File events from before a restore describe files that are gone (seen late, in a replay).
  if (event.seq < base.restoredSeq && FILE_EVENTS.has(event.type)) return base;
  switch (event.type) {
    case 'version_created': {
      const seen = event.seq > base.versionSeq ? { ...base, versionSeq: event.seq } : base;
      const { version } = event.payload;
      const restored = version.kind === 'restore' ? foldRestore(seen, event.seq) : seen;
      // Every save moves an edit burst's version on: only the other kinds are worth a log line.
      return version.kind === 'edit' ? restored : addLog(restored, event, 'stdout', `Version ${version.seq}: ${version.label}`);
    }
    case 'file_start':
    case 'file_chunk': {
      const files = foldFile(base.files, event);
      return files === base.files ? base : { ...base, files };
    }
    case 'file_end': {
      const files = foldFile(base.files, event);
      const { phaseIndex, path, size } = event.payload;
      const phases = foldPhase(base.phases, phaseIndex, (p) =>
        p.completedFiles.includes(path) ? p : { ...p, completedFiles: [...p.completedFiles, path].sort() },
      );
      return addLog(
        files === base.files && phases === base.phases ? base : { ...base, files, phases },
        event,
        'stdout',
        `Wrote ${path} (${size} bytes)`,
      );
    }
    case 'phase_designing':
    case 'phase_designed': {
      const { phaseIndex } = event.payload;
      const spec = event.type === 'phase_designed' ? event.payload.phase : null;
      const phases = foldPhase(base.phases, phaseIndex, (p) => (spec && event.seq > p.specSeq ? { ...p, spec, specSeq: event.seq } : p));
      return phases === base.phases ? base : { ...base, phases };
    }
    case 'state_change': {
      const logged = addLog(base, event, 'stdout', `${event.payload.from} → ${event.payload.to}`);
      if (logged.stateChange && logged.stateChange.seq >= event.seq) return logged;
      return { ...logged, stateChange: { seq: event.seq, to: event.payload.to } };
    }
    case 'server_started': {
      const logged = addLog(base, event, 'stdout', `Dev server ready${event.payload.previewUrl ? ` at ${event.payload.previewUrl}` : ''}`);
      if (logged.preview && logged.preview.seq >= event.seq) return logged;
      return { ...logged, preview: { seq: event.seq, url: event.payload.previewUrl } };
    }
    case 'message': {
      const { id, role, content } = event.payload;
      const existing = base.messages[id];
      if (existing && existing.seq >= event.seq) return base;
      return { ...base, messages: { ...base.messages, [id]: { id, seq: event.seq, at: event.at, role, content } } };
    }
    case 'log':
      return addLog(base, event, event.payload.stream, event.payload.text, event.payload.source);
    case 'error': {
      const errors = insertBySeq(base.errors, { seq: event.seq, at: event.at, ...event.payload });
      return errors === base.errors
        ? base
        : addLog({ ...base, errors }, event, 'stderr', `${event.payload.code}: ${event.payload.message}`);
    }
    case 'review_result': {
      const reviews = insertBySeq(base.reviews, { seq: event.seq, ...event.payload });
      if (reviews === base.reviews) return base;
      const n = event.payload.errors.length;
      const summary = n === 0 ? 'Review: no errors' : `Review: ${n} error${n === 1 ? '' : 's'} found`;
      return addLog({ ...base, reviews }, event, n === 0 ? 'stdout' : 'stderr', summary);
    }
    case 'generation_complete':
      if (base.completed && base.completed.seq >= event.seq) return base;
      return { ...base, completed: { seq: event.seq, ...event.payload } };
    case 'deps_installed': {
      const { packages, ok } = event.payload;
      if (packages.length === 0) return base;
      return addLog(base, event, ok ? 'stdout' : 'stderr', `${ok ? 'Installed' : 'Could not install'} ${packages.join(', ')}`);
    }
    case 'llm_usage': {
      const usage = insertBySeq(base.usage, { seq: event.seq, at: event.at, ...event.payload });
      return usage === base.usage ? base : { ...base, usage };
    }
    case 'files_written':
      return base;
    case 'render_checked': {
      const { phaseIndex, errors, blank, ms, status } = event.payload;
      if ((base.renders[phaseIndex]?.seq ?? 0) >= event.seq) return base;
      const renders = { ...base.renders, [phaseIndex]: { seq: event.seq, ...event.payload } };
      const summary =
        status === 'skipped'
          ? 'Preview not checked in a browser'
          : `Preview checked in a browser (${ms} ms): ${errors.length === 0 ? 'no errors' : `${errors.length} error${errors.length === 1 ? '' : 's'}`}${blank ? ', blank page' : ''}`;
      return addLog({ ...base, renders }, event, errors.length === 0 ? 'stdout' : 'stderr', summary);
    }
    case 'blueprint_updated':
      if (base.blueprint && base.blueprint.seq >= event.seq) return base;
      return { ...base, blueprint: { seq: event.seq, blueprint: event.payload.blueprint } };
    case 'files_changed':
      return foldFileOps(base, event);
    case 'file_deleted':
    case 'file_renamed': {
      const path = event.type === 'file_deleted' ? event.payload.path : event.payload.from;
      if ((base.removed[path] ?? 0) >= event.seq) return base;
      const { [path]: _gone, ...files } = base.files;
      const text = event.type === 'file_deleted' ? `Deleted ${path}` : `Renamed ${path} to ${event.payload.to}`;
      return addLog({ ...base, files, removed: { ...base.removed, [path]: event.seq } }, event, 'stdout', text);
    }
  }
}

/** A file operation: removed paths leave the stream's files, written ones show again. */
function foldFileOps(state: StreamState, event: EventOf<'files_changed'>): StreamState {
  if (state.fileOps && state.fileOps.seq >= event.seq) return state;
  const { written, deleted, moved } = event.payload;
  const gone = [...deleted, ...moved.map((m) => m.from)];
  const back = [...written, ...moved.map((m) => m.to)];
  const files = { ...state.files };
  const removed = { ...state.removed };
  for (const path of gone) {
    delete files[path];
    removed[path] = Math.max(removed[path] ?? 0, event.seq);
  }
  for (const path of back) if ((removed[path] ?? 0) <= event.seq) delete removed[path];
  const text =
    moved.length > 0
      ? `Moved ${moved.length === 1 ? `${moved[0]?.from} to ${moved[0]?.to}` : `${moved.length} files`}`
      : deleted.length > 0
        ? `Deleted ${deleted.length === 1 ? deleted[0] : `${deleted.length} files`}`
        : `Added ${written.join(', ')}`;
  return addLog({ ...state, files, removed, fileOps: { seq: event.seq, changes: event.payload } }, event, 'stdout', text);
}

/** The project's blueprint: the newest of the stream's and the snapshot's. */
export function selectBlueprint(state: StreamState): Blueprint | null {
  return state.blueprint?.blueprint ?? state.snapshot?.blueprint ?? null;
}

/** Whether the agent removed this path after it last wrote it (the tree hides it until the list is refetched). */
export function isRemoved(state: StreamState, path: string): boolean {
  const removedAt = state.removed[path];
  if (removedAt === undefined) return false;
  const file = state.files[path];
  return !file || file.startSeq < removedAt;
}

export function streamReducer(state: StreamState, action: StreamAction): StreamState {
  if (action.type === 'event') return foldEvent(state, action.event);
  if (action.type === 'batch') return action.actions.reduce(streamReducer, state);
  const { snapshot } = action;
  // The snapshot describes the project as of its lastSeq; an older one adds nothing.
  if (state.snapshot && state.snapshot.lastSeq > snapshot.lastSeq) return state;
  return { ...state, snapshot };
}

/** The agent's current state: the newest of the snapshot and the state_change events. */
export function selectAgentState(state: StreamState): AgentStateName {
  const { snapshot, stateChange } = state;
  if (stateChange && (!snapshot || stateChange.seq > snapshot.lastSeq)) return stateChange.to;
  return snapshot?.state ?? 'IDLE';
}

/** The preview URL if the dev server has been reported started, else null. */
export function selectPreviewUrl(state: StreamState): string | null {
  const { snapshot, preview } = state;
  if (preview && (!snapshot || preview.seq > snapshot.lastSeq)) return preview.url;
  return snapshot?.previewUrl ?? null;
}

/** The error that ended the latest round, when the agent is in ERROR. */
export function selectCurrentError(state: StreamState): ErrorInfo | null {
  if (selectAgentState(state) !== 'ERROR') return null;
  const last = state.errors.at(-1);
  if (last && (!state.snapshot || last.seq > state.snapshot.lastSeq)) return { code: last.code, message: last.message };
  return state.snapshot?.lastError ?? (last ? { code: last.code, message: last.message } : null);
}

export interface PhaseView {
  index: number;
  name: string;
  description: string;
  files: readonly { path: string; done: boolean }[];
  status: PhaseStatus;
  current: boolean;
  /** The preview after this phase, from its newest render check (a JPEG data URL). */
  thumbnail: string | null;
}

const STATUS_FOR_STATE: Record<AgentStateName, PhaseStatus> = {
  IDLE: 'done',
  DESIGNING_PHASE: 'designing',
  IMPLEMENTING_PHASE: 'implementing',
  INSTALLING_DEPS: 'installing',
  STARTING_SERVER: 'starting',
  REVIEWING: 'reviewing',
  COMPLETE: 'done',
  ERROR: 'failed',
  CANCELLED: 'cancelled',
};

/** The phase timeline: snapshot phases merged with phase events; the newest phase follows the agent's state. */
export function selectPhases(state: StreamState): PhaseView[] {
  const agentState = selectAgentState(state);
  const indices = new Set<number>(Object.keys(state.phases).map(Number));
  const fromSnapshot = new Map((state.snapshot?.phases ?? []).map((p) => [p.index, p]));
  for (const i of fromSnapshot.keys()) indices.add(i);
  const sorted = [...indices].sort((a, b) => a - b);
  const currentIndex = sorted.at(-1);
  return sorted.map((index) => {
    const live = state.phases[index];
    const snap = fromSnapshot.get(index);
    const spec = live?.spec ?? snap?.spec ?? null;
    const completed = new Set([...(live?.completedFiles ?? []), ...(snap?.completedFiles ?? [])]);
    const planned = spec?.files.map((f) => f.path) ?? [];
    const paths = [...planned, ...[...completed].filter((p) => !planned.includes(p))];
    const current = index === currentIndex;
    let status: PhaseStatus;
    if (current) status = STATUS_FOR_STATE[agentState];
    else status = snap && (snap.status === 'failed' || snap.status === 'cancelled') ? snap.status : 'done';
    return {
      index,
      name: spec?.name ?? `Phase ${index + 1}`,
      description: spec?.description ?? '',
      files: paths.map((path) => ({ path, done: completed.has(path) })),
      status,
      current,
      thumbnail: state.renders[index]?.screenshot ?? null,
    };
  });
}

/** Whether the latest attempt at a file has been completed. */
export function isFileDone(file: FileStream): boolean {
  return file.startSeq > 0 && file.endSeq > file.startSeq;
}

function utf8Length(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      // A surrogate pair is one 4-byte character.
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/**
 * Whether the stream holds the whole text of a done file. Once a round ends the server compacts
 * its file_chunk events away, so a client that replays the round later sees file_start and
 * file_end with no (or only some) chunks: it must read that file over REST instead.
 */
export function hasWholeContent(file: FileStream): boolean {
  return isFileDone(file) && file.size !== null && utf8Length(file.content) === file.size;
}

/**
 * Files the agent is writing right now (started, not yet ended). A file left unfinished by a
 * round that stopped is not being written: it was dropped.
 */
export function selectStreamingPaths(state: StreamState): string[] {
  if (!isActiveState(selectAgentState(state))) return [];
  return Object.values(state.files)
    .filter((f) => f.startSeq > 0 && f.endSeq < f.startSeq)
    .map((f) => f.path)
    .sort();
}

/** Chat messages from the stream, oldest first. */
export function selectMessages(state: StreamState): StreamMessage[] {
  return Object.values(state.messages).sort((a, b) => a.seq - b.seq);
}

/**
 * The agent's open problems: the newest check's errors (a review's, or a phase's browser check
 * when that is newer); from the snapshot when the stream holds no check.
 */
export function selectProblems(state: StreamState): readonly Diagnostic[] {
  const review = state.reviews.at(-1);
  const render = Object.values(state.renders).sort((a, b) => b.seq - a.seq)[0];
  const newest = review && (!render || review.seq > render.seq) ? review : render;
  if (newest && (!state.snapshot || newest.seq > state.snapshot.lastSeq)) return newest.errors;
  return state.snapshot?.problems ?? newest?.errors ?? [];
}
