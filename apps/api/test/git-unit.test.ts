import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyPushFailure } from '../src/git/push';
import { checkRemoteUrl } from '../src/git/remote-url';
import { ProjectRepositories } from '../src/git/repository';
import { generateSshKeyPair } from '../src/git/ssh-key';

const author = { name: 'Ada <Lovelace>', email: 'ada@example.test' };

describe('remote URL rule', () => {
  it.each([
    ['https://github.com/owner/repo.git', 'https', 'https://github.com/owner/repo.git'],
    ['https://gitea.example.test:3000/team/app', 'https', 'https://gitea.example.test:3000/team/app'],
    ['ssh://git@github.com/owner/repo.git', 'ssh', 'ssh://git@github.com/owner/repo.git'],
    ['ssh://git@127.0.0.1:2222/srv/git/app.git', 'ssh', 'ssh://git@127.0.0.1:2222/srv/git/app.git'],
    ['git@gitlab.com:group/sub/repo.git', 'ssh', 'git@gitlab.com:group/sub/repo.git'],
    ['  git@github.com:owner/repo.git  ', 'ssh', 'git@github.com:owner/repo.git'],
  ])('accepts %s', (raw, transport, url) => {
    expect(checkRemoteUrl(raw)).toEqual({ ok: true, remote: expect.objectContaining({ transport, url }) });
  });

  it.each([
    'file:///etc/passwd',
    '/srv/git/repo.git',
    './repo',
    'ext::sh -c touch% /tmp/pwned',
    'fd::17',
    'http://github.com/owner/repo.git',
    'git://github.com/owner/repo.git',
    '-oProxyCommand=touch /tmp/pwned',
    'ssh://-oProxyCommand=touch%20x/repo',
    'ssh://git@-oProxyCommand=x/repo',
    'git@-oProxyCommand=x:repo',
    'https://user:secret@github.com/owner/repo.git',
    'https://token@github.com/owner/repo.git',
    'https://github.com/owner/repo.git?x=1',
    'https://github.com/',
    'git@github.com:-u/repo.git',
    'git@github.com:../../etc',
    'git@github.com:repo name',
    'github.com:owner/repo.git',
    '',
  ])('refuses %j', (raw) => {
    expect(checkRemoteUrl(raw)).toEqual({ ok: false, message: expect.any(String) });
  });
});

