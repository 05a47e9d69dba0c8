import type { AgentEvent, AgentSnapshot, AgentStateName, FileEncoding, NewEvent, ProjectStatus, UsageTotals } from '@lathe/protocol';
import type { UserRole, UserStatus } from './user-fields';
import type { VersionsRepository } from './versions';

/** Rows as plain JS values; every time is an ISO-8601 string, like the REST shapes. */
export interface ProjectRow {
  id: string;
  ownerId: string;
  name: string;
  initialPrompt: string;
  template: string;
  /** ≥128 random bits, `[a-z0-9]{26}`: usable as a DNS label for the preview host. */
  previewToken: string;
  status: ProjectStatus;
  /** The agent's stored state, or IDLE when no agent state was saved yet. */
  agentState: AgentStateName;
  createdAt: string;
  updatedAt: string;
}

export interface NewProject {
  ownerId: string;
  name: string;
  initialPrompt: string;
  template: string;
}

/** A file without its content (the file tree). */
export interface FileMeta {
  path: string;
  /** Byte length (of the UTF-8 text, or of the decoded binary). */
  size: number;
  /** SHA-256 of the file's bytes, lowercase hex: a text and a binary with the same bytes share it. */
  hash: string;
  encoding: FileEncoding;
  phase: number | null;
  updatedAt: string;
}

export interface FileRow extends FileMeta {
  content: string;
}

export interface FileInput {
  path: string;
  content: string;
  /** Default utf8. */
  encoding?: FileEncoding;
  phase: number | null;
}

export interface SnapshotFile {
  path: string;
  content: string;
  /** Absent: utf8. */
  encoding?: FileEncoding;
}

export interface PhaseSnapshotInfo {
  round: number;
  phaseIndex: number;
  createdAt: string;
  fileCount: number;
}

export type MessageRole = 'user' | 'assistant' | 'system';

export interface MessageRow {
  id: string;
  projectId: string;
  role: MessageRole;
  content: string;
  createdAt: string;
}

export interface ApiKeyInput {
  provider: string;
  /** Encrypted key material as produced by the api (e.g. base64); stored as given. */
  ciphertext: string;
  iv: string;
  tag: string;
  last4: string;
}

/** What may be listed or shown: no key material at all. */
export interface ApiKeyInfo {
  id: string;
  userId: string;
  provider: string;
  last4: string;
  createdAt: string;
}

export interface ApiKeyRow extends ApiKeyInfo {
  ciphertext: string;
  iv: string;
  tag: string;
}

export interface StoredAgentState {
  snapshot: AgentSnapshot;
  version: number;
}

export interface ProjectsRepository {
  /** Creates a project with a fresh id and preview token. */
  create(input: NewProject): Promise<ProjectRow>;
  /** A project only if `ownerId` owns it. */
  get(id: string, ownerId: string): Promise<ProjectRow | null>;
  /** A project regardless of owner (agent, preview proxy). */
  getAny(id: string): Promise<ProjectRow | null>;
  /** Most recently updated first. */
  listByOwner(ownerId: string): Promise<ProjectRow[]>;
  rename(id: string, ownerId: string, name: string): Promise<ProjectRow | null>;
  /** False when the project no longer exists. */
  setStatus(id: string, status: ProjectStatus): Promise<boolean>;
  getByPreviewToken(token: string): Promise<ProjectRow | null>;
  /** Replaces the preview token (old preview URLs stop working); throws `not_found`. */
  rotatePreviewToken(id: string, ownerId: string): Promise<string>;
  /** Deletes the project and everything that belongs to it. */
  delete(id: string, ownerId: string): Promise<boolean>;
  /** Projects whose saved agent state is busy (see ACTIVE_STATES), to resume after a restart. */
  listActive(): Promise<ProjectRow[]>;
}

export interface FilesRepository {
  /**
   * Inserts or replaces the file at (project, path). Throws `not_found` for an unknown project,
   * `too_many_files` when a new path would exceed LIMITS.filesPerProject, `invalid_input` for a bad file.
   */
  upsert(projectId: string, file: FileInput): Promise<FileRow>;
  /** Sorted by path. */
  list(projectId: string): Promise<FileMeta[]>;
  read(projectId: string, path: string): Promise<FileRow | null>;
  /** The given paths that exist (all files when `paths` is omitted), sorted by path. */
  readMany(projectId: string, paths?: string[]): Promise<FileRow[]>;
  delete(projectId: string, path: string): Promise<boolean>;
  /**
   * Moves the file at `from`, or every file under the folder `from`, to `to` in one transaction.
   * Throws `not_found` when there is nothing at `from`, `path_exists` when a target path is taken.
   */
  move(projectId: string, from: string, to: string): Promise<{ from: string; to: string }[]>;
  /** Deletes the file at `path`, or every file under the folder `path`; the deleted paths, sorted. */
  deleteTree(projectId: string, path: string): Promise<string[]>;
}

