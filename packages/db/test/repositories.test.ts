import { createHash } from 'node:crypto';
import { type DbKind, type ProjectRow, schema } from '@lathe/db';
import { type AgentSnapshot, initialSnapshot, isLatheError, LIMITS } from '@lathe/protocol';
import { type SQL, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, createTestUser, type TestDatabase } from '../../../testing/db';

const KINDS: DbKind[] = ['pglite', 'postgres'];

async function rejection(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (e) {
    if (isLatheError(e)) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error('expected a rejection');
}

/** Raw SQL for assertions; postgres.js answers an array of rows, PGlite `{ rows }`. */
async function query<R>(t: TestDatabase, statement: SQL): Promise<R[]> {
  const result: unknown = await t.db.orm.execute(statement);
  return (Array.isArray(result) ? result : (result as { rows: R[] }).rows) as R[];
}

function snapshot(projectId: string, overrides: Partial<AgentSnapshot> = {}): AgentSnapshot {
  return { ...initialSnapshot(projectId, true), ...overrides };
}

describe.each(KINDS)('repositories on %s', (kind) => {
  let t: TestDatabase;
  let owner: string;
  let other: string;

  beforeAll(async () => {
    t = await createTestDatabase(kind);
    owner = await createTestUser(t.db, 'Owner');
    other = await createTestUser(t.db, 'Other');
  });
  afterAll(async () => {
    await t?.close();
  });

  const newProject = (ownerId = owner, name = 'Todo app'): Promise<ProjectRow> =>
    t.repos.projects.create({ ownerId, name, initialPrompt: 'a todo app', template: 'react-vite' });

  it('reports its kind and answers ping', async () => {
    expect(t.db.kind).toBe(kind);
    expect(await t.db.ping()).toBe(true);
  });

  describe('projects', () => {
    it('creates a project with a uuid id and a DNS-label preview token', async () => {
      const p = await newProject();
      expect(p.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(p.previewToken).toMatch(/^[a-z0-9]{26,32}$/);
      expect(p).toMatchObject({
        ownerId: owner,
        name: 'Todo app',
        initialPrompt: 'a todo app',
        template: 'react-vite',
        status: 'idle',
        agentState: 'IDLE',
      });
      expect(new Date(p.createdAt).toISOString()).toBe(p.createdAt);
      const again = await newProject();
      expect(again.previewToken).not.toBe(p.previewToken);
    });

    it('scopes reads and writes by owner', async () => {
      const p = await newProject();
      expect(await t.repos.projects.get(p.id, owner)).toEqual(p);
      expect(await t.repos.projects.get(p.id, other)).toBeNull();
      expect(await t.repos.projects.getAny(p.id)).toEqual(p);
      expect(await t.repos.projects.rename(p.id, other, 'stolen')).toBeNull();
      expect(await t.repos.projects.delete(p.id, other)).toBe(false);
      await expect(t.repos.projects.rotatePreviewToken(p.id, other)).rejects.toMatchObject({ code: 'not_found' });
      expect((await t.repos.projects.listByOwner(other)).map((x) => x.id)).not.toContain(p.id);
      expect((await t.repos.projects.listByOwner(owner)).map((x) => x.id)).toContain(p.id);
    });

    it('answers null, not an error, for ids that are not uuids', async () => {
      expect(await t.repos.projects.get('nope', owner)).toBeNull();
      expect(await t.repos.projects.getAny("'; drop table projects; --")).toBeNull();
      expect(await t.repos.projects.getByPreviewToken('NOT-A-TOKEN')).toBeNull();
      expect(await t.repos.projects.delete('x', owner)).toBe(false);
    });

    it('renames, sets status and rotates the preview token', async () => {
      const p = await newProject();
      const renamed = await t.repos.projects.rename(p.id, owner, '  Better name ');
      expect(renamed?.name).toBe('Better name');
      expect(await t.repos.projects.setStatus(p.id, 'generating')).toBe(true);
      expect((await t.repos.projects.getAny(p.id))?.status).toBe('generating');
      expect(await t.repos.projects.getByPreviewToken(p.previewToken)).toMatchObject({ id: p.id });
      const token = await t.repos.projects.rotatePreviewToken(p.id, owner);
      expect(token).toMatch(/^[a-z2-7]{26}$/);
      expect(await t.repos.projects.getByPreviewToken(p.previewToken)).toBeNull();
      expect(await t.repos.projects.getByPreviewToken(token)).toMatchObject({ id: p.id });
    });

    it('validates input at the boundary', async () => {
      expect(await rejection(newProject(owner, ''))).toMatchObject({ code: 'invalid_input' });
      expect(await rejection(newProject(owner, 'x'.repeat(LIMITS.projectNameChars + 1)))).toMatchObject({ code: 'invalid_input' });
      expect(await rejection(newProject('no-such-user'))).toMatchObject({ code: 'not_found' });
      const p = await newProject();
      // @ts-expect-error: an unknown status must be rejected at run time too
      expect(await rejection(t.repos.projects.setStatus(p.id, 'weird'))).toMatchObject({ code: 'invalid_input' });
    });

    it('lists projects whose agent is busy, with their agent state', async () => {
      const busy = await newProject();
      const done = await newProject();
      await t.repos.agentStates.save(busy.id, snapshot(busy.id, { state: 'IMPLEMENTING_PHASE', currentPhase: 0 }), 0);
      await t.repos.agentStates.save(done.id, snapshot(done.id, { state: 'COMPLETE' }), 0);
      const active = await t.repos.projects.listActive();
      const ids = active.map((p) => p.id);
      expect(ids).toContain(busy.id);
      expect(ids).not.toContain(done.id);
      expect(active.find((p) => p.id === busy.id)?.agentState).toBe('IMPLEMENTING_PHASE');
      expect((await t.repos.projects.get(done.id, owner))?.agentState).toBe('COMPLETE');
    });

    it('deleting a project removes every row that belongs to it', async () => {
      const p = await newProject();
      const keep = await newProject();
      for (const id of [p.id, keep.id]) {
        await t.repos.files.upsert(id, { path: 'src/App.tsx', content: 'export {}', phase: 0 });
        await t.repos.events.append(id, { type: 'phase_designing', payload: { phaseIndex: 0 } });
        await t.repos.agentStates.save(id, snapshot(id), 0);
        await t.repos.snapshots.savePhase(id, 0, 0, [{ path: 'src/App.tsx', content: 'export {}' }]);
        await t.repos.messages.append(id, { role: 'user', content: 'hello' });
      }
      expect(await t.repos.projects.delete(p.id, owner)).toBe(true);
      expect(await t.repos.projects.getAny(p.id)).toBeNull();

      const tables = [
        'generated_files',
        'project_events',
        'agent_states',
        'phase_snapshots',
        'phase_snapshot_files',
        'file_blobs',
        'conversation_messages',
      ];
      for (const table of tables) {
        const count = async (id: string) =>
          (await query<{ n: number }>(t, sql`select count(*)::int as n from ${sql.identifier(table)} where project_id = ${id}`))[0]?.n;
        expect({ table, n: await count(p.id) }).toEqual({ table, n: 0 });
        expect({ table, n: await count(keep.id) }).toEqual({ table, n: 1 });
      }
    });
  });

  describe('files', () => {
    it('upserts keep (project, path) unique and update hash, size and phase', async () => {
      const p = await newProject();
      const first = await t.repos.files.upsert(p.id, { path: 'src/main.tsx', content: 'one', phase: 0 });
      expect(first.hash).toBe(createHash('sha256').update('one').digest('hex'));
      expect(first.size).toBe(3);
      const second = await t.repos.files.upsert(p.id, { path: 'src/main.tsx', content: 'héllo', phase: 1 });
      expect(second.hash).toBe(createHash('sha256').update('héllo').digest('hex'));
      expect(second.size).toBe(6);
      expect(second.phase).toBe(1);
      const list = await t.repos.files.list(p.id);
      expect(list).toHaveLength(1);
      expect(list[0]).toEqual({
        path: 'src/main.tsx',
        size: 6,
        hash: second.hash,
        encoding: 'utf8',
        phase: 1,
        updatedAt: second.updatedAt,
      });
      expect(list[0]).not.toHaveProperty('content');
      expect(await t.repos.files.read(p.id, 'src/main.tsx')).toEqual(second);
    });

    it('keeps content byte-exact and lists sorted by path', async () => {
      const p = await newProject();
      const content = '\n\nline with trailing spaces   \r\n\ttab\n🙂 emoji\n\n';
      await t.repos.files.upsert(p.id, { path: 'b.txt', content, phase: null });
      await t.repos.files.upsert(p.id, { path: 'a.txt', content: '', phase: null });
      expect((await t.repos.files.read(p.id, 'b.txt'))?.content).toBe(content);
      expect((await t.repos.files.list(p.id)).map((f) => f.path)).toEqual(['a.txt', 'b.txt']);
      expect((await t.repos.files.readMany(p.id)).map((f) => f.path)).toEqual(['a.txt', 'b.txt']);
      expect((await t.repos.files.readMany(p.id, ['b.txt', 'missing'])).map((f) => f.content)).toEqual([content]);
      expect(await t.repos.files.readMany(p.id, [])).toEqual([]);
    });

    it('deletes files and isolates projects', async () => {
      const p = await newProject();
      const q = await newProject();
      await t.repos.files.upsert(p.id, { path: 'x.ts', content: 'p', phase: 0 });
      await t.repos.files.upsert(q.id, { path: 'x.ts', content: 'q', phase: 0 });
      expect(await t.repos.files.delete(p.id, 'x.ts')).toBe(true);
      expect(await t.repos.files.delete(p.id, 'x.ts')).toBe(false);
      expect(await t.repos.files.read(p.id, 'x.ts')).toBeNull();
      expect((await t.repos.files.read(q.id, 'x.ts'))?.content).toBe('q');
    });

    it('stores a binary as base64 with the hash and size of its bytes, limited by its bytes', async () => {
      const p = await newProject();
      const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 255]);
      const row = await t.repos.files.upsert(p.id, {
        path: 'public/a.png',
        content: bytes.toString('base64'),
        encoding: 'base64',
        phase: null,
      });
      expect(row).toMatchObject({ encoding: 'base64', size: 8, hash: createHash('sha256').update(bytes).digest('hex') });
      expect(await t.repos.files.read(p.id, 'public/a.png')).toMatchObject({ content: bytes.toString('base64'), encoding: 'base64' });
      // The same bytes as text share the hash: a hash names bytes, whatever their encoding.
      const text = await t.repos.files.upsert(p.id, { path: 'b.txt', content: 'hi', phase: null });
      const asBinary = await t.repos.files.upsert(p.id, {
        path: 'c.bin',
        content: Buffer.from('hi').toString('base64'),
        encoding: 'base64',
        phase: null,
      });
      expect(asBinary.hash).toBe(text.hash);
      for (const content of ['not base64!', 'abc', Buffer.alloc(LIMITS.fileBytes + 1).toString('base64')]) {
        const refused = t.repos.files.upsert(p.id, { path: 'x.bin', content, encoding: 'base64', phase: null });
        expect(await rejection(refused)).toMatchObject({ code: 'invalid_input' });
      }
      // A binary of almost the limit fits although its base64 is longer than the limit.
      const large = Buffer.alloc(LIMITS.fileBytes, 7).toString('base64');
      expect((await t.repos.files.upsert(p.id, { path: 'big.bin', content: large, encoding: 'base64', phase: null })).size).toBe(
        LIMITS.fileBytes,
      );
    });

    it('moves a file or a folder in one step, refusing a taken target, and deletes a folder', async () => {
      const p = await newProject();
      for (const path of ['src/a.ts', 'src/lib/b.ts', 'src/lib/c.ts', 'src/lib_d.ts', 'other.ts']) {
        await t.repos.files.upsert(p.id, { path, content: path, phase: 0 });
      }
      expect(await t.repos.files.move(p.id, 'src/lib', 'src/util')).toEqual([
        { from: 'src/lib/b.ts', to: 'src/util/b.ts' },
        { from: 'src/lib/c.ts', to: 'src/util/c.ts' },
      ]);
      expect((await t.repos.files.read(p.id, 'src/util/b.ts'))?.content).toBe('src/lib/b.ts');
      expect(await rejection(t.repos.files.move(p.id, 'other.ts', 'src/a.ts'))).toMatchObject({ code: 'path_exists' });
      expect(await rejection(t.repos.files.move(p.id, 'src/util', 'src/util/inner'))).toMatchObject({ code: 'invalid_input' });
      expect(await rejection(t.repos.files.move(p.id, 'missing', 'found'))).toMatchObject({ code: 'not_found' });
      expect(await t.repos.files.deleteTree(p.id, 'src/util')).toEqual(['src/util/b.ts', 'src/util/c.ts']);
      expect((await t.repos.files.list(p.id)).map((f) => f.path)).toEqual(['other.ts', 'src/a.ts', 'src/lib_d.ts']);
      // LIKE's wildcards in a folder name are literal: "a_b" is not "aXb".
      await t.repos.files.upsert(p.id, { path: 'a_b/x.ts', content: 'x', phase: 0 });
      await t.repos.files.upsert(p.id, { path: 'aXb/y.ts', content: 'y', phase: 0 });
      expect(await t.repos.files.deleteTree(p.id, 'a_b')).toEqual(['a_b/x.ts']);
      expect(await t.repos.files.deleteTree(p.id, 'src/u')).toEqual([]);
    });

    it('rejects bad paths, oversized or NUL content and unknown projects', async () => {
      const p = await newProject();
      const bad = [
        { path: '', content: 'x' },
        { path: 'a\nb', content: 'x' },
        { path: 'x'.repeat(LIMITS.pathChars + 1), content: 'x' },
        { path: 'ok.bin', content: 'a\0b' },
        { path: 'big.txt', content: 'x'.repeat(LIMITS.fileBytes + 1) },
      ];
      for (const f of bad) {
        expect(await rejection(t.repos.files.upsert(p.id, { ...f, phase: 0 }))).toMatchObject({ code: 'invalid_input' });
      }
      expect(await rejection(t.repos.files.upsert(p.id, { path: 'a', content: 'x', phase: -1 }))).toMatchObject({ code: 'invalid_input' });
      const ghost = '00000000-0000-4000-8000-000000000000';
      expect(await rejection(t.repos.files.upsert(ghost, { path: 'a', content: 'x', phase: 0 }))).toMatchObject({ code: 'not_found' });
      expect(await t.repos.files.list(p.id)).toEqual([]);
    });

    it(`holds at most ${LIMITS.filesPerProject} files per project but still updates existing ones`, async () => {
      const p = await newProject();
      // Fill up to one below the limit directly: thousands of single upserts would only slow the test.
      const rows = Array.from({ length: LIMITS.filesPerProject - 1 }, (_, i) => ({
        projectId: p.id,
        path: `f${i}.ts`,
        content: '',
        hash: createHash('sha256').digest('hex'),
        size: 0,
        phase: 0,
      }));
      for (let i = 0; i < rows.length; i += 500) await t.db.orm.insert(schema.generatedFiles).values(rows.slice(i, i + 500));
      await t.repos.files.upsert(p.id, { path: 'last.ts', content: 'x', phase: 0 });
      expect(await rejection(t.repos.files.upsert(p.id, { path: 'one-too-many.ts', content: 'x', phase: 0 }))).toMatchObject({
        code: 'too_many_files',
      });
      expect((await t.repos.files.upsert(p.id, { path: 'last.ts', content: 'y', phase: 1 })).content).toBe('y');
      expect(await t.repos.files.list(p.id)).toHaveLength(LIMITS.filesPerProject);
    });
  });

  describe('events', () => {
    it('assigns seqs 1..N and returns events after a seq in order', async () => {
      const p = await newProject();
      const first = await t.repos.events.append(p.id, { type: 'state_change', payload: { from: 'IDLE', to: 'DESIGNING_PHASE' } });
      expect(first).toMatchObject({ seq: 1, projectId: p.id, type: 'state_change', payload: { from: 'IDLE', to: 'DESIGNING_PHASE' } });
      expect(new Date(first.at).toISOString()).toBe(first.at);
      const many = await t.repos.events.appendMany(
        p.id,
        Array.from({ length: 5 }, (_, i) => ({ type: 'file_chunk' as const, payload: { path: 'a.ts', chunk: `chunk ${i}` } })),
      );
      expect(many.map((e) => e.seq)).toEqual([2, 3, 4, 5, 6]);
      expect(await t.repos.events.lastSeq(p.id)).toBe(6);
      const after = await t.repos.events.after(p.id, 3);
      expect(after.map((e) => e.seq)).toEqual([4, 5, 6]);
      expect(after.map((e) => (e.type === 'file_chunk' ? e.payload.chunk : null))).toEqual(['chunk 2', 'chunk 3', 'chunk 4']);
      expect((await t.repos.events.after(p.id, 0, 2)).map((e) => e.seq)).toEqual([1, 2]);
      expect(await t.repos.events.after(p.id, 6)).toEqual([]);
    });

    it('keeps separate counters per project', async () => {
      const p = await newProject();
      const q = await newProject();
      await t.repos.events.append(p.id, { type: 'phase_designing', payload: { phaseIndex: 0 } });
      await t.repos.events.append(p.id, { type: 'phase_designing', payload: { phaseIndex: 1 } });
      const e = await t.repos.events.append(q.id, { type: 'phase_designing', payload: { phaseIndex: 0 } });
      expect(e.seq).toBe(1);
      expect(await t.repos.events.lastSeq(p.id)).toBe(2);
    });

    it('stores payloads as JSON objects and survives NUL characters in text', async () => {
      const p = await newProject();
      const e = await t.repos.events.append(p.id, { type: 'log', payload: { source: 'dev', stream: 'stderr', text: 'a\0b' } });
      expect(e.payload).toEqual({ source: 'dev', stream: 'stderr', text: 'a\uFFFDb' });
      const rows = await query<{ kind: string }>(
        t,
        sql`select jsonb_typeof(payload) as kind from project_events where project_id = ${p.id}`,
      );
      expect(rows).toEqual([{ kind: 'object' }]);
    });

    it('rejects malformed events without consuming a seq', async () => {
      const p = await newProject();
      const bad = { type: 'phase_designing', payload: { phaseIndex: 'zero' } } as unknown as Parameters<typeof t.repos.events.append>[1];
      expect(await rejection(t.repos.events.append(p.id, bad))).toMatchObject({ code: 'invalid_input' });
      const unknown = { type: 'nope', payload: {} } as unknown as Parameters<typeof t.repos.events.append>[1];
      expect(await rejection(t.repos.events.append(p.id, unknown))).toMatchObject({ code: 'invalid_input' });
      expect(await t.repos.events.lastSeq(p.id)).toBe(0);
      const ghost = '00000000-0000-4000-8000-000000000000';
      expect(await rejection(t.repos.events.append(ghost, { type: 'phase_designing', payload: { phaseIndex: 0 } }))).toMatchObject({
        code: 'not_found',
      });
      expect(await rejection(t.repos.events.after(p.id, -1))).toMatchObject({ code: 'invalid_input' });
    });

    it('compacts file chunks up to a seq: later events, later chunks and seqs stay', async () => {
      const p = await newProject();
      const chunk = (chunk: string) => ({ type: 'file_chunk' as const, payload: { path: 'a.ts', chunk } });
      await t.repos.events.appendMany(p.id, [
        { type: 'file_start', payload: { phaseIndex: 0, path: 'a.ts' } },
        chunk('one'),
        chunk('two'),
        { type: 'file_end', payload: { phaseIndex: 0, path: 'a.ts', hash: 'h', size: 6 } },
        { type: 'state_change', payload: { from: 'REVIEWING', to: 'COMPLETE' } },
        { type: 'file_start', payload: { phaseIndex: 0, path: 'b.ts' } },
        chunk('three'),
      ]);
      expect(await t.repos.events.compactFileChunks(p.id, 5)).toBe(2);
      expect((await t.repos.events.after(p.id, 0)).map((e) => `${e.seq}:${e.type}`)).toEqual([
        '1:file_start',
        '4:file_end',
        '5:state_change',
        '6:file_start',
        '7:file_chunk',
      ]);
      expect(await t.repos.events.count(p.id)).toBe(5);
      // Seqs are never reused after compaction.
      expect((await t.repos.events.append(p.id, chunk('four'))).seq).toBe(8);
      expect(await t.repos.events.compactFileChunks(p.id, 5)).toBe(0);
      expect(await rejection(t.repos.events.compactFileChunks(p.id, -1))).toMatchObject({ code: 'invalid_input' });
    });

    it('trims log events to the newest N, leaving other events alone', async () => {
      const p = await newProject();
      const log = (text: string) => ({ type: 'log' as const, payload: { source: 'dev' as const, stream: 'stdout' as const, text } });
      await t.repos.events.appendMany(p.id, [
        log('1'),
        log('2'),
        { type: 'phase_designing', payload: { phaseIndex: 0 } },
        log('3'),
        log('4'),
      ]);
      expect(await t.repos.events.trimLogs(p.id, 10)).toBe(0);
      expect(await t.repos.events.trimLogs(p.id, 2)).toBe(2);
      const left = await t.repos.events.after(p.id, 0);
      expect(left.map((e) => (e.type === 'log' ? e.payload.text : e.type))).toEqual(['phase_designing', '3', '4']);
      expect(await t.repos.events.trimLogs(p.id, 2)).toBe(0);
      expect(await rejection(t.repos.events.trimLogs(p.id, 0))).toMatchObject({ code: 'invalid_input' });
    });
  });

  describe('agent states', () => {
    it('round-trips a snapshot and bumps the version on every save', async () => {
      const p = await newProject();
      expect(await t.repos.agentStates.load(p.id)).toBeNull();
      const s1 = snapshot(p.id, {
        state: 'IMPLEMENTING_PHASE',
        round: 1,
        currentPhase: 0,
        lastSeq: 7,
        phases: [
          {
            index: 0,
            round: 1,
            status: 'implementing',
            completedFiles: ['src/App.tsx'],
            spec: {
              name: 'Core',
              description: 'the core',
              files: [{ path: 'src/App.tsx', purpose: 'root' }],
              installCommands: [],
              lastPhase: false,
            },
          },
        ],
        previewUrl: 'http://abc.preview.localhost:3001/',
        usage: { promptTokens: 10, completionTokens: 20 },
      });
      expect(await t.repos.agentStates.save(p.id, s1, 0)).toBe(1);
      expect(await t.repos.agentStates.load(p.id)).toEqual({ snapshot: s1, version: 1 });
      const s2 = { ...s1, state: 'ERROR' as const, lastError: { code: 'llm_failed', message: 'boom' } };
      expect(await t.repos.agentStates.save(p.id, s2, 1)).toBe(2);
      expect(await t.repos.agentStates.load(p.id)).toEqual({ snapshot: s2, version: 2 });
    });

    it('keeps snapshot fields added to the protocol after this schema', async () => {
      const p = await newProject();
      const future = { ...snapshot(p.id), reviewRounds: 2, model: { designer: 'x' } } as AgentSnapshot;
      await t.repos.agentStates.save(p.id, future, 0);
      expect((await t.repos.agentStates.load(p.id))?.snapshot).toEqual(future);
    });

    it('rejects a stale write with stale_state and keeps the newer state', async () => {
      const p = await newProject();
      await t.repos.agentStates.save(p.id, snapshot(p.id), 0);
      await t.repos.agentStates.save(p.id, snapshot(p.id, { state: 'DESIGNING_PHASE' }), 1);
      const stale = await rejection(t.repos.agentStates.save(p.id, snapshot(p.id, { state: 'CANCELLED' }), 1));
      expect(stale.code).toBe('stale_state');
      expect(stale.message).not.toContain('\n');
      expect(await rejection(t.repos.agentStates.save(p.id, snapshot(p.id, { state: 'CANCELLED' }), 0))).toMatchObject({
        code: 'stale_state',
      });
      expect(await rejection(t.repos.agentStates.save(p.id, snapshot(p.id, { state: 'CANCELLED' }), 9))).toMatchObject({
        code: 'stale_state',
      });
      expect(await t.repos.agentStates.load(p.id)).toMatchObject({ version: 2, snapshot: { state: 'DESIGNING_PHASE' } });
    });

    it('rejects invalid snapshots and unknown projects', async () => {
      const p = await newProject();
      const q = await newProject();
      const bad = { ...snapshot(p.id), state: 'DANCING' } as unknown as AgentSnapshot;
      expect(await rejection(t.repos.agentStates.save(p.id, bad, 0))).toMatchObject({ code: 'invalid_input' });
      expect(await rejection(t.repos.agentStates.save(p.id, snapshot(q.id), 0))).toMatchObject({ code: 'invalid_input' });
      const ghost = '00000000-0000-4000-8000-000000000000';
      expect(await rejection(t.repos.agentStates.save(ghost, snapshot(ghost), 0))).toMatchObject({ code: 'not_found' });
    });
  });

  describe('phase snapshots', () => {
    it('restores the file set of any phase', async () => {
      const p = await newProject();
      await t.repos.snapshots.savePhase(p.id, 0, 0, [
        { path: 'src/App.tsx', content: 'v1' },
        { path: 'index.html', content: '<html>' },
      ]);
      await t.repos.snapshots.savePhase(p.id, 0, 1, [
        { path: 'src/App.tsx', content: 'v2' },
        { path: 'index.html', content: '<html>' },
        { path: 'src/new.ts', content: 'new' },
      ]);
      const list = await t.repos.snapshots.list(p.id);
      expect(list.map(({ round, phaseIndex, fileCount }) => ({ round, phaseIndex, fileCount }))).toEqual([
        { round: 0, phaseIndex: 0, fileCount: 2 },
        { round: 0, phaseIndex: 1, fileCount: 3 },
      ]);
      expect(await t.repos.snapshots.restore(p.id, 0, 0)).toEqual([
        { path: 'index.html', content: '<html>' },
        { path: 'src/App.tsx', content: 'v1' },
      ]);
      expect((await t.repos.snapshots.restore(p.id, 0, 1)).map((f) => f.content)).toEqual(['<html>', 'v2', 'new']);
      expect(await rejection(t.repos.snapshots.restore(p.id, 3, 0))).toMatchObject({ code: 'not_found' });
    });

    it('replaces an earlier record of the same phase and rejects duplicate paths', async () => {
      const p = await newProject();
      await t.repos.snapshots.savePhase(p.id, 1, 0, [{ path: 'a', content: 'old' }]);
      await t.repos.snapshots.savePhase(p.id, 1, 0, [{ path: 'b', content: 'new' }]);
      expect(await t.repos.snapshots.restore(p.id, 1, 0)).toEqual([{ path: 'b', content: 'new' }]);
      const dup = t.repos.snapshots.savePhase(p.id, 1, 1, [
        { path: 'a', content: '1' },
        { path: 'a', content: '2' },
      ]);
      expect(await rejection(dup)).toMatchObject({ code: 'invalid_input' });
      expect(await t.repos.snapshots.list(p.id)).toHaveLength(1);
    });

    it('handles more files than one insert batch', async () => {
      const p = await newProject();
      const files = Array.from({ length: 250 }, (_, i) => ({
        path: `f/${String(i).padStart(3, '0')}.ts`,
        content: `export const n = ${i % 7};`,
      }));
      await t.repos.snapshots.savePhase(p.id, 0, 0, files);
      expect(await t.repos.snapshots.restore(p.id, 0, 0)).toEqual(files);
    });
  });

  describe('messages', () => {
    it('appends and lists in order', async () => {
      const p = await newProject();
      const roles = ['user', 'assistant', 'system', 'user'] as const;
      for (const [i, role] of roles.entries()) await t.repos.messages.append(p.id, { role, content: `m${i}` });
      const list = await t.repos.messages.list(p.id);
      expect(list.map((m) => [m.role, m.content])).toEqual(roles.map((r, i) => [r, `m${i}`]));
      expect(list[0]?.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(list[0]?.projectId).toBe(p.id);
      // @ts-expect-error: an unknown role must be rejected at run time too
      expect(await rejection(t.repos.messages.append(p.id, { role: 'robot', content: 'x' }))).toMatchObject({ code: 'invalid_input' });
    });
  });

  describe('api keys', () => {
    const key = { provider: 'openrouter', ciphertext: 'Y2lwaGVy', iv: 'aXY=', tag: 'dGFn', last4: 'a1b2' };

    it('stores only what it is given and never lists key material', async () => {
      const userId = await createTestUser(t.db);
      const added = await t.repos.apiKeys.add(userId, key);
      expect(added).toMatchObject({ ...key, userId });
      const listed = await t.repos.apiKeys.list(userId);
      expect(listed).toEqual([{ id: added.id, userId, provider: 'openrouter', last4: 'a1b2', createdAt: added.createdAt }]);
      expect(await t.repos.apiKeys.get(userId, added.id)).toEqual(added);
      expect(await t.repos.apiKeys.getForProvider(userId, 'openrouter')).toEqual(added);
      const columns = await query<{ name: string }>(
        t,
        sql`select column_name as name from information_schema.columns where table_name = 'user_api_keys' order by column_name`,
      );
      expect(columns.map((c) => c.name)).toEqual(['ciphertext', 'created_at', 'id', 'iv', 'last4', 'provider', 'tag', 'user_id']);
    });

    it('is scoped by user and replaces the key of the same provider', async () => {
      const userId = await createTestUser(t.db);
      const intruder = await createTestUser(t.db);
      const first = await t.repos.apiKeys.add(userId, key);
      const second = await t.repos.apiKeys.add(userId, { ...key, ciphertext: 'bmV3', last4: 'zzzz' });
      expect(second.id).not.toBe(first.id);
      expect(await t.repos.apiKeys.list(userId)).toHaveLength(1);
      expect(await t.repos.apiKeys.get(userId, first.id)).toBeNull();
      expect(await t.repos.apiKeys.get(intruder, second.id)).toBeNull();
      expect(await t.repos.apiKeys.delete(intruder, second.id)).toBe(false);
      expect(await t.repos.apiKeys.delete(userId, second.id)).toBe(true);
      expect(await t.repos.apiKeys.getForProvider(userId, 'openrouter')).toBeNull();
      expect(await rejection(t.repos.apiKeys.add(userId, { ...key, ciphertext: '' }))).toMatchObject({ code: 'invalid_input' });
      expect(await rejection(t.repos.apiKeys.add('ghost', key))).toMatchObject({ code: 'not_found' });
    });
  });

  describe('settings', () => {
    it('stores model choices per user, replaces them as a whole and drops them with the user', async () => {
      const userId = await createTestUser(t.db);
      const other = await createTestUser(t.db);
      expect(await t.repos.settings.getModels(userId)).toEqual({});
      expect(await t.repos.settings.setModels(userId, { designer: 'openai/gpt-4.1', fixer: 'x/y' })).toEqual({
        designer: 'openai/gpt-4.1',
        fixer: 'x/y',
      });
      expect(await t.repos.settings.getModels(userId)).toEqual({ designer: 'openai/gpt-4.1', fixer: 'x/y' });
      expect(await t.repos.settings.getModels(other)).toEqual({});
      expect(await t.repos.settings.setModels(userId, { implementer: 'm'.repeat(200) })).toEqual({ implementer: 'm'.repeat(200) });
      expect(await t.repos.settings.getModels(userId)).toEqual({ implementer: 'm'.repeat(200) });
      await query(t, sql`delete from "user" where id = ${userId}`);
      expect(await query(t, sql`select 1 from user_settings where user_id = ${userId}`)).toEqual([]);
    });

    it('rejects bad model names and unknown users without storing anything', async () => {
      const userId = await createTestUser(t.db);
      for (const bad of ['', 'm'.repeat(201), 'a\nb', 'a\u0000b', 'a\u007fb']) {
        expect(await rejection(t.repos.settings.setModels(userId, { designer: bad }))).toMatchObject({ code: 'invalid_input' });
      }
      const unknownRole = { planner: 'x' } as unknown as { designer?: string };
      expect(await rejection(t.repos.settings.setModels(userId, unknownRole))).toMatchObject({ code: 'invalid_input' });
      expect(await t.repos.settings.getModels(userId)).toEqual({});
      expect(await rejection(t.repos.settings.setModels('ghost', { designer: 'x' }))).toMatchObject({ code: 'not_found' });
    });
  });

  describe('usage ledger', () => {
    const call = (userId: string, projectId: string, eventSeq: number, costUsd: number | null) => ({
      userId,
      projectId,
      eventSeq,
      role: 'implementer' as const,
      model: 'm',
      promptTokens: 1000,
      completionTokens: 200,
      cachedTokens: 300,
      costUsd,
    });

    it('totals a project, counts a user per month, records an event once, and keeps rows of a deleted project', async () => {
      const userId = await createTestUser(t.db);
      const a = await newProject(userId);
      const b = await newProject(userId);
      await t.repos.usage.record(call(userId, a.id, 1, 0.5));
      await t.repos.usage.record(call(userId, a.id, 1, 0.5));
      await t.repos.usage.record(call(userId, a.id, 2, null));
      await t.repos.usage.record(call(userId, b.id, 1, 0.25));
      expect(await t.repos.usage.projectTotals(a.id)).toEqual({
        calls: 2,
        promptTokens: 2000,
        completionTokens: 400,
        cachedTokens: 600,
        costUsd: 0.5,
        unpricedCalls: 1,
      });
      const hourAgo = new Date(Date.now() - 3_600_000);
      expect(await t.repos.usage.userSince(userId, hourAgo)).toEqual({ tokens: 3600, costUsd: 0.75 });
      expect(await t.repos.usage.userSince(userId, new Date(Date.now() + 60_000))).toEqual({ tokens: 0, costUsd: 0 });
      expect(await t.repos.usage.userSince(other, hourAgo)).toEqual({ tokens: 0, costUsd: 0 });
      await t.repos.projects.delete(a.id, userId);
      expect(await t.repos.usage.userSince(userId, hourAgo)).toEqual({ tokens: 3600, costUsd: 0.75 });
      expect(await t.repos.usage.projectTotals(a.id)).toMatchObject({ calls: 0, costUsd: 0 });
    });

    it('rejects malformed entries and unknown projects', async () => {
      const userId = await createTestUser(t.db);
      const p = await newProject(userId);
      for (const bad of [{ promptTokens: -1 }, { costUsd: Number.NaN }, { costUsd: -0.1 }, { eventSeq: 0 }, { projectId: 'nope' }]) {
        expect(await rejection(t.repos.usage.record({ ...call(userId, p.id, 5, null), ...bad }))).toMatchObject({ code: 'invalid_input' });
      }
      const ghost = '00000000-0000-4000-8000-000000000000';
      expect(await rejection(t.repos.usage.record(call(userId, ghost, 1, null)))).toMatchObject({ code: 'not_found' });
      expect(await t.repos.usage.projectTotals(p.id)).toMatchObject({ calls: 0 });
    });
  });

  describe('users', () => {
    it('starts accounts as active users, changes role and status, and refuses anything else', async () => {
      const id = await createTestUser(t.db, 'Newcomer');
      expect(await t.repos.users.get(id)).toMatchObject({ id, name: 'Newcomer', role: 'user', status: 'active' });
      expect(await t.repos.users.update(id, { status: 'pending' })).toMatchObject({ status: 'pending', role: 'user' });
      expect(await t.repos.users.update(id, { role: 'admin', status: 'active' })).toMatchObject({ role: 'admin', status: 'active' });
      expect(await t.repos.users.update('no-such-user', { status: 'disabled' })).toBeNull();
      expect(await t.repos.users.get('no-such-user')).toBeNull();
      await expect(t.repos.users.update(id, { role: 'root' as never })).rejects.toMatchObject({ code: 'invalid_input' });
      await expect(t.repos.users.update(id, { status: 'banned' as never })).rejects.toMatchObject({ code: 'invalid_input' });
      // A row edited by hand to an unknown status counts as the least privilege.
      await t.db.orm.execute(sql`update "user" set status = 'weird', role = 'superuser' where id = ${id}`);
      expect(await t.repos.users.get(id)).toMatchObject({ role: 'user', status: 'disabled' });
      expect(await t.repos.users.count()).toBeGreaterThanOrEqual(3);
    });

    it('lists accounts oldest first with their projects and stored bytes, and ends their sessions', async () => {
      const id = await createTestUser(t.db, 'Holder');
      const project = await newProject(id);
      await newProject(id);
      await t.repos.files.upsert(project.id, { path: 'a.txt', content: 'héllo', phase: null });
      await t.repos.files.upsert(project.id, { path: 'b.txt', content: '12345', phase: null });
      expect(await t.repos.users.projectCount(id)).toBe(2);
      expect(await t.repos.users.storageBytes(id)).toBe(11);
      const listed = await t.repos.users.listWithHoldings();
      expect(listed.find((u) => u.id === id)).toMatchObject({ projects: 2, storageBytes: 11 });
      expect(listed.find((u) => u.id === other)).toMatchObject({ storageBytes: expect.any(Number) });
      const created = listed.map((u) => u.createdAt);
      expect(created).toEqual([...created].sort());

      const expiresAt = new Date(Date.now() + 3_600_000);
      for (const n of [1, 2]) {
        await t.db.orm
          .insert(schema.session)
          .values({ id: `s${n}-${id}`, token: `t${n}-${id}`, userId: id, expiresAt, updatedAt: new Date() });
      }
      expect(await t.repos.sessions.activeUntil(`s1-${id}`, id)).not.toBeNull();
      expect(await t.repos.users.endSessions(id)).toBe(2);
      expect(await t.repos.sessions.activeUntil(`s1-${id}`, id)).toBeNull();
    });
  });
});
