import type { DbKind, ProjectRow } from '@lathe/db';
import { isLatheError } from '@lathe/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, createTestUser, type TestDatabase } from '../../../testing/db';

const KINDS: DbKind[] = ['pglite', 'postgres'];

describe.each(KINDS)('version history on %s', (kind) => {
  let t: TestDatabase;
  let owner: string;

  beforeAll(async () => {
    t = await createTestDatabase(kind);
    owner = await createTestUser(t.db, 'Owner');
  });
  afterAll(async () => {
    await t?.close();
  });

  const newProject = (): Promise<ProjectRow> =>
    t.repos.projects.create({ ownerId: owner, name: 'History', initialPrompt: 'an app', template: 'react-vite' });
  const write = (projectId: string, path: string, content: string) => t.repos.files.upsert(projectId, { path, content, phase: 0 });
  const stored = async (projectId: string) => Object.fromEntries((await t.repos.files.readMany(projectId)).map((f) => [f.path, f.content]));

  it('records the whole file set per version, with what changed against the one before', async () => {
    const p = await newProject();
    await write(p.id, 'src/App.tsx', 'v1');
    await write(p.id, 'src/a.ts', 'a');
    const first = await t.repos.versions.record(p.id, { kind: 'phase', label: 'Core', round: 1, phaseIndex: 0 });
    expect(first.outcome).toBe('created');
    expect(first.version).toMatchObject({ seq: 1, kind: 'phase', label: 'Core', round: 1, phaseIndex: 0, fileCount: 2, totalBytes: 3 });
    expect(first.version.changes).toEqual({ added: ['src/App.tsx', 'src/a.ts'], modified: [], deleted: [] });

    await write(p.id, 'src/App.tsx', 'v2');
    await t.repos.files.delete(p.id, 'src/a.ts');
    await write(p.id, 'src/b.ts', 'b');
    const second = await t.repos.versions.record(p.id, { kind: 'phase', label: 'More', round: 1, phaseIndex: 1 });
    expect(second.version.seq).toBe(2);
    expect(second.version.changes).toEqual({ added: ['src/b.ts'], modified: ['src/App.tsx'], deleted: ['src/a.ts'] });

    expect((await t.repos.versions.list(p.id)).map((v) => v.seq)).toEqual([2, 1]);
    expect(await t.repos.versions.files(p.id, 1)).toEqual([
      { path: 'src/App.tsx', hash: expect.any(String), size: 2 },
      { path: 'src/a.ts', hash: expect.any(String), size: 1 },
    ]);
    expect((await t.repos.versions.read(p.id, 1, 'src/App.tsx'))?.content).toBe('v1');
    expect(await t.repos.versions.read(p.id, 1, 'src/b.ts')).toBeNull();
    expect(await t.repos.versions.readMany(p.id, 1, ['src/a.ts', 'src/App.tsx', 'nope'])).toEqual([
      { path: 'src/App.tsx', content: 'v1', encoding: 'utf8' },
      { path: 'src/a.ts', content: 'a', encoding: 'utf8' },
    ]);
    expect(await t.repos.versions.get(p.id, 3)).toBeNull();
    expect(await t.repos.versions.files(p.id, 99)).toBeNull();
  });

  it('an edit burst is one version that moves on; a phase in between ends it', async () => {
    const p = await newProject();
    await write(p.id, 'src/App.tsx', 'base');
    await t.repos.versions.record(p.id, { kind: 'phase', label: 'Core', round: 1, phaseIndex: 0 });
    const burst = { burstMs: 60_000, burstMaxMs: 600_000 };
    const edited = (c: { added: string[]; modified: string[] }) => `Edited ${[...c.added, ...c.modified].join(', ')}`;
    await write(p.id, 'src/App.tsx', 'edit 1');
    const e1 = await t.repos.versions.record(p.id, { kind: 'edit', label: edited }, burst);
    await write(p.id, 'src/extra.ts', 'x');
    const e2 = await t.repos.versions.record(p.id, { kind: 'edit', label: edited }, burst);
    expect(e1.outcome).toBe('created');
    expect(e2.outcome).toBe('updated');
    expect(e2.version.seq).toBe(e1.version.seq);
    expect(e2.version.label).toBe('Edited src/extra.ts, src/App.tsx');
    expect(e2.version.changes).toEqual({ added: ['src/extra.ts'], modified: ['src/App.tsx'], deleted: [] });
    expect((await t.repos.versions.read(p.id, e2.version.seq, 'src/App.tsx'))?.content).toBe('edit 1');

    await t.repos.versions.record(p.id, { kind: 'phase', label: 'Next', round: 2, phaseIndex: 1 });
    await write(p.id, 'src/App.tsx', 'edit 2');
    const e3 = await t.repos.versions.record(p.id, { kind: 'edit', label: edited }, burst);
    expect(e3.outcome).toBe('created');
    expect(e3.version.seq).toBe(4);
    // Without a window every edit is its own version.
    await write(p.id, 'src/App.tsx', 'edit 3');
    expect((await t.repos.versions.record(p.id, { kind: 'edit', label: edited }, { burstMs: -1 })).version.seq).toBe(5);
    // Unchanged files make no version when asked not to.
    const same = await t.repos.versions.record(p.id, { kind: 'checkpoint', label: 'x' }, { skipUnchanged: true });
    expect(same).toMatchObject({ outcome: 'unchanged', version: { seq: 5 } });
  });

  it('restore brings back the exact files, deletes later ones, and is itself a new version', async () => {
    const p = await newProject();
    await write(p.id, 'src/App.tsx', 'working');
    await write(p.id, 'src/keep.ts', 'keep');
    await t.repos.versions.record(p.id, { kind: 'phase', label: 'Works', round: 1, phaseIndex: 0 });
    await write(p.id, 'src/App.tsx', 'broken');
    await write(p.id, 'src/later.ts', 'later');
    // No version holds these files yet: the restore keeps them as a checkpoint first.
    const outcome = await t.repos.versions.restore(p.id, 1);
    expect(outcome.checkpoint).toMatchObject({ seq: 2, kind: 'checkpoint', label: 'Before restoring version 1' });
    expect(outcome.version).toMatchObject({ seq: 3, kind: 'restore', restoredFrom: 1, label: 'Restored version 1' });
    expect(outcome.version.changes).toEqual({ added: [], modified: ['src/App.tsx'], deleted: ['src/later.ts'] });
    expect(outcome.written).toEqual(['src/App.tsx']);
    expect(outcome.deleted).toEqual(['src/later.ts']);
    expect(await stored(p.id)).toEqual({ 'src/App.tsx': 'working', 'src/keep.ts': 'keep' });
    expect(outcome.version.treeHash).toBe((await t.repos.versions.get(p.id, 1))?.treeHash);

    // Never destructive: the replaced files can be restored in turn.
    const back = await t.repos.versions.restore(p.id, 2);
    expect(back.checkpoint).toBeNull();
    expect(await stored(p.id)).toEqual({ 'src/App.tsx': 'broken', 'src/keep.ts': 'keep', 'src/later.ts': 'later' });
    expect((await t.repos.versions.list(p.id)).map((v) => `${v.seq}:${v.kind}`)).toEqual([
      '4:restore',
      '3:restore',
      '2:checkpoint',
      '1:phase',
    ]);

    const missing = await t.repos.versions.restore(p.id, 42).catch((e: unknown) => e);
    expect(isLatheError(missing) && missing.code).toBe('not_found');
  });

  it('concurrent recorders get distinct, gap-free seqs', async () => {
    const p = await newProject();
    await write(p.id, 'a.txt', 'a');
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => t.repos.versions.record(p.id, { kind: 'phase', label: `P${i}`, round: 1, phaseIndex: i })),
    );
    expect(results.map((r) => r.version.seq).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('versions go with their project', async () => {
    const p = await newProject();
    await write(p.id, 'a.txt', 'a');
    await t.repos.versions.record(p.id, { kind: 'phase', label: 'P', round: 1, phaseIndex: 0 });
    await t.repos.projects.delete(p.id, owner);
    expect(await t.repos.versions.list(p.id)).toEqual([]);
    const gone = await t.repos.versions.record(p.id, { kind: 'phase', label: 'P' }).catch((e: unknown) => e);
    expect(isLatheError(gone) && gone.code).toBe('not_found');
  });
});
