import { randomUUID } from 'node:crypto';
import { LatheError } from '@lathe/protocol';
import { and, eq, sql } from 'drizzle-orm';
import type { Database, Orm } from './database';
import { driverErrorCode } from './errors';
import { projectGitRemotes, userGitCredentials } from './schema';
import { iso, isUuid, notFound, requireText } from './validate';

export type GitCredentialKind = 'https' | 'ssh';

/** A stored credential without its secret (what the api may show). */
export interface GitCredentialInfo {
  id: string;
  userId: string;
  kind: GitCredentialKind;
  username: string | null;
  publicKey: string | null;
  fingerprint: string | null;
  last4: string | null;
  createdAt: string;
}

/** With the encrypted secret (AES-GCM fields, base64), for the api to open. */
export interface GitCredentialRow extends GitCredentialInfo {
  ciphertext: string;
  iv: string;
  tag: string;
}

export interface GitCredentialInput {
  kind: GitCredentialKind;
  username?: string | null;
  publicKey?: string | null;
  fingerprint?: string | null;
  last4?: string | null;
  ciphertext: string;
  iv: string;
  tag: string;
}

export interface GitRemoteRow {
  projectId: string;
  url: string;
  lastPushedAt: string | null;
  lastPushedCommit: string | null;
  updatedAt: string;
}

export interface GitRepositories {
  credentials: {
    /** Stores a credential; replaces the user's earlier one of the same kind (under a new id). */
    put(userId: string, input: GitCredentialInput): Promise<GitCredentialRow>;
    list(userId: string): Promise<GitCredentialInfo[]>;
    get(userId: string, kind: GitCredentialKind): Promise<GitCredentialRow | null>;
    delete(userId: string, kind: GitCredentialKind): Promise<boolean>;
  };
  remotes: {
    get(projectId: string): Promise<GitRemoteRow | null>;
    /** Sets the URL; a new URL forgets what the last push sent. */
    set(projectId: string, url: string): Promise<GitRemoteRow>;
    delete(projectId: string): Promise<boolean>;
    recordPush(projectId: string, commit: string): Promise<void>;
  };
}

const KINDS: readonly GitCredentialKind[] = ['https', 'ssh'];
const FK_VIOLATION = '23503';

function requireKind(kind: unknown): GitCredentialKind {
  if (!KINDS.includes(kind as GitCredentialKind)) throw new LatheError('invalid_input', 'kind must be https or ssh');
  return kind as GitCredentialKind;
}

function optionalText(field: string, value: unknown, max: number): string | null {
  return value === undefined || value === null ? null : requireText(field, value, { min: 1, max });
}

type CredentialSelect = typeof userGitCredentials.$inferSelect;

function toInfo(row: CredentialSelect): GitCredentialInfo {
  return {
    id: row.id,
    userId: row.userId,
    kind: row.kind,
    username: row.username,
    publicKey: row.publicKey,
    fingerprint: row.fingerprint,
    last4: row.last4,
    createdAt: iso(row.createdAt),
  };
}

function toRow(row: CredentialSelect): GitCredentialRow {
  return { ...toInfo(row), ciphertext: row.ciphertext, iv: row.iv, tag: row.tag };
}

function toRemote(row: typeof projectGitRemotes.$inferSelect): GitRemoteRow {
  return {
    projectId: row.projectId,
    url: row.url,
    lastPushedAt: row.lastPushedAt ? iso(row.lastPushedAt) : null,
    lastPushedCommit: row.lastPushedCommit,
    updatedAt: iso(row.updatedAt),
  };
}

async function withParent<T>(what: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (e) {
    if (driverErrorCode(e) === FK_VIOLATION) throw notFound(what);
    throw e;
  }
}

function credentials(orm: Orm): GitRepositories['credentials'] {
  return {
    async put(userId, input) {
      requireText('userId', userId, { min: 1, max: 200 });
      const values = {
        kind: requireKind(input.kind),
        username: optionalText('username', input.username, 200),
        publicKey: optionalText('publicKey', input.publicKey, 2000),
        fingerprint: optionalText('fingerprint', input.fingerprint, 200),
        last4: optionalText('last4', input.last4, 8),
        ciphertext: requireText('ciphertext', input.ciphertext, { min: 1, max: 8000 }),
        iv: requireText('iv', input.iv, { min: 1, max: 200 }),
        tag: requireText('tag', input.tag, { min: 1, max: 200 }),
      };
      const id = randomUUID();
      const [row] = await withParent('user', () =>
        orm
          .insert(userGitCredentials)
          .values({ ...values, id, userId })
          .onConflictDoUpdate({
            target: [userGitCredentials.userId, userGitCredentials.kind],
            set: { ...values, id, createdAt: sql`now()` },
          })
          .returning(),
      );
      if (!row) throw new LatheError('internal_error', 'git credential insert returned no row');
      return toRow(row);
    },

    async list(userId) {
      const rows = await orm.select().from(userGitCredentials).where(eq(userGitCredentials.userId, userId));
      return rows.map(toInfo).sort((a, b) => a.kind.localeCompare(b.kind));
    },

    async get(userId, kind) {
      const [row] = await orm
        .select()
        .from(userGitCredentials)
        .where(and(eq(userGitCredentials.userId, userId), eq(userGitCredentials.kind, requireKind(kind))));
      return row ? toRow(row) : null;
    },

    async delete(userId, kind) {
      const deleted = await orm
        .delete(userGitCredentials)
        .where(and(eq(userGitCredentials.userId, userId), eq(userGitCredentials.kind, requireKind(kind))))
        .returning({ id: userGitCredentials.id });
      return deleted.length > 0;
    },
  };
}

function remotes(orm: Orm): GitRepositories['remotes'] {
  return {
    async get(projectId) {
      if (!isUuid(projectId)) return null;
      const [row] = await orm.select().from(projectGitRemotes).where(eq(projectGitRemotes.projectId, projectId));
      return row ? toRemote(row) : null;
    },

    async set(projectId, url) {
      if (!isUuid(projectId)) throw notFound('project');
      const value = requireText('url', url, { min: 1, max: 2000 });
      const [row] = await withParent('project', () =>
        orm
          .insert(projectGitRemotes)
          .values({ projectId, url: value })
          .onConflictDoUpdate({
            target: projectGitRemotes.projectId,
            set: {
              url: value,
              updatedAt: sql`now()`,
              // A different remote has seen none of our pushes.
              lastPushedAt: sql`case when ${projectGitRemotes.url} = ${value} then ${projectGitRemotes.lastPushedAt} end`,
              lastPushedCommit: sql`case when ${projectGitRemotes.url} = ${value} then ${projectGitRemotes.lastPushedCommit} end`,
            },
          })
          .returning(),
      );
      if (!row) throw new LatheError('internal_error', 'git remote insert returned no row');
      return toRemote(row);
    },

    async delete(projectId) {
      if (!isUuid(projectId)) return false;
      const deleted = await orm
        .delete(projectGitRemotes)
        .where(eq(projectGitRemotes.projectId, projectId))
        .returning({ id: projectGitRemotes.projectId });
      return deleted.length > 0;
    },

    async recordPush(projectId, commit) {
      await orm
        .update(projectGitRemotes)
        .set({ lastPushedAt: sql`now()`, lastPushedCommit: requireText('commit', commit, { min: 40, max: 64 }) })
        .where(eq(projectGitRemotes.projectId, projectId));
    },
  };
}

/** Git credentials and remotes, apart from the main repositories (its own tables, its own module). */
export function createGitRepositories(db: Database): GitRepositories {
  return { credentials: credentials(db.orm), remotes: remotes(db.orm) };
}
