import type { AgentEvent, AgentSnapshot, NewEvent } from '@lathe/protocol';

/** What the agent persists, as a small interface so the runner does not depend on a database. */
export interface StoredFile {
  path: string;
  content: string;
  /** Absent or utf8: text. base64: a binary the user uploaded (an image, a font), never shown to a model as text. */
  encoding?: 'utf8' | 'base64';
}

/** Whether the file is a binary (its content is base64, not source). */
export function isBinary(file: StoredFile): boolean {
  return file.encoding === 'base64';
}

export interface AgentStore {
  loadState(projectId: string): Promise<{ snapshot: AgentSnapshot; version: number } | null>;
  /** Saves if the stored version is still `expectedVersion` (0 = none yet); throws `stale_state` otherwise. */
  saveState(projectId: string, snapshot: AgentSnapshot, expectedVersion: number): Promise<number>;
  /** Appends in order with consecutive seqs and returns the stored events. */
  appendEvents(projectId: string, events: NewEvent[]): Promise<AgentEvent[]>;
  upsertFile(projectId: string, file: { path: string; content: string; phase: number | null }): Promise<{ hash: string; size: number }>;
  /** Every stored file with content, sorted by path. */
  readFiles(projectId: string, paths?: string[]): Promise<StoredFile[]>;
  listPaths(projectId: string): Promise<string[]>;
  /** Removes a stored file; false when there was none. */
  deleteFile(projectId: string, path: string): Promise<boolean>;
  savePhaseSnapshot(projectId: string, round: number, phaseIndex: number, files: StoredFile[]): Promise<void>;
  /** The files as the last phase of a round before `round` left them (null: no earlier snapshot). */
  filesBeforeRound(projectId: string, round: number): Promise<StoredFile[] | null>;
  appendMessage(projectId: string, role: 'user' | 'assistant' | 'system', content: string): Promise<{ id: string }>;
  listMessages(projectId: string): Promise<{ id: string; role: 'user' | 'assistant' | 'system'; content: string }[]>;
}

/** The parts of @lathe/db's repositories the agent uses (structurally typed, so tests can pass the real ones). */
export interface AgentRepositories {
  files: {
    upsert(projectId: string, file: { path: string; content: string; phase: number | null }): Promise<{ hash: string; size: number }>;
    list(projectId: string): Promise<{ path: string }[]>;
    delete(projectId: string, path: string): Promise<boolean>;
    readMany(projectId: string, paths?: string[]): Promise<{ path: string; content: string; encoding?: 'utf8' | 'base64' }[]>;
  };
  events: { appendMany(projectId: string, events: NewEvent[]): Promise<AgentEvent[]> };
  agentStates: {
    load(projectId: string): Promise<{ snapshot: AgentSnapshot; version: number } | null>;
    save(projectId: string, snapshot: AgentSnapshot, expectedVersion: number): Promise<number>;
  };
  snapshots: {
    savePhase(projectId: string, round: number, phaseIndex: number, files: StoredFile[]): Promise<void>;
    list(projectId: string): Promise<{ round: number; phaseIndex: number }[]>;
    restore(projectId: string, round: number, phaseIndex: number): Promise<StoredFile[]>;
  };
  messages: {
    append(projectId: string, message: { role: 'user' | 'assistant' | 'system'; content: string }): Promise<{ id: string }>;
    list(projectId: string): Promise<{ id: string; role: 'user' | 'assistant' | 'system'; content: string }[]>;
  };
}

export function createDbAgentStore(repos: AgentRepositories): AgentStore {
  return {
    loadState: (projectId) => repos.agentStates.load(projectId),
    saveState: (projectId, snapshot, expectedVersion) => repos.agentStates.save(projectId, snapshot, expectedVersion),
    appendEvents: (projectId, events) => (events.length === 0 ? Promise.resolve([]) : repos.events.appendMany(projectId, events)),
    async upsertFile(projectId, file) {
      const row = await repos.files.upsert(projectId, file);
      return { hash: row.hash, size: row.size };
    },
    async readFiles(projectId, paths) {
      const rows = await repos.files.readMany(projectId, paths);
      return rows.map((r) =>
        r.encoding === 'base64' ? { path: r.path, content: r.content, encoding: 'base64' } : { path: r.path, content: r.content },
      );
    },
    async listPaths(projectId) {
      return (await repos.files.list(projectId)).map((f) => f.path);
    },
    deleteFile: (projectId, path) => repos.files.delete(projectId, path),
    savePhaseSnapshot: (projectId, round, phaseIndex, files) => repos.snapshots.savePhase(projectId, round, phaseIndex, files),
    async filesBeforeRound(projectId, round) {
      const last = (await repos.snapshots.list(projectId)).filter((s) => s.round < round).at(-1);
      return last ? repos.snapshots.restore(projectId, last.round, last.phaseIndex) : null;
    },
    async appendMessage(projectId, role, content) {
      const row = await repos.messages.append(projectId, { role, content });
      return { id: row.id };
    },
    async listMessages(projectId) {
      return (await repos.messages.list(projectId)).map((m) => ({ id: m.id, role: m.role, content: m.content }));
    },
  };
}
