import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGitRepositories, type ProjectRow } from '@lathe/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, createTestUser, type TestDatabase } from '../../../testing/db';
import { GitService } from '../src/git/service';

/** Waits for a condition the service reaches on its own timer (no timed assertion: only a bound). */
async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`never happened: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('GitService: bursts of user edits on a real database (PGlite)', () => {
  let t: TestDatabase;
  let dir: string;
  let project: ProjectRow;
  const logged: string[] = [];
  const service = (editBurstMs: number) =>
    new GitService({
      config: { root: join(dir, 'git'), caFile: null, editBurstMs, pushTimeoutMs: 10_000 },
      repos: t.repos,
      git: createGitRepositories(t.db),
      encryptionKey: Buffer.alloc(32, 7),
      log: (line) => logged.push(line),
    });
  const save = (path: string, content: string) => t.repos.files.upsert(project.id, { path, content, phase: null });

  beforeAll(async () => {
    t = await createTestDatabase('pglite');
    dir = await mkdtemp(join(tmpdir(), 'lathe-git-service-'));
    const owner = await createTestUser(t.db, 'Grace Hopper');
    project = await t.repos.projects.create({ ownerId: owner, name: 'App', initialPrompt: 'an app', template: 'react-vite' });
  });
  afterAll(async () => {
    await t?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('edits close together are one commit named after them, made when they pause; the author is the owner', async () => {
    const git = service(200);
    await save('src/App.tsx', 'a\n');
    await save('src/util.ts', 'b\n');
    // Three saves in a row (one file twice): each restarts the pause.
    git.userEdited(project.id, 'src/App.tsx');
    git.userEdited(project.id, 'src/util.ts');
    git.userEdited(project.id, 'src/App.tsx');
    await until(async () => (await git.repositories.count(project.id)) > 0, 'the burst commit');
    const [commit] = await git.repositories.log(project.id);
    expect(commit).toMatchObject({ message: 'Edit 2 files: src/App.tsx, src/util.ts', authorName: 'Grace Hopper' });
    expect(await git.repositories.count(project.id)).toBe(1);
    expect(logged).toEqual([]);
  });

  it('a stopping server commits pending edits; a burst that changed nothing commits nothing', async () => {
    const git = service(3_600_000);
    await save('README.md', '# App\n');
    git.userEdited(project.id, 'README.md');
    await git.close();
    expect((await git.repositories.log(project.id))[0]?.message).toBe('Edit README.md');
    git.userEdited(project.id, 'README.md');
    expect(await git.flush(project.id)).toBeNull();
    expect(await git.repositories.count(project.id)).toBe(2);
  });

  it('a push without a remote or a credential says what is missing', async () => {
    const git = service(3_600_000);
    await expect(git.push(project, project.ownerId, false)).rejects.toMatchObject({ code: 'git_remote_missing' });
    await createGitRepositories(t.db).remotes.set(project.id, 'git@git.example.test:a/b.git');
    await expect(git.push(project, project.ownerId, false)).rejects.toMatchObject({ code: 'git_credential_missing' });
  });
});
