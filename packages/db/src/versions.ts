import { createHash } from 'node:crypto';
import { type FileEncoding, LatheError } from '@lathe/protocol';
import { and, desc, eq, inArray, type SQL, sql } from 'drizzle-orm';
import type { Orm } from './database';
import { driverErrorCode } from './errors';
import { fileBlobs, projectVersions, type VersionChanges, type VersionKind, versionTreeFiles, versionTrees } from './schema';
import { invalid, iso, isUuid, notFound, requireInt, requireText } from './validate';

/**
 * Version history (issue 15): every version is the project's whole file set, stored as a
 * content-addressed tree over the per-project blobs that phase snapshots already use, so keeping
 * a version costs a row per file path, never a second copy of an unchanged file.
 */

export type { VersionChanges, VersionKind };

export interface VersionRow {
  seq: number;
  kind: VersionKind;
  label: string;
  round: number | null;
  phaseIndex: number | null;
  restoredFrom: number | null;
  treeHash: string;
  fileCount: number;
  totalBytes: number;
  changes: VersionChanges;
  createdAt: string;
  updatedAt: string;
}

export interface VersionInput {
  kind: VersionKind;
  /** A fixed label, or one made from what changed against the version before (edit bursts grow). */
  label: string | ((changes: VersionChanges) => string);
  round?: number | null;
  phaseIndex?: number | null;
  restoredFrom?: number | null;
}

export interface RecordOptions {
  /**
   * Edits only: an edit within this many ms of the latest version's last change, when that
   * version is an edit too, joins it (the burst's version moves on) instead of making a new one.
   */
  burstMs?: number;
  /** Edits only: a burst older than this (from its first edit) is closed. */
  burstMaxMs?: number;
  /** Make no version when the files equal the latest version's. */
  skipUnchanged?: boolean;
}

export interface RecordResult {
  version: VersionRow;
  /** `updated`: the files joined an open edit burst; `unchanged`: nothing changed (skipUnchanged), no version made. */
  outcome: 'created' | 'updated' | 'unchanged';
}

export interface VersionFileMeta {
  path: string;
  hash: string;
  size: number;
}

export interface RestoreOutcome {
  /** The restore's own (new) version. */
  version: VersionRow;
  /** The version made of the files the restore replaced, when no version held them yet. */
  checkpoint: VersionRow | null;
  /** Paths whose content the restore changed or brought back, sorted. */
  written: string[];
  /** Paths the restore deleted, sorted. */
  deleted: string[];
}

export interface VersionsRepository {
  /** Records the project's current stored files as a version (see RecordOptions for bursts). */
  record(projectId: string, input: VersionInput, options?: RecordOptions): Promise<RecordResult>;
  /** Newest first. */
  list(projectId: string): Promise<VersionRow[]>;
  get(projectId: string, seq: number): Promise<VersionRow | null>;
  /** The version's files (no content), sorted by path; null when there is no such version. */
  files(projectId: string, seq: number): Promise<VersionFileMeta[] | null>;
  /** One file's content at a version; null when the version or the file does not exist. */
  read(
    projectId: string,
    seq: number,
    path: string,
  ): Promise<{ path: string; content: string; encoding: FileEncoding; hash: string } | null>;
  /** The given paths' contents at a version (those it has), sorted by path. */
  readMany(projectId: string, seq: number, paths: string[]): Promise<{ path: string; content: string; encoding: FileEncoding }[]>;
  /**
   * Makes the stored files exactly those of version `seq` (writes changed and missing files,
   * deletes files it did not have) and records that as a new `restore` version; first records a
   * `checkpoint` of the current files if no version holds them. One transaction: all or nothing.
   * Throws `not_found` for an unknown version.
   */
  restore(projectId: string, seq: number): Promise<RestoreOutcome>;
}

