import { createDatabase, createRepositories, type Database, type Repositories } from '@lathe/db';
import { type AgentSnapshot, initialSnapshot, isLatheError } from '@lathe/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, createTestPostgresUrl, createTestUser, type TestDatabase, type TestPostgres } from '../../../testing/db';

const APPENDERS = 50;
// Several pools stand in for several API processes sharing one database.
const PROCESSES = 5;

function idle(projectId: string): AgentSnapshot {
  return initialSnapshot(projectId, false);
}

describe('concurrent writers on real PostgreSQL', () => {
  let pg: TestPostgres;
  const dbs: Database[] = [];
  let repos: Repositories[] = [];
  let projectId: string;

  beforeAll(async () => {
    pg = await createTestPostgresUrl();
    for (let i = 0; i < PROCESSES; i++) dbs.push(await createDatabase({ url: pg.url, dataDir: '/nonexistent' }));
    repos = dbs.map(createRepositories);
    const first = dbs[0] as Database;
    const owner = await createTestUser(first);
    projectId = (
      await (repos[0] as Repositories).projects.create({ ownerId: owner, name: 'race', initialPrompt: '', template: 'react-vite' })
    ).id;
  });
  afterAll(async () => {
    await Promise.all(dbs.map((db) => db.close()));
    await pg?.drop();
  });

  const pick = (i: number): Repositories => repos[i % repos.length] as Repositories;

  it(`${APPENDERS} concurrent appenders get seqs exactly 1..${APPENDERS}`, async () => {
    const appended = await Promise.all(
      Array.from({ length: APPENDERS }, (_, i) =>
        pick(i).events.append(projectId, { type: 'phase_designing', payload: { phaseIndex: i } }),
      ),
    );
    const expected = Array.from({ length: APPENDERS }, (_, i) => i + 1);
    expect(appended.map((e) => e.seq).sort((a, b) => a - b)).toEqual(expected);

    const stored = await pick(0).events.after(projectId, 0);
    expect(stored.map((e) => e.seq)).toEqual(expected);
    // Every appender's event is stored exactly once, under the seq it was told.
    const bySeq = new Map(stored.map((e) => [e.seq, e]));
    for (const e of appended) expect(bySeq.get(e.seq)).toEqual(e);
    expect(await pick(0).events.lastSeq(projectId)).toBe(APPENDERS);
  });

  it('concurrent batches stay contiguous and gap-free', async () => {
    const before = await pick(0).events.lastSeq(projectId);
    const batches = await Promise.all(
      Array.from({ length: 10 }, (_, b) =>
        pick(b).events.appendMany(
          projectId,
          Array.from({ length: 5 }, (_, i) => ({ type: 'file_chunk' as const, payload: { path: `f${b}`, chunk: String(i) } })),
        ),
      ),
    );
    for (const batch of batches) {
      const seqs = batch.map((e) => e.seq);
      expect(seqs).toEqual(Array.from({ length: 5 }, (_, i) => (seqs[0] as number) + i));
    }
    const all = batches.flat().map((e) => e.seq);
    expect(all.sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => before + i + 1));
  });

  it('exactly one of many writers holding the same agent-state version wins', async () => {
    await pick(0).agentStates.save(projectId, idle(projectId), 0);
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) => pick(i).agentStates.save(projectId, { ...idle(projectId), round: i + 1 }, 1)),
    );
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r) => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(won[0]).toEqual({ status: 'fulfilled', value: 2 });
    for (const r of lost) expect(isLatheError(r.reason) && r.reason.code).toBe('stale_state');
    const winner = results.findIndex((r) => r.status === 'fulfilled');
    expect(await pick(0).agentStates.load(projectId)).toMatchObject({ version: 2, snapshot: { round: winner + 1 } });
  });
});

describe('concurrent appenders on PGlite', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase('pglite');
  });
  afterAll(async () => {
    await t?.close();
  });

  it(`${APPENDERS} concurrent appenders get seqs exactly 1..${APPENDERS}`, async () => {
    const owner = await createTestUser(t.db);
    const { id } = await t.repos.projects.create({ ownerId: owner, name: 'race', initialPrompt: '', template: 'react-vite' });
    const appended = await Promise.all(
      Array.from({ length: APPENDERS }, (_, i) => t.repos.events.append(id, { type: 'phase_designing', payload: { phaseIndex: i } })),
    );
    expect(appended.map((e) => e.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: APPENDERS }, (_, i) => i + 1));
  });
});
