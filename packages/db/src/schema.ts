import type { AgentStateName, FileEncoding, PhaseRecord, ProjectStatus, Usage } from '@lathe/protocol';
import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  check,
  doublePrecision,
  foreignKey,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  unique,
  uuid,
} from 'drizzle-orm/pg-core';
import { user } from './auth-schema.gen';
import type { ModelChoices } from './types';

export { account, accountRelations, session, sessionRelations, user, userRelations, verification } from './auth-schema.gen';

const createdAt = () => timestamp('created_at', { withTimezone: true, mode: 'date' }).defaultNow().notNull();
const updatedAt = () => timestamp('updated_at', { withTimezone: true, mode: 'date' }).defaultNow().notNull();

export const projects = pgTable(
  'projects',
  {
    id: uuid('id').primaryKey(),
    ownerId: text('owner_id')
      .notNull()
      .references(() => user.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    initialPrompt: text('initial_prompt').notNull(),
    template: text('template').notNull(),
    previewToken: text('preview_token').notNull().unique(),
    status: text('status').$type<ProjectStatus>().notNull().default('idle'),
    // The event log's per-project counter: appenders take this row's lock, so seqs have no gaps.
    lastEventSeq: bigint('last_event_seq', { mode: 'number' }).notNull().default(0),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('projects_owner_idx').on(t.ownerId, t.updatedAt)],
);

export const agentStates = pgTable('agent_states', {
  projectId: uuid('project_id')
    .primaryKey()
    .references(() => projects.id, { onDelete: 'cascade' }),
  state: text('state').$type<AgentStateName>().notNull(),
  round: integer('round').notNull(),
  phases: jsonb('phases').$type<PhaseRecord[]>().notNull(),
  currentPhase: integer('current_phase'),
  lastSeq: bigint('last_seq', { mode: 'number' }).notNull(),
  lastError: jsonb('last_error').$type<{ code: string; message: string } | null>(),
  previewUrl: text('preview_url'),
  usage: jsonb('usage').$type<Usage>().notNull(),
  offlineModel: boolean('offline_model').notNull(),
  // Snapshot fields without a column of their own (added to the protocol later) survive a round trip here.
  extra: jsonb('extra').$type<Record<string, unknown>>().notNull().default({}),
  // Optimistic concurrency: a write names the version it read; a mismatch is a stale write.
  version: integer('version').notNull(),
  updatedAt: updatedAt(),
});

export const generatedFiles = pgTable(
  'generated_files',
  {
    projectId: uuid('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    path: text('path').notNull(),
    content: text('content').notNull(),
    // How `content` holds the bytes: text as is, or a binary (an uploaded image, ...) in base64.
    encoding: text('encoding').$type<FileEncoding>().notNull().default('utf8'),
    hash: text('hash').notNull(),
    size: integer('size').notNull(),
    phase: integer('phase'),
    updatedAt: updatedAt(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.path] }), check('generated_files_encoding_valid', sql`${t.encoding} in ('utf8','base64')`)],
);

/** Content-addressed file bodies per project, so phase snapshots share unchanged files. */
export const fileBlobs = pgTable(
  'file_blobs',
  {
    projectId: uuid('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    hash: text('hash').notNull(),
    content: text('content').notNull(),
    encoding: text('encoding').$type<FileEncoding>().notNull().default('utf8'),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.hash] }), check('file_blobs_encoding_valid', sql`${t.encoding} in ('utf8','base64')`)],
);

export const phaseSnapshots = pgTable(
  'phase_snapshots',
  {
    projectId: uuid('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    round: integer('round').notNull(),
    phaseIndex: integer('phase_index').notNull(),
    fileCount: integer('file_count').notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.round, t.phaseIndex] })],
);

export const phaseSnapshotFiles = pgTable(
  'phase_snapshot_files',
  {
    projectId: uuid('project_id').notNull(),
    round: integer('round').notNull(),
    phaseIndex: integer('phase_index').notNull(),
    path: text('path').notNull(),
    hash: text('hash').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.projectId, t.round, t.phaseIndex, t.path] }),
    foreignKey({
      columns: [t.projectId, t.round, t.phaseIndex],
      foreignColumns: [phaseSnapshots.projectId, phaseSnapshots.round, phaseSnapshots.phaseIndex],
      name: 'phase_snapshot_files_snapshot_fk',
    }).onDelete('cascade'),
  ],
);

export const conversationMessages = pgTable(
  'conversation_messages',
  {
    // Insertion order, which created_at alone cannot give when two messages share a millisecond.
    position: bigint('position', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    id: uuid('id').notNull().unique(),
    projectId: uuid('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    role: text('role').$type<'user' | 'assistant' | 'system'>().notNull(),
    content: text('content').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    index('conversation_messages_project_idx').on(t.projectId, t.position),
    check('role_valid', sql`${t.role} in ('user','assistant','system')`),
  ],
);

export const projectEvents = pgTable(
  'project_events',
  {
    projectId: uuid('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    seq: bigint('seq', { mode: 'number' }).notNull(),
    type: text('type').notNull(),
    payload: jsonb('payload').$type<unknown>().notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.seq] })],
);