// Second key of the advisory lock space (the project locks use 7316): one version writer per project.
const VERSION_LOCK_CLASS = 7317;
const INSERT_BATCH = 200;
const LABEL_CHARS = 200;
const KINDS: readonly VersionKind[] = ['phase', 'edit', 'restore', 'checkpoint'];
const SERIALIZATION_FAILURE = '40001';
const DEADLOCK = '40P01';

type Tx = Parameters<Parameters<Orm['transaction']>[0]>[0];

/** postgres.js returns the rows as an array, PGlite as `{ rows }`. */
function rowsOf<T>(result: unknown): T[] {
  if (Array.isArray(result)) return result as T[];
  return ((result as { rows?: T[] }).rows ?? []) as T[];
}

function treeHashOf(files: readonly VersionFileMeta[]): string {
  const hash = createHash('sha256');
  for (const f of files) hash.update(`${f.path}\u0000${f.hash}\n`, 'utf8');
  return hash.digest('hex');
}

function diff(before: readonly VersionFileMeta[], after: readonly VersionFileMeta[]): VersionChanges {
  const old = new Map(before.map((f) => [f.path, f.hash]));
  const now = new Map(after.map((f) => [f.path, f.hash]));
  const added: string[] = [];
  const modified: string[] = [];
  const deleted: string[] = [];
  for (const [path, hash] of now) {
    const was = old.get(path);
    if (was === undefined) added.push(path);
    else if (was !== hash) modified.push(path);
  }
  for (const path of old.keys()) if (!now.has(path)) deleted.push(path);
  return { added: added.sort(), modified: modified.sort(), deleted: deleted.sort() };
}

const versionColumns = {
  seq: projectVersions.seq,
  kind: projectVersions.kind,
  label: projectVersions.label,
  round: projectVersions.round,
  phaseIndex: projectVersions.phaseIndex,
  restoredFrom: projectVersions.restoredFrom,
  treeHash: projectVersions.treeHash,
  fileCount: versionTrees.fileCount,
  totalBytes: versionTrees.totalBytes,
  changes: projectVersions.changes,
  createdAt: projectVersions.createdAt,
  updatedAt: projectVersions.updatedAt,
  // The database's clock, so burst windows never depend on this process's.
  ageMs: sql<string>`(extract(epoch from (now() - ${projectVersions.createdAt})) * 1000)::bigint`,
  quietMs: sql<string>`(extract(epoch from (now() - ${projectVersions.updatedAt})) * 1000)::bigint`,
};

type VersionSelect = {
  seq: number;
  kind: VersionKind;
  label: string;
  round: number | null;
  phaseIndex: number | null;
  restoredFrom: number | null;
  treeHash: string;
  fileCount: number;
  totalBytes: number;
  changes: VersionChanges;
  createdAt: Date;
  updatedAt: Date;
  ageMs: string;
  quietMs: string;
};

function toVersion(row: VersionSelect): VersionRow {
  return {
    seq: row.seq,
    kind: KINDS.includes(row.kind) ? row.kind : 'edit',
    label: row.label,
    round: row.round,
    phaseIndex: row.phaseIndex,
    restoredFrom: row.restoredFrom,
    treeHash: row.treeHash,
    fileCount: row.fileCount,
    totalBytes: Number(row.totalBytes),
    changes: row.changes,
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
  };
}

function selectVersions(db: Orm | Tx) {
  return db
    .select(versionColumns)
    .from(projectVersions)
    .innerJoin(
      versionTrees,
      and(eq(versionTrees.projectId, projectVersions.projectId), eq(versionTrees.treeHash, projectVersions.treeHash)),
    );
}

function label(input: VersionInput, changes: VersionChanges): string {
  const text = typeof input.label === 'string' ? input.label : input.label(changes);
  return requireText('label', text.trim() || 'Version', { min: 1 }).slice(0, LABEL_CHARS);
}

function optionalInt(field: string, value: number | null | undefined): number | null {
  return value === null || value === undefined ? null : requireInt(field, value, 0, 2 ** 31 - 1);
}

