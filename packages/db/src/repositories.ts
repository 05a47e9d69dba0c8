import { randomUUID } from 'node:crypto';
import {
  ACTIVE_STATES,
  type AgentEvent,
  type AgentSnapshot,
  AgentSnapshotSchema,
  check,
  EVENT_TYPES,
  EventSchemas,
  type FileEncoding,
  isBase64,
  LatheError,
  LIMITS,
  type NewEvent,
  type ProjectStatus,
} from '@lathe/protocol';
import { and, asc, desc, eq, getTableColumns, gt, gte, inArray, like, lt, lte, or, sql } from 'drizzle-orm';
import type { Database, Orm } from './database';
import { driverErrorCode } from './errors';
import {
  agentStates,
  conversationMessages,
  fileBlobs,
  generatedFiles,
  phaseSnapshotFiles,
  phaseSnapshots,
  projectEvents,
  projects,
  session,
  usageLedger,
  user,
  userApiKeys,
  userSettings,
} from './schema';
import type {
  AgentStatesRepository,
  ApiKeyInfo,
  ApiKeyRow,
  ApiKeysRepository,
  EventsRepository,
  FileMeta,
  FileRow,
  FilesRepository,
  MessageRole,
  MessageRow,
  MessagesRepository,
  ModelChoices,
  ProjectRow,
  ProjectsRepository,
  Repositories,
  SessionsRepository,
  SettingsRepository,
  SnapshotFile,
  SnapshotsRepository,
  UsageEntry,
  UsageRepository,
  UserInfo,
  UsersRepository,
} from './types';
import { USER_ROLES, USER_STATUSES, type UserRole, type UserStatus } from './user-fields';
import {
  fileBytes,
  invalid,
  iso,
  isUuid,
  newPreviewToken,
  notFound,
  PREVIEW_TOKEN_RE,
  requireInt,
  requireText,
  sha256,
  withoutNul,
} from './validate';
import { versionsRepository } from './versions';

const PROJECT_STATUSES: readonly ProjectStatus[] = ['idle', 'generating', 'ready', 'problems', 'error', 'cancelled'];
const MESSAGE_ROLES: readonly MessageRole[] = ['user', 'assistant', 'system'];
const MAX_EVENTS_PER_READ = 1000;
// Rows per INSERT when writing many files: keeps statements far below the parameter limit.
const INSERT_BATCH = 100;
const FK_VIOLATION = '23503';