export const userApiKeys = pgTable(
  'user_api_keys',
  {
    id: uuid('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => user.id, { onDelete: 'cascade' }),
    provider: text('provider').notNull(),
    // Encrypted by the api (AES-GCM); the clear key is never stored.
    ciphertext: text('ciphertext').notNull(),
    iv: text('iv').notNull(),
    tag: text('tag').notNull(),
    last4: text('last4').notNull(),
    createdAt: createdAt(),
  },
  (t) => [unique('user_api_keys_user_provider').on(t.userId, t.provider)],
);

export const userSettings = pgTable('user_settings', {
  userId: text('user_id')
    .primaryKey()
    .references(() => user.id, { onDelete: 'cascade' }),
  // Per-role model overrides; an absent role uses the server's default model.
  models: jsonb('models').$type<ModelChoices>().notNull().default({}),
  updatedAt: updatedAt(),
});

/**
 * One row per model call, for per-project totals and per-user monthly budgets. Rows outlive
 * their project (project_id is cleared), so deleting a project gives no tokens back.
 */
export const usageLedger = pgTable(
  'usage_ledger',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    userId: text('user_id')
      .notNull()
      .references(() => user.id, { onDelete: 'cascade' }),
    projectId: uuid('project_id').references(() => projects.id, { onDelete: 'set null' }),
    // The llm_usage event this row came from: recording it twice is a no-op.
    eventSeq: bigint('event_seq', { mode: 'number' }).notNull(),
    role: text('role').notNull(),
    model: text('model').notNull(),
    promptTokens: integer('prompt_tokens').notNull(),
    completionTokens: integer('completion_tokens').notNull(),
    cachedTokens: integer('cached_tokens').notNull(),
    // Null when neither the provider nor the price table knew the cost.
    costUsd: doublePrecision('cost_usd'),
    createdAt: createdAt(),
  },
  (t) => [
    unique('usage_ledger_event').on(t.projectId, t.eventSeq),
    index('usage_ledger_user_idx').on(t.userId, t.createdAt),
    index('usage_ledger_project_idx').on(t.projectId),
  ],
);

// ---- git (issue 15): per-user git credentials and per-project remotes. Additive block. ----

/**
 * A user's credentials for pushing projects: at most one HTTPS token and one SSH key pair. The
 * secret half (the token, the SSH private key in OpenSSH format) is encrypted by the api
 * (AES-GCM, like user_api_keys); the public key is stored in the clear to be shown.
 */
export const userGitCredentials = pgTable(
  'user_git_credentials',
  {
    id: uuid('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => user.id, { onDelete: 'cascade' }),
    kind: text('kind').$type<'https' | 'ssh'>().notNull(),
    // HTTPS: the user name sent with the token (null: the default); SSH: null.
    username: text('username'),
    // SSH: the OpenSSH public key line and its SHA256 fingerprint; HTTPS: null.
    publicKey: text('public_key'),
    fingerprint: text('fingerprint'),
    // HTTPS: the token's last four characters, for the masked display.
    last4: text('last4'),
    ciphertext: text('ciphertext').notNull(),
    iv: text('iv').notNull(),
    tag: text('tag').notNull(),
    createdAt: createdAt(),
  },
  (t) => [unique('user_git_credentials_user_kind').on(t.userId, t.kind), check('git_kind_valid', sql`${t.kind} in ('https','ssh')`)],
);

/** The git remote a project pushes to, and what its last push sent. */
export const projectGitRemotes = pgTable('project_git_remotes', {
  projectId: uuid('project_id')
    .primaryKey()
    .references(() => projects.id, { onDelete: 'cascade' }),
  url: text('url').notNull(),
  lastPushedAt: timestamp('last_pushed_at', { withTimezone: true, mode: 'date' }),
  lastPushedCommit: text('last_pushed_commit'),
  updatedAt: updatedAt(),
});
// ---- end git block ----
// ---------------------------------------------------------------- issue 15: version history (branch `history`)

/** What made a version: a finished phase, a burst of user edits, a restore, or the state saved before a restore. */
export type VersionKind = 'phase' | 'edit' | 'restore' | 'checkpoint';

/** Paths a version changed against the version before it. */
export interface VersionChanges {
  added: string[];
  modified: string[];
  deleted: string[];
}

/**
 * A project's file sets, content-addressed: a tree is the sorted (path, blob hash) list, named by
 * its own hash, so versions with the same files share one tree and trees share blobs.
 */
export const versionTrees = pgTable(
  'version_trees',
  {
    projectId: uuid('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    treeHash: text('tree_hash').notNull(),
    fileCount: integer('file_count').notNull(),
    totalBytes: bigint('total_bytes', { mode: 'number' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.treeHash] })],
);

export const versionTreeFiles = pgTable(
  'version_tree_files',
  {
    projectId: uuid('project_id').notNull(),
    treeHash: text('tree_hash').notNull(),
    path: text('path').notNull(),
    hash: text('hash').notNull(),
    size: integer('size').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.projectId, t.treeHash, t.path] }),
    foreignKey({
      columns: [t.projectId, t.treeHash],
      foreignColumns: [versionTrees.projectId, versionTrees.treeHash],
      name: 'version_tree_files_tree_fk',
    }).onDelete('cascade'),
  ],
);

/** The project's timeline: one row per version, numbered 1, 2, … per project. */
export const projectVersions = pgTable(
  'project_versions',
  {
    projectId: uuid('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    seq: integer('seq').notNull(),
    kind: text('kind').$type<VersionKind>().notNull(),
    label: text('label').notNull(),
    round: integer('round'),
    phaseIndex: integer('phase_index'),
    /** For a restore: the version whose files it brought back. */
    restoredFrom: integer('restored_from'),
    treeHash: text('tree_hash').notNull(),
    changes: jsonb('changes').$type<VersionChanges>().notNull(),
    createdAt: createdAt(),
    /** An edit burst's version moves on with each edit in the burst. */
    updatedAt: updatedAt(),
  },
  (t) => [
    primaryKey({ columns: [t.projectId, t.seq] }),
    foreignKey({
      columns: [t.projectId, t.treeHash],
      foreignColumns: [versionTrees.projectId, versionTrees.treeHash],
      name: 'project_versions_tree_fk',
    }).onDelete('cascade'),
    check('project_versions_kind_valid', sql`${t.kind} in ('phase','edit','restore','checkpoint')`),
  ],
);