describe('ProjectRepositories: commits from stored files with plumbing', () => {
  let root: string;
  let repos: ProjectRepositories;
  const id = '0b6f6c0e-4a1c-4c36-9d0e-1f2a3b4c5d6e';

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'lathe-git-unit-'));
    repos = new ProjectRepositories(join(root, 'git'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('commits a tree, skips an unchanged one, and keeps nested paths, odd names and bytes exactly', async () => {
    const files = [
      { path: 'src/App.tsx', content: 'export default function App() {\n  return <h1>Hi</h1>;\n}\n' },
      { path: 'src/components/deep/Item.tsx', content: 'export const Item = () => null;\n' },
      { path: 'docs/name with spaces & ünïcödé.md', content: 'no trailing newline' },
      { path: 'public/logo.bin', content: new Uint8Array([0, 1, 2, 255, 254, 10, 13]) },
    ];
    const first = await repos.commitVersion(id, files, 'Phase 1: Core', author);
    expect(first).toMatch(/^[0-9a-f]{40}$/);
    expect(await repos.commitVersion(id, [...files].reverse(), 'Phase 2: Same', author)).toBeNull();
    const second = await repos.commitVersion(id, [...files.slice(0, 3), { path: 'src/new.ts', content: 'x\n' }], 'Edit src/new.ts', author);
    expect(second).toMatch(/^[0-9a-f]{40}$/);
    const log = await repos.log(id);
    expect(log.map((c) => c.message)).toEqual(['Edit src/new.ts', 'Phase 1: Core']);
    expect(log[0]).toMatchObject({ sha: second, authorName: 'Ada Lovelace', authorEmail: 'ada@example.test' });
    expect(await repos.count(id)).toBe(2);

    const clone = join(root, 'clone');
    execFileSync('git', ['clone', '--quiet', repos.gitDir(id), clone]);
    const show = (path: string) => execFileSync('git', ['-C', clone, 'show', `HEAD~1:${path}`]);
    expect(show('public/logo.bin')).toEqual(Buffer.from([0, 1, 2, 255, 254, 10, 13]));
    expect(show('docs/name with spaces & ünïcödé.md').toString('utf8')).toBe('no trailing newline');
    expect(execFileSync('git', ['-C', clone, 'ls-files'], { encoding: 'utf8' }).trim().split('\n').sort()).toEqual(
      [
        '"docs/name with spaces & \\303\\274n\\303\\257c\\303\\266d\\303\\251.md"',
        'src/App.tsx',
        'src/components/deep/Item.tsx',
        'src/new.ts',
      ].sort(),
    );
  });

  it('makes no commit of an empty first tree', async () => {
    const empty = '2b6f6c0e-4a1c-4c36-9d0e-1f2a3b4c5d6e';
    expect(await repos.commitVersion(empty, [], 'Phase 1: Nothing', author)).toBeNull();
    expect(await repos.head(empty)).toBeNull();
  });

  it('concurrent commits of one project queue up and chain', async () => {
    const other = '1b6f6c0e-4a1c-4c36-9d0e-1f2a3b4c5d6e';
    const results = await Promise.all(
      Array.from({ length: 5 }, (_, i) => repos.commitVersion(other, [{ path: 'n.txt', content: `${i}\n` }], `Edit n.txt (${i})`, author)),
    );
    expect(results.every((r) => r !== null)).toBe(true);
    expect(await repos.count(other)).toBe(5);
  });

  it('the repository has no hooks and our git ignores hooks planted in it', async () => {
    const gitDir = repos.gitDir(id);
    const marker = join(root, 'hook-ran');
    await writeFile(join(gitDir, 'hooks-planted'), '');
    execFileSync('mkdir', ['-p', join(gitDir, 'hooks')]);
    await writeFile(join(gitDir, 'hooks', 'reference-transaction'), `#!/bin/sh\ntouch ${marker}\n`, { mode: 0o755 });
    await repos.commitVersion(id, [{ path: 'a.txt', content: 'a\n' }], 'Edit a.txt', author);
    expect(() => execFileSync('test', ['-e', marker])).toThrow();
  });

  it('refuses anything but a project id as a repository name', () => {
    expect(() => repos.gitDir('../../etc')).toThrow('not a project id');
  });
});

describe('SSH key pairs', () => {
  it('are ed25519 in OpenSSH format that ssh-keygen reads, with the same public key and fingerprint', async () => {
    const pair = generateSshKeyPair('lathe:ada@example.test');
    expect(pair.publicKey).toMatch(/^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI[A-Za-z0-9+/]+=* lathe:ada@example.test$/);
    const dir = await mkdtemp(join(tmpdir(), 'lathe-key-'));
    try {
      await writeFile(join(dir, 'key'), pair.privateKey, { mode: 0o600 });
      expect(execFileSync('ssh-keygen', ['-y', '-f', join(dir, 'key')], { encoding: 'utf8' }).trim()).toBe(pair.publicKey);
      expect(execFileSync('ssh-keygen', ['-l', '-f', join(dir, 'key')], { encoding: 'utf8' })).toContain(pair.fingerprint);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    expect(generateSshKeyPair('x').publicKey).not.toBe(pair.publicKey);
  });
});

describe('push failures', () => {
  const https = { url: 'https://git.example.test/a/b.git', transport: 'https' as const, host: 'git.example.test' };
  const ssh = { url: 'git@git.example.test:a/b.git', transport: 'ssh' as const, host: 'git.example.test' };
  it.each([
    ["fatal: Authentication failed for 'https://git.example.test/a/b.git/'", https, 'git_auth_failed'],
    ["fatal: could not read Username for 'https://git.example.test': terminal prompts disabled", https, 'git_auth_failed'],
    ['git@git.example.test: Permission denied (publickey).\nfatal: Could not read from remote repository.', ssh, 'git_auth_failed'],
    [' ! [rejected]        main -> main (fetch first)\nerror: failed to push some refs', https, 'git_rejected'],
    ['ssh: connect to host git.example.test port 22: Connection refused', ssh, 'git_remote_unreachable'],
    [
      "fatal: unable to access 'https://git.example.test/a/b.git/': Could not resolve host: git.example.test",
      https,
      'git_remote_unreachable',
    ],
    ['Host key verification failed.', ssh, 'git_host_key_mismatch'],
  ])('%j → %s', (stderr, remote, code) => {
    expect(classifyPushFailure(stderr, remote).code).toBe(code);
  });
});