/**
 * The project's stored files (path, hash, size) as one statement sees them, with every body
 * copied into the blobs first: the same snapshot for the list and the blobs, even while edits land.
 */
async function currentFiles(tx: Tx, projectId: string): Promise<VersionFileMeta[]> {
  const result = await tx.execute(sql`
    with cur as (
      select path, hash, size, content, encoding from generated_files where project_id = ${projectId}
    ), blobs as (
      insert into file_blobs (project_id, hash, content, encoding)
      select distinct on (cur.hash) ${projectId}::uuid, cur.hash, cur.content, cur.encoding from cur
      where not exists (select 1 from file_blobs b where b.project_id = ${projectId} and b.hash = cur.hash)
      on conflict do nothing
      returning 1
    )
    select path, hash, size from cur order by path collate "C"`);
  return rowsOf<{ path: string; hash: string; size: number | string }>(result).map((r) => ({
    path: r.path,
    hash: r.hash,
    size: Number(r.size),
  }));
}

async function treeFiles(db: Orm | Tx, projectId: string, treeHash: string): Promise<VersionFileMeta[]> {
  return db
    .select({ path: versionTreeFiles.path, hash: versionTreeFiles.hash, size: versionTreeFiles.size })
    .from(versionTreeFiles)
    .where(and(eq(versionTreeFiles.projectId, projectId), eq(versionTreeFiles.treeHash, treeHash)))
    .orderBy(sql`${versionTreeFiles.path} collate "C"`);
}

/** Stores the tree unless the project has it already. */
async function ensureTree(tx: Tx, projectId: string, treeHash: string, files: readonly VersionFileMeta[]): Promise<void> {
  const inserted = await tx
    .insert(versionTrees)
    .values({ projectId, treeHash, fileCount: files.length, totalBytes: files.reduce((n, f) => n + f.size, 0) })
    .onConflictDoNothing()
    .returning({ treeHash: versionTrees.treeHash });
  if (inserted.length === 0) return;
  for (let i = 0; i < files.length; i += INSERT_BATCH) {
    await tx.insert(versionTreeFiles).values(files.slice(i, i + INSERT_BATCH).map((f) => ({ projectId, treeHash, ...f })));
  }
}

/** A tree no version refers to any more (an edit burst moved on) is dropped; its blobs stay. */
async function dropTreeIfUnused(tx: Tx, projectId: string, treeHash: string): Promise<void> {
  await tx.execute(sql`
    delete from version_trees t where t.project_id = ${projectId} and t.tree_hash = ${treeHash}
    and not exists (select 1 from project_versions v where v.project_id = t.project_id and v.tree_hash = t.tree_hash)`);
}

