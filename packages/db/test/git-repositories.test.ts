import { createGitRepositories, type DbKind, type GitRepositories } from '@lathe/db';
import { isLatheError } from '@lathe/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, createTestUser, type TestDatabase } from '../../../testing/db';

const KINDS: DbKind[] = ['pglite', 'postgres'];
const sealed = (n: string) => ({ ciphertext: `c${n}`, iv: `i${n}`, tag: `t${n}` });

describe.each(KINDS)('git repositories on %s', (kind) => {
  let t: TestDatabase;
  let git: GitRepositories;
  let owner: string;
  let other: string;

  beforeAll(async () => {
    t = await createTestDatabase(kind);
    git = createGitRepositories(t.db);
    owner = await createTestUser(t.db, 'Owner');
    other = await createTestUser(t.db, 'Other');
  });
  afterAll(async () => {
    await t?.close();
  });

  it('keeps one credential per user and kind; a new one replaces the old under a new id', async () => {
    const first = await git.credentials.put(owner, { kind: 'https', username: 'ada', last4: '1234', ...sealed('1') });
    const second = await git.credentials.put(owner, { kind: 'https', last4: '5678', ...sealed('2') });
    expect(second.id).not.toBe(first.id);
    expect(await git.credentials.get(owner, 'https')).toMatchObject({ username: null, last4: '5678', ciphertext: 'c2' });
    await git.credentials.put(owner, { kind: 'ssh', publicKey: 'ssh-ed25519 AAAA x', fingerprint: 'SHA256:x', ...sealed('3') });
    const listed = await git.credentials.list(owner);
    expect(listed.map((c) => c.kind)).toEqual(['https', 'ssh']);
    expect(JSON.stringify(listed)).not.toContain('ciphertext');
    expect(await git.credentials.list(other)).toEqual([]);
    expect(await git.credentials.get(other, 'ssh')).toBeNull();
    expect(await git.credentials.delete(other, 'ssh')).toBe(false);
    expect(await git.credentials.delete(owner, 'ssh')).toBe(true);
    expect(await git.credentials.get(owner, 'ssh')).toBeNull();
    const bad = await git.credentials.put(owner, { kind: 'ftp' as 'ssh', ...sealed('4') }).catch((e: unknown) => e);
    expect(isLatheError(bad) && bad.code).toBe('invalid_input');
  });

  it("remembers a project's remote and its last push; a new URL forgets the push; deleting the project removes it", async () => {
    const project = await t.repos.projects.create({ ownerId: owner, name: 'App', initialPrompt: 'an app', template: 'react-vite' });
    expect(await git.remotes.get(project.id)).toBeNull();
    await git.remotes.set(project.id, 'git@example.test:a/b.git');
    await git.remotes.recordPush(project.id, 'a'.repeat(40));
    expect(await git.remotes.get(project.id)).toMatchObject({ lastPushedCommit: 'a'.repeat(40), lastPushedAt: expect.any(String) });
    expect(await git.remotes.set(project.id, 'git@example.test:a/b.git')).toMatchObject({ lastPushedCommit: 'a'.repeat(40) });
    expect(await git.remotes.set(project.id, 'git@example.test:a/c.git')).toMatchObject({ lastPushedCommit: null, lastPushedAt: null });
    const missing = await git.remotes.set('00000000-0000-4000-8000-000000000000', 'git@x:y').catch((e: unknown) => e);
    expect(isLatheError(missing) && missing.code).toBe('not_found');
    await t.repos.projects.delete(project.id, owner);
    expect(await git.remotes.get(project.id)).toBeNull();
  });
});