/** Runs a write whose only expected failure is a missing parent row. */
async function withParent<T>(what: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (e) {
    if (driverErrorCode(e) === FK_VIOLATION) throw notFound(what);
    throw e;
  }
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function requirePath(path: unknown): string {
  const value = requireText('path', path, { min: 1, max: LIMITS.pathChars });
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  if (/[\u0000-\u001f\u007f]/.test(value)) throw invalid('path must not contain control characters');
  return value;
}

function requireContent(content: unknown): string {
  const value = requireText('content', content);
  if (Buffer.byteLength(value, 'utf8') > LIMITS.fileBytes) throw invalid(`file content must be at most ${LIMITS.fileBytes} bytes`);
  return value;
}

/** A file's content in its encoding, with its bytes' hash and size (a binary's limit is on its decoded bytes). */
function requireFileBody(content: unknown, encoding: unknown): { content: string; encoding: FileEncoding; hash: string; size: number } {
  if (encoding === undefined || encoding === 'utf8') {
    const text = requireContent(content);
    return { content: text, encoding: 'utf8', hash: sha256(text), size: Buffer.byteLength(text, 'utf8') };
  }
  if (encoding !== 'base64') throw invalid('encoding must be utf8 or base64');
  const text = requireText('content', content);
  if (!isBase64(text)) throw invalid('content must be base64');
  const bytes = fileBytes(text, 'base64');
  if (bytes.length > LIMITS.fileBytes) throw invalid(`file content must be at most ${LIMITS.fileBytes} bytes`);
  return { content: text, encoding: 'base64', hash: sha256(bytes), size: bytes.length };
}

// ---------------------------------------------------------------- projects

const projectColumns = { ...getTableColumns(projects), agentState: agentStates.state };
type ProjectSelect = typeof projects.$inferSelect & { agentState: AgentSnapshot['state'] | null };

function toProject(row: ProjectSelect): ProjectRow {
  return {
    id: row.id,
    ownerId: row.ownerId,
    name: row.name,
    initialPrompt: row.initialPrompt,
    template: row.template,
    previewToken: row.previewToken,
    status: row.status,
    agentState: row.agentState ?? 'IDLE',
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
  };
}

function projectsRepository(orm: Orm): ProjectsRepository {
  const select = () => orm.select(projectColumns).from(projects).leftJoin(agentStates, eq(agentStates.projectId, projects.id));
  const first = (rows: ProjectSelect[]) => (rows[0] ? toProject(rows[0]) : null);

  return {
    async create(input) {
      const ownerId = requireText('ownerId', input.ownerId, { min: 1, max: 200 });
      const name = requireText('name', input.name?.trim(), { min: 1, max: LIMITS.projectNameChars });
      const initialPrompt = requireText('initialPrompt', input.initialPrompt, { max: LIMITS.promptChars });
      const template = requireText('template', input.template, { min: 1, max: 100 });
      const [row] = await withParent('user', () =>
        orm
          .insert(projects)
          .values({ id: randomUUID(), ownerId, name, initialPrompt, template, previewToken: newPreviewToken() })
          .returning(),
      );
      if (!row) throw new LatheError('internal_error', 'project insert returned no row');
      return toProject({ ...row, agentState: null });
    },

    async get(id, ownerId) {
      if (!isUuid(id)) return null;
      return first(await select().where(and(eq(projects.id, id), eq(projects.ownerId, ownerId))));
    },

    async getAny(id) {
      if (!isUuid(id)) return null;
      return first(await select().where(eq(projects.id, id)));
    },

    async listByOwner(ownerId) {
      const rows = await select().where(eq(projects.ownerId, ownerId)).orderBy(desc(projects.updatedAt), asc(projects.id));
      return rows.map(toProject);
    },

    async rename(id, ownerId, name) {
      const clean = requireText('name', name?.trim(), { min: 1, max: LIMITS.projectNameChars });
      if (!isUuid(id)) return null;
      const updated = await orm
        .update(projects)
        .set({ name: clean, updatedAt: sql`now()` })
        .where(and(eq(projects.id, id), eq(projects.ownerId, ownerId)))
        .returning({ id: projects.id });
      return updated.length > 0 ? first(await select().where(eq(projects.id, id))) : null;
    },

    async setStatus(id, status) {
      if (!PROJECT_STATUSES.includes(status)) throw invalid(`status must be one of ${PROJECT_STATUSES.join(', ')}`);
      if (!isUuid(id)) return false;
      const updated = await orm
        .update(projects)
        .set({ status, updatedAt: sql`now()` })
        .where(eq(projects.id, id))
        .returning({ id: projects.id });
      return updated.length > 0;
    },

    async getByPreviewToken(token) {
      if (!PREVIEW_TOKEN_RE.test(token)) return null;
      return first(await select().where(eq(projects.previewToken, token)));
    },

    async rotatePreviewToken(id, ownerId) {
      if (!isUuid(id)) throw notFound('project');
      const previewToken = newPreviewToken();
      const updated = await orm
        .update(projects)
        .set({ previewToken, updatedAt: sql`now()` })
        .where(and(eq(projects.id, id), eq(projects.ownerId, ownerId)))
        .returning({ id: projects.id });
      if (updated.length === 0) throw notFound('project');
      return previewToken;
    },

    async delete(id, ownerId) {
      if (!isUuid(id)) return false;
      const deleted = await orm
        .delete(projects)
        .where(and(eq(projects.id, id), eq(projects.ownerId, ownerId)))
        .returning({ id: projects.id });
      return deleted.length > 0;
    },

    async listActive() {
      const rows = await select()
        .where(inArray(agentStates.state, [...ACTIVE_STATES]))
        .orderBy(asc(projects.updatedAt));
      return rows.map(toProject);
    },
  };
}

// ---------------------------------------------------------------- files

const fileMetaColumns = {
  path: generatedFiles.path,
  size: generatedFiles.size,
  hash: generatedFiles.hash,
  phase: generatedFiles.phase,
  encoding: generatedFiles.encoding,
  updatedAt: generatedFiles.updatedAt,
};

function toFileMeta(row: {
  path: string;
  size: number;
  hash: string;
  encoding: FileEncoding;
  phase: number | null;
  updatedAt: Date;
}): FileMeta {
  return { path: row.path, size: row.size, hash: row.hash, encoding: row.encoding, phase: row.phase, updatedAt: iso(row.updatedAt) };
}

function toFile(row: typeof generatedFiles.$inferSelect): FileRow {
  return { ...toFileMeta(row), content: row.content };
}

function filesRepository(orm: Orm): FilesRepository {
  return {
    async upsert(projectId, file) {
      const path = requirePath(file.path);
      const body = requireFileBody(file.content, file.encoding);
      const phase = file.phase === null ? null : requireInt('phase', file.phase, 0);
      if (!isUuid(projectId)) throw notFound('project');
      const [usage] = await orm
        .select({ files: sql<number>`count(*)::int`, exists: sql<boolean>`coalesce(bool_or(${generatedFiles.path} = ${path}), false)` })
        .from(generatedFiles)
        .where(eq(generatedFiles.projectId, projectId));
      if (usage && !usage.exists && usage.files >= LIMITS.filesPerProject) {
        throw new LatheError('too_many_files', `a project may hold at most ${LIMITS.filesPerProject} files`);
      }
      const values = { ...body, phase, updatedAt: sql`now()` };
      const [row] = await withParent('project', () =>
        orm
          .insert(generatedFiles)
          .values({ projectId, path, ...values })
          .onConflictDoUpdate({ target: [generatedFiles.projectId, generatedFiles.path], set: values })
          .returning(),
      );
      if (!row) throw new LatheError('internal_error', 'file upsert returned no row');
      return toFile(row);
    },

    async list(projectId) {
      if (!isUuid(projectId)) return [];
      const rows = await orm
        .select(fileMetaColumns)
        .from(generatedFiles)
        .where(eq(generatedFiles.projectId, projectId))
        .orderBy(asc(generatedFiles.path));
      return rows.map(toFileMeta);
    },

    async read(projectId, path) {
      if (!isUuid(projectId) || typeof path !== 'string' || path.includes('\0')) return null;
      const [row] = await orm
        .select()
        .from(generatedFiles)
        .where(and(eq(generatedFiles.projectId, projectId), eq(generatedFiles.path, path)));
      return row ? toFile(row) : null;
    },

    async readMany(projectId, paths) {
      if (!isUuid(projectId)) return [];
      if (paths !== undefined && paths.length === 0) return [];
      const scope = eq(generatedFiles.projectId, projectId);
      const rows = await orm
        .select()
        .from(generatedFiles)
        .where(paths === undefined ? scope : and(scope, inArray(generatedFiles.path, paths)))
        .orderBy(asc(generatedFiles.path));
      return rows.map(toFile);
    },

    async delete(projectId, path) {
      if (!isUuid(projectId) || typeof path !== 'string' || path.includes('\0')) return false;
      const deleted = await orm
        .delete(generatedFiles)
        .where(and(eq(generatedFiles.projectId, projectId), eq(generatedFiles.path, path)))
        .returning({ path: generatedFiles.path });
      return deleted.length > 0;
    },

    async move(projectId, from, to) {
      const source = requirePath(from);
      const target = requirePath(to);
      if (!isUuid(projectId)) throw notFound('file');
      if (target === source || target.startsWith(`${source}/`)) throw invalid('a file or folder cannot be moved into itself');
      return orm.transaction(async (tx) => {
        const under = or(eq(generatedFiles.path, source), like(generatedFiles.path, `${likeEscape(source)}/%`));
        const rows = await tx
          .select({ path: generatedFiles.path })
          .from(generatedFiles)
          .where(and(eq(generatedFiles.projectId, projectId), under))
          .for('update');
        if (rows.length === 0) throw notFound('file');
        const moves = rows.map((r) => ({ from: r.path, to: r.path === source ? target : `${target}${r.path.slice(source.length)}` }));
        for (const m of moves) requirePath(m.to);
        const taken = await tx
          .select({ path: generatedFiles.path })
          .from(generatedFiles)
          .where(
            and(
              eq(generatedFiles.projectId, projectId),
              or(
                inArray(
                  generatedFiles.path,
                  moves.map((m) => m.to),
                ),
                like(generatedFiles.path, `${likeEscape(target)}/%`),
                eq(generatedFiles.path, target),
              ),
            ),
          );
        const clash = taken.find((t) => !moves.some((m) => m.from === t.path));
        if (clash) throw new LatheError('path_exists', `${clash.path} already exists`);
        for (const m of moves) {
          await tx
            .update(generatedFiles)
            .set({ path: m.to, updatedAt: sql`now()` })
            .where(and(eq(generatedFiles.projectId, projectId), eq(generatedFiles.path, m.from)));
        }
        return moves.sort((a, b) => (a.from < b.from ? -1 : 1));
      });
    },

    async deleteTree(projectId, path) {
      const at = requirePath(path);
      if (!isUuid(projectId)) return [];
      const deleted = await orm
        .delete(generatedFiles)
        .where(
          and(eq(generatedFiles.projectId, projectId), or(eq(generatedFiles.path, at), like(generatedFiles.path, `${likeEscape(at)}/%`))),
        )
        .returning({ path: generatedFiles.path });
      return deleted.map((d) => d.path).sort();
    },
  };
}

/** `text` matched literally inside a LIKE pattern. */
function likeEscape(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

// ---------------------------------------------------------------- events

function validateNewEvent(event: NewEvent, index: number): NewEvent {
  if (typeof event !== 'object' || event === null || !EVENT_TYPES.includes(event.type)) {
    throw invalid(`event ${index}: unknown event type`);
  }
  const result = check(EventSchemas[event.type].properties.payload, event.payload);
  if (!result.ok) throw invalid(`event ${index} (${event.type}): payload ${result.error}`);
  return { type: event.type, payload: withoutNul(event.payload) } as NewEvent;
}

function toEvent(row: typeof projectEvents.$inferSelect): AgentEvent {
  if (!EVENT_TYPES.includes(row.type as AgentEvent['type'])) {
    throw new LatheError('db_corrupt_row', `event ${row.seq} of project ${row.projectId} has unknown type ${row.type}`);
  }
  const type = row.type as AgentEvent['type'];
  const result = check(EventSchemas[type], { seq: row.seq, projectId: row.projectId, at: iso(row.createdAt), type, payload: row.payload });
  if (!result.ok) throw new LatheError('db_corrupt_row', `event ${row.seq} of project ${row.projectId} is malformed: ${result.error}`);
  return result.value;
}

function eventsRepository(orm: Orm): EventsRepository {
  const appendMany = async (projectId: string, events: NewEvent[]): Promise<AgentEvent[]> => {
    if (!Array.isArray(events)) throw invalid('events must be an array');
    const clean = events.map(validateNewEvent);
    if (!isUuid(projectId)) throw notFound('project');
    if (clean.length === 0) return [];
    return orm.transaction(async (tx) => {
      // The counter row's lock serialises appenders of one project until commit: no gaps, no duplicates.
      const [counter] = await tx
        .update(projects)
        .set({ lastEventSeq: sql`${projects.lastEventSeq} + ${clean.length}` })
        .where(eq(projects.id, projectId))
        .returning({ last: projects.lastEventSeq });
      if (!counter) throw notFound('project');
      const firstSeq = counter.last - clean.length + 1;
      const rows = await tx
        .insert(projectEvents)
        .values(clean.map((e, i) => ({ projectId, seq: firstSeq + i, type: e.type, payload: e.payload })))
        .returning();
      return rows.sort((a, b) => a.seq - b.seq).map(toEvent);
    });
  };

  return {
    async append(projectId, event) {
      const [appended] = await appendMany(projectId, [event]);
      if (!appended) throw new LatheError('internal_error', 'event append returned no row');
      return appended;
    },

    appendMany,

    async after(projectId, afterSeq, limit = MAX_EVENTS_PER_READ) {
      const from = requireInt('afterSeq', afterSeq, 0);
      const take = requireInt('limit', limit, 1, MAX_EVENTS_PER_READ);
      if (!isUuid(projectId)) return [];
      const rows = await orm
        .select()
        .from(projectEvents)
        .where(and(eq(projectEvents.projectId, projectId), gt(projectEvents.seq, from)))
        .orderBy(asc(projectEvents.seq))
        .limit(take);
      return rows.map(toEvent);
    },

    async lastSeq(projectId) {
      if (!isUuid(projectId)) return 0;
      const [row] = await orm.select({ last: projects.lastEventSeq }).from(projects).where(eq(projects.id, projectId));
      return row?.last ?? 0;
    },

    async compactFileChunks(projectId, throughSeq) {
      const through = requireInt('throughSeq', throughSeq, 0);
      if (!isUuid(projectId)) return 0;
      const deleted = await orm
        .delete(projectEvents)
        .where(and(eq(projectEvents.projectId, projectId), eq(projectEvents.type, 'file_chunk'), lte(projectEvents.seq, through)))
        .returning({ seq: projectEvents.seq });
      return deleted.length;
    },

    async trimLogs(projectId, keep) {
      const n = requireInt('keep', keep, 1);
      if (!isUuid(projectId)) return 0;
      // The seq of the oldest log event to keep; when there are fewer, the comparison is NULL and nothing goes.
      const oldestKept = orm
        .select({ seq: projectEvents.seq })
        .from(projectEvents)
        .where(and(eq(projectEvents.projectId, projectId), eq(projectEvents.type, 'log')))
        .orderBy(desc(projectEvents.seq))
        .offset(n - 1)
        .limit(1);
      const deleted = await orm
        .delete(projectEvents)
        .where(and(eq(projectEvents.projectId, projectId), eq(projectEvents.type, 'log'), lt(projectEvents.seq, oldestKept)))
        .returning({ seq: projectEvents.seq });
      return deleted.length;
    },

    async count(projectId) {
      if (!isUuid(projectId)) return 0;
      const [row] = await orm.select({ n: sql<number>`count(*)::int` }).from(projectEvents).where(eq(projectEvents.projectId, projectId));
      return row?.n ?? 0;
    },
  };
}

// ---------------------------------------------------------------- agent states

function agentStatesRepository(orm: Orm): AgentStatesRepository {
  return {
    async load(projectId) {
      if (!isUuid(projectId)) return null;
      const [row] = await orm.select().from(agentStates).where(eq(agentStates.projectId, projectId));
      if (!row) return null;
      const result = check(AgentSnapshotSchema, {
        ...row.extra,
        projectId: row.projectId,
        state: row.state,
        round: row.round,
        phases: row.phases,
        currentPhase: row.currentPhase,
        lastSeq: row.lastSeq,
        lastError: row.lastError ?? null,
        previewUrl: row.previewUrl,
        usage: row.usage,
        offlineModel: row.offlineModel,
      });
      if (!result.ok) throw new LatheError('db_corrupt_row', `agent state of project ${projectId} is malformed: ${result.error}`);
      return { snapshot: result.value, version: row.version };
    },

    async save(projectId, snapshot, expectedVersion) {
      const result = check(AgentSnapshotSchema, snapshot);
      if (!result.ok) throw invalid(`agent snapshot ${result.error}`);
      const version = requireInt('expectedVersion', expectedVersion, 0);
      const s = withoutNul(result.value);
      if (s.projectId !== projectId) throw invalid('agent snapshot belongs to another project');
      if (!isUuid(projectId)) throw notFound('project');
      const { projectId: _id, state, round, phases, currentPhase, lastSeq, lastError, previewUrl, usage, offlineModel, ...extra } = s;
      const columns = { state, round, phases, currentPhase, lastSeq, lastError, previewUrl, usage, offlineModel, extra };
      const written =
        version === 0
          ? await withParent('project', () =>
              orm
                .insert(agentStates)
                .values({ projectId, ...columns, version: 1 })
                .onConflictDoNothing()
                .returning({ version: agentStates.version }),
            )
          : await orm
              .update(agentStates)
              .set({ ...columns, version: version + 1, updatedAt: sql`now()` })
              .where(and(eq(agentStates.projectId, projectId), eq(agentStates.version, version)))
              .returning({ version: agentStates.version });
      const row = written[0];
      if (!row) {
        throw new LatheError(
          'stale_state',
          `agent state of project ${projectId} was changed by another writer (expected version ${version}); reload it and retry`,
        );
      }
      return row.version;
    },
  };
}

// ---------------------------------------------------------------- phase snapshots

function snapshotsRepository(orm: Orm): SnapshotsRepository {
  return {
    async savePhase(projectId, round, phaseIndex, files) {
      const r = requireInt('round', round, 0, 2 ** 31 - 1);
      const p = requireInt('phaseIndex', phaseIndex, 0, 2 ** 31 - 1);
      if (!Array.isArray(files)) throw invalid('files must be an array');
      const seen = new Set<string>();
      const entries = files.map((f) => {
        const path = requirePath(f.path);
        if (seen.has(path)) throw invalid(`duplicate path in snapshot: ${path}`);
        seen.add(path);
        return { path, ...requireFileBody(f.content, f.encoding) };
      });
      if (!isUuid(projectId)) throw notFound('project');
      await withParent('project', () =>
        orm.transaction(async (tx) => {
          const key = and(eq(phaseSnapshots.projectId, projectId), eq(phaseSnapshots.round, r), eq(phaseSnapshots.phaseIndex, p));
          await tx.delete(phaseSnapshots).where(key);
          await tx.insert(phaseSnapshots).values({ projectId, round: r, phaseIndex: p, fileCount: entries.length });
          for (const batch of chunks(entries, INSERT_BATCH)) {
            await tx
              .insert(fileBlobs)
              .values(batch.map((e) => ({ projectId, hash: e.hash, content: e.content, encoding: e.encoding })))
              .onConflictDoNothing();
            await tx
              .insert(phaseSnapshotFiles)
              .values(batch.map((e) => ({ projectId, round: r, phaseIndex: p, path: e.path, hash: e.hash })));
          }
        }),
      );
    },

    async list(projectId) {
      if (!isUuid(projectId)) return [];
      const rows = await orm
        .select()
        .from(phaseSnapshots)
        .where(eq(phaseSnapshots.projectId, projectId))
        .orderBy(asc(phaseSnapshots.round), asc(phaseSnapshots.phaseIndex));
      return rows.map((row) => ({ round: row.round, phaseIndex: row.phaseIndex, createdAt: iso(row.createdAt), fileCount: row.fileCount }));
    },

    async restore(projectId, round, phaseIndex) {
      const r = requireInt('round', round, 0, 2 ** 31 - 1);
      const p = requireInt('phaseIndex', phaseIndex, 0, 2 ** 31 - 1);
      if (!isUuid(projectId)) throw notFound('phase snapshot');
      const [snapshot] = await orm
        .select({ fileCount: phaseSnapshots.fileCount })
        .from(phaseSnapshots)
        .where(and(eq(phaseSnapshots.projectId, projectId), eq(phaseSnapshots.round, r), eq(phaseSnapshots.phaseIndex, p)));
      if (!snapshot) throw notFound('phase snapshot');
      const rows = await orm
        .select({ path: phaseSnapshotFiles.path, content: fileBlobs.content, encoding: fileBlobs.encoding })
        .from(phaseSnapshotFiles)
        .innerJoin(fileBlobs, and(eq(fileBlobs.projectId, phaseSnapshotFiles.projectId), eq(fileBlobs.hash, phaseSnapshotFiles.hash)))
        .where(and(eq(phaseSnapshotFiles.projectId, projectId), eq(phaseSnapshotFiles.round, r), eq(phaseSnapshotFiles.phaseIndex, p)))
        .orderBy(asc(phaseSnapshotFiles.path));
      // Text files as before; only a binary says how its content is encoded.
      return rows.map((r): SnapshotFile => (r.encoding === 'base64' ? r : { path: r.path, content: r.content }));
    },
  };
}

// ---------------------------------------------------------------- messages

function toMessage(row: typeof conversationMessages.$inferSelect): MessageRow {
  return { id: row.id, projectId: row.projectId, role: row.role, content: row.content, createdAt: iso(row.createdAt) };
}

function messagesRepository(orm: Orm): MessagesRepository {
  return {
    async append(projectId, message) {
      if (!MESSAGE_ROLES.includes(message.role)) throw invalid(`role must be one of ${MESSAGE_ROLES.join(', ')}`);
      const content = requireText('content', message.content);
      if (!isUuid(projectId)) throw notFound('project');
      const [row] = await withParent('project', () =>
        orm.insert(conversationMessages).values({ id: randomUUID(), projectId, role: message.role, content }).returning(),
      );
      if (!row) throw new LatheError('internal_error', 'message insert returned no row');
      return toMessage(row);
    },

    async list(projectId) {
      if (!isUuid(projectId)) return [];
      const rows = await orm
        .select()
        .from(conversationMessages)
        .where(eq(conversationMessages.projectId, projectId))
        .orderBy(asc(conversationMessages.position));
      return rows.map(toMessage);
    },
  };
}

// ---------------------------------------------------------------- API keys

const { ciphertext: _c, iv: _i, tag: _t, ...apiKeyInfoColumns } = getTableColumns(userApiKeys);

function toApiKeyInfo(row: Omit<typeof userApiKeys.$inferSelect, 'ciphertext' | 'iv' | 'tag'>): ApiKeyInfo {
  return { id: row.id, userId: row.userId, provider: row.provider, last4: row.last4, createdAt: iso(row.createdAt) };
}

function toApiKey(row: typeof userApiKeys.$inferSelect): ApiKeyRow {
  return { ...toApiKeyInfo(row), ciphertext: row.ciphertext, iv: row.iv, tag: row.tag };
}

function apiKeysRepository(orm: Orm): ApiKeysRepository {
  return {
    async add(userId, key) {
      const values = {
        provider: requireText('provider', key.provider, { min: 1, max: 50 }),
        ciphertext: requireText('ciphertext', key.ciphertext, { min: 1, max: 4000 }),
        iv: requireText('iv', key.iv, { min: 1, max: 200 }),
        tag: requireText('tag', key.tag, { min: 1, max: 200 }),
        last4: requireText('last4', key.last4, { max: 8 }),
      };
      requireText('userId', userId, { min: 1, max: 200 });
      // A newer key for the same provider replaces the old one, under a new id.
      const replacement = { ...values, id: randomUUID(), createdAt: sql`now()` };
      const [row] = await withParent('user', () =>
        orm
          .insert(userApiKeys)
          .values({ ...values, id: replacement.id, userId })
          .onConflictDoUpdate({ target: [userApiKeys.userId, userApiKeys.provider], set: replacement })
          .returning(),
      );
      if (!row) throw new LatheError('internal_error', 'API key insert returned no row');
      return toApiKey(row);
    },

    async list(userId) {
      const rows = await orm
        .select(apiKeyInfoColumns)
        .from(userApiKeys)
        .where(eq(userApiKeys.userId, userId))
        .orderBy(asc(userApiKeys.provider));
      return rows.map(toApiKeyInfo);
    },

    async get(userId, id) {
      if (!isUuid(id)) return null;
      const [row] = await orm
        .select()
        .from(userApiKeys)
        .where(and(eq(userApiKeys.userId, userId), eq(userApiKeys.id, id)));
      return row ? toApiKey(row) : null;
    },

    async getForProvider(userId, provider) {
      const [row] = await orm
        .select()
        .from(userApiKeys)
        .where(and(eq(userApiKeys.userId, userId), eq(userApiKeys.provider, provider)));
      return row ? toApiKey(row) : null;
    },

    async delete(userId, id) {
      if (!isUuid(id)) return false;
      const deleted = await orm
        .delete(userApiKeys)
        .where(and(eq(userApiKeys.userId, userId), eq(userApiKeys.id, id)))
        .returning({ id: userApiKeys.id });
      return deleted.length > 0;
    },
  };
}

const MODEL_ROLES = ['designer', 'implementer', 'fixer'] as const;
// C0 and C1 controls (newlines included): a model name is sent in request bodies and shown in the UI.
const CONTROL_CHARS = /\p{Cc}/u;

function requireModelChoices(models: unknown): ModelChoices {
  if (typeof models !== 'object' || models === null || Array.isArray(models)) throw invalid('models must be an object');
  const record = models as Record<string, unknown>;
  const unknownKey = Object.keys(record).find((k) => !(MODEL_ROLES as readonly string[]).includes(k));
  if (unknownKey !== undefined) throw invalid(`models has an unknown role: ${unknownKey.slice(0, 50)}`);
  const out: ModelChoices = {};
  for (const role of MODEL_ROLES) {
    const value = record[role];
    if (value === undefined) continue;
    const name = requireText(`models.${role}`, value, { min: 1, max: 200 });
    if (CONTROL_CHARS.test(name)) throw invalid(`models.${role} must not contain control characters`);
    out[role] = name;
  }
  return out;
}

function settingsRepository(orm: Orm): SettingsRepository {
  return {
    async getModels(userId) {
      const [row] = await orm.select({ models: userSettings.models }).from(userSettings).where(eq(userSettings.userId, userId));
      return row ? row.models : {};
    },

    async setModels(userId, models) {
      const value = requireModelChoices(models);
      requireText('userId', userId, { min: 1, max: 200 });
      const [row] = await withParent('user', () =>
        orm
          .insert(userSettings)
          .values({ userId, models: value })
          .onConflictDoUpdate({ target: userSettings.userId, set: { models: value, updatedAt: sql`now()` } })
          .returning({ models: userSettings.models }),
      );
      if (!row) throw new LatheError('internal_error', 'settings upsert returned no row');
      return row.models;
    },
  };
}

function sessionsRepository(orm: Orm): SessionsRepository {
  return {
    async activeUntil(sessionId, userId) {
      if (typeof sessionId !== 'string' || typeof userId !== 'string' || sessionId.length > 200 || userId.length > 200) return null;
      const [row] = await orm
        .select({ expiresAt: session.expiresAt })
        .from(session)
        .where(and(eq(session.id, sessionId), eq(session.userId, userId), gt(session.expiresAt, new Date())));
      return row ? row.expiresAt : null;
    },
  };
}

// ---------------------------------------------------------------- usage ledger

const USAGE_ROLES: readonly UsageEntry['role'][] = ['designer', 'implementer', 'fixer'];
// Far above any real call; an int4 column holds it.
const MAX_CALL_TOKENS = 1_000_000_000;

function requireUsageEntry(entry: UsageEntry): UsageEntry {
  if (!isUuid(entry.projectId)) throw invalid('projectId must be a UUID');
  if (!USAGE_ROLES.includes(entry.role)) throw invalid('role must be designer, implementer or fixer');
  const cost = entry.costUsd;
  if (cost !== null && (typeof cost !== 'number' || !Number.isFinite(cost) || cost < 0))
    throw invalid('costUsd must be a number >= 0 or null');
  return {
    userId: requireText('userId', entry.userId, { min: 1, max: 200 }),
    projectId: entry.projectId,
    eventSeq: requireInt('eventSeq', entry.eventSeq, 1),
    role: entry.role,
    // The model name is the operator's or the user's; a long one is kept, shortened.
    model: requireText('model', entry.model, { min: 1 }).slice(0, 200),
    promptTokens: requireInt('promptTokens', entry.promptTokens, 0, MAX_CALL_TOKENS),
    completionTokens: requireInt('completionTokens', entry.completionTokens, 0, MAX_CALL_TOKENS),
    cachedTokens: requireInt('cachedTokens', entry.cachedTokens, 0, MAX_CALL_TOKENS),
    costUsd: cost,
  };
}

function usageRepository(orm: Orm): UsageRepository {
  return {
    async record(entry) {
      const value = requireUsageEntry(entry);
      await withParent('project', () => orm.insert(usageLedger).values(value).onConflictDoNothing());
    },

    async projectTotals(projectId) {
      const empty = { calls: 0, promptTokens: 0, completionTokens: 0, cachedTokens: 0, costUsd: 0, unpricedCalls: 0 };
      if (!isUuid(projectId)) return empty;
      const [row] = await orm
        .select({
          calls: sql<string>`count(*)`,
          promptTokens: sql<string | null>`sum(${usageLedger.promptTokens})`,
          completionTokens: sql<string | null>`sum(${usageLedger.completionTokens})`,
          cachedTokens: sql<string | null>`sum(${usageLedger.cachedTokens})`,
          costUsd: sql<string | null>`sum(${usageLedger.costUsd})`,
          unpricedCalls: sql<string>`count(*) filter (where ${usageLedger.costUsd} is null)`,
        })
        .from(usageLedger)
        .where(eq(usageLedger.projectId, projectId));
      if (!row) return empty;
      // Aggregates arrive as strings (bigint, numeric) from postgres.js and PGlite alike.
      return {
        calls: Number(row.calls),
        promptTokens: Number(row.promptTokens ?? 0),
        completionTokens: Number(row.completionTokens ?? 0),
        cachedTokens: Number(row.cachedTokens ?? 0),
        costUsd: Number(row.costUsd ?? 0),
        unpricedCalls: Number(row.unpricedCalls),
      };
    },

    async userSince(userId, since) {
      const [row] = await orm
        .select({
          tokens: sql<string | null>`sum(${usageLedger.promptTokens} + ${usageLedger.completionTokens})`,
          costUsd: sql<string | null>`sum(${usageLedger.costUsd})`,
        })
        .from(usageLedger)
        .where(and(eq(usageLedger.userId, userId), gte(usageLedger.createdAt, since)));
      return { tokens: Number(row?.tokens ?? 0), costUsd: Number(row?.costUsd ?? 0) };
    },
  };
}

// ---------------------------------------------------------------- users

const userColumns = { id: user.id, email: user.email, name: user.name, role: user.role, status: user.status, createdAt: user.createdAt };

function toUserInfo(row: { id: string; email: string; name: string; role: string; status: string; createdAt: Date }): UserInfo {
  // Columns written only by Lathe; anything else (a hand-edited row) counts as the least privilege.
  const role: UserRole = row.role === 'admin' ? 'admin' : 'user';
  const status: UserStatus = (USER_STATUSES as readonly string[]).includes(row.status) ? (row.status as UserStatus) : 'disabled';
  return { id: row.id, email: row.email, name: row.name, role, status, createdAt: iso(row.createdAt) };
}

function usersRepository(orm: Orm): UsersRepository {
  // Written out: drizzle leaves columns unqualified in a one-table select, which these subqueries would capture.
  const projectCount = sql<string>`(select count(*) from projects p where p.owner_id = "user".id)`;
  const storageBytes = sql<
    string | null
  >`(select sum(f.size) from generated_files f join projects p on p.id = f.project_id where p.owner_id = "user".id)`;
  return {
    async get(id) {
      if (typeof id !== 'string' || id.length > 200) return null;
      const [row] = await orm.select(userColumns).from(user).where(eq(user.id, id));
      return row ? toUserInfo(row) : null;
    },

    async count() {
      const [row] = await orm.select({ n: sql<string>`count(*)` }).from(user);
      return Number(row?.n ?? 0);
    },

    async listWithHoldings() {
      const rows = await orm
        .select({ ...userColumns, projects: projectCount, storageBytes })
        .from(user)
        .orderBy(asc(user.createdAt), asc(user.id));
      return rows.map((r) => ({ ...toUserInfo(r), projects: Number(r.projects), storageBytes: Number(r.storageBytes ?? 0) }));
    },

    async update(id, change) {
      const set: { role?: UserRole; status?: UserStatus; updatedAt: Date } = { updatedAt: new Date() };
      if (change.role !== undefined) {
        if (!USER_ROLES.includes(change.role)) throw invalid(`role must be one of ${USER_ROLES.join(', ')}`);
        set.role = change.role;
      }
      if (change.status !== undefined) {
        if (!USER_STATUSES.includes(change.status)) throw invalid(`status must be one of ${USER_STATUSES.join(', ')}`);
        set.status = change.status;
      }
      if (typeof id !== 'string' || id.length > 200) return null;
      const [row] = await orm.update(user).set(set).where(eq(user.id, id)).returning(userColumns);
      return row ? toUserInfo(row) : null;
    },

    async endSessions(id) {
      const deleted = await orm.delete(session).where(eq(session.userId, id)).returning({ id: session.id });
      return deleted.length;
    },

    async projectCount(id) {
      const [row] = await orm.select({ n: sql<string>`count(*)` }).from(projects).where(eq(projects.ownerId, id));
      return Number(row?.n ?? 0);
    },

    async storageBytes(id) {
      const [row] = await orm
        .select({ n: sql<string | null>`sum(${generatedFiles.size})` })
        .from(generatedFiles)
        .innerJoin(projects, eq(projects.id, generatedFiles.projectId))
        .where(eq(projects.ownerId, id));
      return Number(row?.n ?? 0);
    },
  };
}

/** The repository API, identical on PostgreSQL and PGlite. */
export function createRepositories(db: Database): Repositories {
  const { orm } = db;
  return {
    projects: projectsRepository(orm),
    files: filesRepository(orm),
    events: eventsRepository(orm),
    agentStates: agentStatesRepository(orm),
    snapshots: snapshotsRepository(orm),
    messages: messagesRepository(orm),
    apiKeys: apiKeysRepository(orm),
    settings: settingsRepository(orm),
    sessions: sessionsRepository(orm),
    usage: usageRepository(orm),
    users: usersRepository(orm),
    versions: versionsRepository(orm),
  };
}