async function lockProject(tx: Tx, projectId: string): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(${VERSION_LOCK_CLASS}, hashtext(${projectId}))`);
}

async function latest(tx: Tx, projectId: string, before?: number): Promise<VersionSelect | null> {
  const scope: SQL | undefined =
    before === undefined
      ? eq(projectVersions.projectId, projectId)
      : and(eq(projectVersions.projectId, projectId), sql`${projectVersions.seq} < ${before}`);
  const [row] = await selectVersions(tx).where(scope).orderBy(desc(projectVersions.seq)).limit(1);
  return (row as VersionSelect | undefined) ?? null;
}

async function byTx(tx: Tx, projectId: string, seq: number): Promise<VersionRow> {
  const [row] = await selectVersions(tx).where(and(eq(projectVersions.projectId, projectId), eq(projectVersions.seq, seq)));
  if (!row) throw new LatheError('internal_error', `version ${seq} vanished while it was written`);
  return toVersion(row as VersionSelect);
}

/** The recording itself, inside a transaction that holds the project's version lock. */
async function recordIn(
  tx: Tx,
  projectId: string,
  input: VersionInput,
  options: RecordOptions,
  files: VersionFileMeta[],
): Promise<RecordResult> {
  const treeHash = treeHashOf(files);
  const last = await latest(tx, projectId);
  if (options.skipUnchanged && last && last.treeHash === treeHash) return { version: toVersion(last), outcome: 'unchanged' };
  await ensureTree(tx, projectId, treeHash, files);
  const burst =
    input.kind === 'edit' &&
    last?.kind === 'edit' &&
    options.burstMs !== undefined &&
    Number(last.quietMs) <= options.burstMs &&
    Number(last.ageMs) <= (options.burstMaxMs ?? Number.POSITIVE_INFINITY);
  if (burst && last) {
    const before = await latest(tx, projectId, last.seq);
    const changes = diff(before ? await treeFiles(tx, projectId, before.treeHash) : [], files);
    await tx
      .update(projectVersions)
      .set({ treeHash, changes, label: label(input, changes), updatedAt: sql`now()` })
      .where(and(eq(projectVersions.projectId, projectId), eq(projectVersions.seq, last.seq)));
    if (last.treeHash !== treeHash) await dropTreeIfUnused(tx, projectId, last.treeHash);
    return { version: await byTx(tx, projectId, last.seq), outcome: 'updated' };
  }
  const changes = diff(last ? await treeFiles(tx, projectId, last.treeHash) : [], files);
  const seq = (last?.seq ?? 0) + 1;
  await tx.insert(projectVersions).values({
    projectId,
    seq,
    kind: input.kind,
    label: label(input, changes),
    round: optionalInt('round', input.round),
    phaseIndex: optionalInt('phaseIndex', input.phaseIndex),
    restoredFrom:
      input.restoredFrom === null || input.restoredFrom === undefined ? null : requireInt('restoredFrom', input.restoredFrom, 1),
    treeHash,
    changes,
  });
  return { version: await byTx(tx, projectId, seq), outcome: 'created' };
}

/** Retries the rare deadlock or serialization failure between two writers of one project. */
async function retrying<T>(run: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (e) {
      const code = driverErrorCode(e);
      if (attempt >= 3 || (code !== SERIALIZATION_FAILURE && code !== DEADLOCK)) throw e;
    }
  }
}

export function versionsRepository(orm: Orm): VersionsRepository {
  const requireProject = (projectId: string) => {
    if (!isUuid(projectId)) throw notFound('project');
  };
  const requireSeq = (seq: number) => requireInt('seq', seq, 1, 2 ** 31 - 1);

  return {
    async record(projectId, input, options = {}) {
      if (!KINDS.includes(input.kind)) throw invalid(`kind must be one of ${KINDS.join(', ')}`);
      requireProject(projectId);
      return retrying(() =>
        orm.transaction(async (tx) => {
          await lockProject(tx, projectId);
          return recordIn(tx, projectId, input, options, await currentFiles(tx, projectId));
        }),
      ).catch((e: unknown) => {
        if (driverErrorCode(e) === '23503') throw notFound('project');
        throw e;
      });
    },

    async list(projectId) {
      if (!isUuid(projectId)) return [];
      const rows = await selectVersions(orm).where(eq(projectVersions.projectId, projectId)).orderBy(desc(projectVersions.seq));
      return (rows as VersionSelect[]).map(toVersion);
    },

    async get(projectId, seq) {
      if (!isUuid(projectId) || !Number.isInteger(seq) || seq < 1 || seq > 2 ** 31 - 1) return null;
      const [row] = await selectVersions(orm).where(and(eq(projectVersions.projectId, projectId), eq(projectVersions.seq, seq)));
      return row ? toVersion(row as VersionSelect) : null;
    },

    async files(projectId, seq) {
      const version = await this.get(projectId, seq);
      return version ? treeFiles(orm, projectId, version.treeHash) : null;
    },

    async read(projectId, seq, path) {
      const version = await this.get(projectId, seq);
      if (!version || typeof path !== 'string' || path.includes('\0')) return null;
      const [row] = await orm
        .select({ path: versionTreeFiles.path, hash: versionTreeFiles.hash, content: fileBlobs.content, encoding: fileBlobs.encoding })
        .from(versionTreeFiles)
        .innerJoin(fileBlobs, and(eq(fileBlobs.projectId, versionTreeFiles.projectId), eq(fileBlobs.hash, versionTreeFiles.hash)))
        .where(
          and(eq(versionTreeFiles.projectId, projectId), eq(versionTreeFiles.treeHash, version.treeHash), eq(versionTreeFiles.path, path)),
        );
      return row ?? null;
    },

    async readMany(projectId, seq, paths) {
      const version = await this.get(projectId, seq);
      if (!version || paths.length === 0) return [];
      const wanted = new Set(paths);
      const out: { path: string; content: string; encoding: FileEncoding }[] = [];
      // Batched by path list: a tree's file rows are small, its blobs are read only for the batch.
      const metas = (await treeFiles(orm, projectId, version.treeHash)).filter((f) => wanted.has(f.path));
      for (let i = 0; i < metas.length; i += INSERT_BATCH) {
        const batch = metas.slice(i, i + INSERT_BATCH);
        const hashes = [...new Set(batch.map((f) => f.hash))];
        const blobs = await orm
          .select({ hash: fileBlobs.hash, content: fileBlobs.content, encoding: fileBlobs.encoding })
          .from(fileBlobs)
          .where(and(eq(fileBlobs.projectId, projectId), inArray(fileBlobs.hash, hashes)));
        const byHash = new Map(blobs.map((b) => [b.hash, b]));
        for (const f of batch) {
          const blob = byHash.get(f.hash);
          if (blob === undefined)
            throw new LatheError('db_corrupt_row', `version ${seq} of project ${projectId} lacks the body of ${f.path}`);
          out.push({ path: f.path, content: blob.content, encoding: blob.encoding });
        }
      }
      return out;
    },

    async restore(projectId, seq) {
      requireProject(projectId);
      const target = requireSeq(seq);
      return retrying(() =>
        orm.transaction(async (tx) => {
          await lockProject(tx, projectId);
          const [row] = await selectVersions(tx).where(and(eq(projectVersions.projectId, projectId), eq(projectVersions.seq, target)));
          if (!row) throw notFound('version');
          const version = row as VersionSelect;
          const now = await currentFiles(tx, projectId);
          const checkpoint = await recordIn(
            tx,
            projectId,
            { kind: 'checkpoint', label: `Before restoring version ${target}` },
            { skipUnchanged: true },
            now,
          );
          const wanted = await treeFiles(tx, projectId, version.treeHash);
          const changes = diff(now, wanted);
          // Only files whose content differs are rewritten (their updated_at shows the restore).
          await tx.execute(sql`
            insert into generated_files (project_id, path, content, encoding, hash, size, phase, updated_at)
            select f.project_id, f.path, b.content, b.encoding, f.hash, f.size, null, now()
            from version_tree_files f
            join file_blobs b on b.project_id = f.project_id and b.hash = f.hash
            where f.project_id = ${projectId} and f.tree_hash = ${version.treeHash}
            on conflict (project_id, path) do update
              set content = excluded.content, encoding = excluded.encoding, hash = excluded.hash, size = excluded.size, phase = null, updated_at = now()
              where generated_files.hash <> excluded.hash`);
          await tx.execute(sql`
            delete from generated_files g where g.project_id = ${projectId}
            and not exists (
              select 1 from version_tree_files f
              where f.project_id = g.project_id and f.tree_hash = ${version.treeHash} and f.path = g.path
            )`);
          const restored = await recordIn(
            tx,
            projectId,
            {
              kind: 'restore',
              label: `Restored version ${target}`,
              restoredFrom: target,
              round: version.round,
              phaseIndex: version.phaseIndex,
            },
            {},
            wanted,
          );
          return {
            version: restored.version,
            checkpoint: checkpoint.outcome === 'created' ? checkpoint.version : null,
            written: [...changes.added, ...changes.modified].sort(),
            deleted: changes.deleted,
          };
        }),
      );
    },
  };
}