export interface EventsRepository {
  /** Appends with the next seq (1, 2, …, no gaps even with concurrent appenders). */
  append(projectId: string, event: NewEvent): Promise<AgentEvent>;
  /** Appends all or nothing, with consecutive seqs, in the given order. */
  appendMany(projectId: string, events: NewEvent[]): Promise<AgentEvent[]>;
  /** Events with seq > afterSeq in seq order, at most `limit` (default and cap 1000). */
  after(projectId: string, afterSeq: number, limit?: number): Promise<AgentEvent[]>;
  /** The highest seq appended so far, 0 when none (or unknown project). */
  lastSeq(projectId: string): Promise<number>;
  /**
   * Deletes the file_chunk events with seq <= throughSeq (a finished round's streamed file text,
   * which lives on in the files and phase snapshots) and returns how many went. Seqs are never
   * reused: the log keeps its order, with holes where the chunks were.
   */
  compactFileChunks(projectId: string, throughSeq: number): Promise<number>;
  /** Keeps the newest `keep` log events of the project, deletes older ones, returns how many went. */
  trimLogs(projectId: string, keep: number): Promise<number>;
  /** How many events the project's log holds now (after compaction and trimming). */
  count(projectId: string): Promise<number>;
}

export interface AgentStatesRepository {
  load(projectId: string): Promise<StoredAgentState | null>;
  /**
   * Writes the snapshot if the stored version is still `expectedVersion` (0 = no row yet) and
   * returns the new version; otherwise throws LatheError `stale_state` and changes nothing.
   */
  save(projectId: string, snapshot: AgentSnapshot, expectedVersion: number): Promise<number>;
}

export interface SnapshotsRepository {
  /** Records the project's complete file set at the end of a phase (replacing an earlier record). */
  savePhase(projectId: string, round: number, phaseIndex: number, files: SnapshotFile[]): Promise<void>;
  /** Oldest first. */
  list(projectId: string): Promise<PhaseSnapshotInfo[]>;
  /** The file set recorded for that phase, sorted by path; throws `not_found` when none. */
  restore(projectId: string, round: number, phaseIndex: number): Promise<SnapshotFile[]>;
}

export interface MessagesRepository {
  append(projectId: string, message: { role: MessageRole; content: string }): Promise<MessageRow>;
  /** In the order appended. */
  list(projectId: string): Promise<MessageRow[]>;
}

export interface ApiKeysRepository {
  /** Stores an encrypted key; replaces the user's earlier key for the same provider. */
  add(userId: string, key: ApiKeyInput): Promise<ApiKeyRow>;
  list(userId: string): Promise<ApiKeyInfo[]>;
  get(userId: string, id: string): Promise<ApiKeyRow | null>;
  getForProvider(userId: string, provider: string): Promise<ApiKeyRow | null>;
  delete(userId: string, id: string): Promise<boolean>;
}

/** A user's model per LLM role; an absent role uses the server's default model. */
export interface ModelChoices {
  designer?: string;
  implementer?: string;
  fixer?: string;
}

export interface SettingsRepository {
  /** The user's stored choices; `{}` when they never saved any. */
  getModels(userId: string): Promise<ModelChoices>;
  /** Replaces the user's choices as a whole (a role left out goes back to the default); returns what is stored. */
  setModels(userId: string, models: ModelChoices): Promise<ModelChoices>;
}

/** better-auth's sessions, read-only: whether a sign-in is still valid (preview cookies hang on it). */
export interface SessionsRepository {
  /** When the session expires, if it exists, belongs to `userId` and has not expired; else null. */
  activeUntil(sessionId: string, userId: string): Promise<Date | null>;
}

/** One model call, as the API records it from an `llm_usage` event. */
export interface UsageEntry {
  userId: string;
  projectId: string;
  eventSeq: number;
  role: 'designer' | 'implementer' | 'fixer';
  model: string;
  promptTokens: number;
  completionTokens: number;
  cachedTokens: number;
  costUsd: number | null;
}

export interface UsageRepository {
  /** Adds a call to the ledger; the same (project, event seq) twice is recorded once. */
  record(entry: UsageEntry): Promise<void>;
  /** Everything the project's calls used, over its whole life. */
  projectTotals(projectId: string): Promise<UsageTotals>;
  /** A user's prompt + completion tokens and known cost since an instant (deleted projects included). */
  userSince(userId: string, since: Date): Promise<{ tokens: number; costUsd: number }>;
}

/** An account as admins and the API's checks see it (no credentials). */
export interface UserInfo {
  id: string;
  email: string;
  name: string;
  role: UserRole;
  status: UserStatus;
  createdAt: string;
}

/** An account with what it holds: projects and the bytes of their files. */
export interface UserWithHoldings extends UserInfo {
  projects: number;
  storageBytes: number;
}

export interface UsersRepository {
  get(id: string): Promise<UserInfo | null>;
  /** How many accounts exist (the first one becomes the admin). */
  count(): Promise<number>;
  /** Every account, oldest first, with its project count and stored file bytes. */
  listWithHoldings(): Promise<UserWithHoldings[]>;
  /** Changes role and/or status; null when there is no such account. */
  update(id: string, change: { role?: UserRole; status?: UserStatus }): Promise<UserInfo | null>;
  /** Signs the account out everywhere (its sockets close at the next session check). */
  endSessions(id: string): Promise<number>;
  projectCount(id: string): Promise<number>;
  /** UTF-8 bytes of every file in the account's projects. */
  storageBytes(id: string): Promise<number>;
}

export interface Repositories {
  projects: ProjectsRepository;
  files: FilesRepository;
  events: EventsRepository;
  agentStates: AgentStatesRepository;
  snapshots: SnapshotsRepository;
  messages: MessagesRepository;
  apiKeys: ApiKeysRepository;
  settings: SettingsRepository;
  sessions: SessionsRepository;
  usage: UsageRepository;
  users: UsersRepository;
  /** Version history (issue 15). */
  versions: VersionsRepository;
}
