import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HttpsGitServer, initBare, type SshGitServer, startHttpsGitServer, startSshGitServer } from '../../../testing/git-servers';
import { ApiProcess, FrameSocket, freePort, isEvent, SANDBOX_DIR, signUp, socketUrl, type TestUser } from './helpers';

/** No user or system git config, and none of the machine's GIT_* settings (a CA bundle, say). */
const CLEAN_ENV = { PATH: process.env.PATH ?? '', GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', GIT_TERMINAL_PROMPT: '0' };

/** Async: the HTTPS git server runs in this very process, so a blocking call would starve it. */
const run = async (file: string, args: string[], opts: { cwd?: string } = {}): Promise<string> =>
  (await promisify(execFile)(file, args, { ...opts, env: CLEAN_ENV, encoding: 'utf8' })).stdout;

const TOKEN = 'glpat-right-token-0123456789';
const TOKEN_USER = 'ada';

// biome-ignore lint/suspicious/noExplicitAny: response bodies of many shapes, checked by the assertions
type Json = any;

interface Commit {
  sha: string;
  message: string;
}

/** Every file under `dir` (not .git) with its content. */
async function tree(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (d: string) => {
    for (const entry of await readdir(d, { withFileTypes: true })) {
      if (entry.name === '.git') continue;
      const path = join(d, entry.name);
      if (entry.isDirectory()) await walk(path);
      else out[relative(dir, path)] = await readFile(path, 'utf8');
    }
  };
  await walk(dir);
  return out;
}

async function gitLog(dir: string): Promise<Commit[]> {
  return (await run('git', ['-C', dir, 'log', '--format=%H%x00%s']))
    .trim()
    .split('\n')
    .map((line) => {
      const [sha = '', message = ''] = line.split('\0');
      return { sha, message };
    });
}

describe('git: commits per phase and edit burst, push over HTTPS (token) and SSH (generated key) to local servers', () => {
  let dir: string;
  let https: HttpsGitServer;
  let ssh: SshGitServer;
  let api: ApiProcess;
  let owner: TestUser;
  let projectId: string;

  const call = async (method: string, path: string, body?: unknown): Promise<{ status: number; json: Json }> => {
    const res = await fetch(`${api.url}${path}`, {
      method,
      headers: { cookie: owner.cookie, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : null };
  };
  const push = (force = false) => call('POST', `/api/projects/${projectId}/git/push`, force ? { force } : {});
  const setRemote = (url: string) => call('PUT', `/api/projects/${projectId}/git/remote`, { url });
  const projectFiles = async (): Promise<Record<string, string>> => {
    const list = (await call('GET', `/api/projects/${projectId}/files`)).json as { path: string }[];
    const out: Record<string, string> = {};
    for (const f of list) {
      out[f.path] = (await call('GET', `/api/projects/${projectId}/file?path=${encodeURIComponent(f.path)}`)).json.content;
    }
    return out;
  };
  const projectCommits = async (): Promise<Commit[]> =>
    ((await call('GET', `/api/projects/${projectId}/git`)).json.commits as Commit[]).map((c) => ({
      sha: c.sha,
      message: c.message.split('\n')[0] ?? '',
    }));
  const cloneHttps = async (name: string, target: string) => {
    const auth = `Authorization: Basic ${Buffer.from(`${TOKEN_USER}:${TOKEN}`).toString('base64')}`;
    await run(
      'git',
      [
        '-c',
        `http.sslCAInfo=${https.caFile}`,
        '-c',
        `http.extraHeader=${auth}`,
        'clone',
        '--quiet',
        `https://127.0.0.1:${https.port}/${name}`,
        target,
      ],
      {},
    );
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lathe-git-push-'));
    initBare(join(dir, 'https', 'app.git'));
    initBare(join(dir, 'ssh', 'app.git'));
    https = await startHttpsGitServer(dir, join(dir, 'https'), TOKEN_USER, TOKEN);
    ssh = await startSshGitServer(dir);
    api = await ApiProcess.start({ LATHE_GIT_CA_FILE: https.caFile, LATHE_GIT_EDIT_BURST_MS: '600000' });
    owner = await signUp(api, 'pusher');
  });

  afterAll(async () => {
    await api?.dispose();
    await https?.close();
    await ssh?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('commits each phase of a generation, in a repository outside the sandbox', async () => {
    const created = await call('POST', '/api/projects', { prompt: 'A todo list app', start: false });
    expect(created.status).toBe(201);
    projectId = created.json.id;
    const socket = new FrameSocket(socketUrl(api, projectId), { cookie: owner.cookie });
    await socket.opened;
    await socket.next(() => true);
    socket.send({ type: 'generate', description: 'A todo list app with add, toggle and delete' });
    const done = await socket.next((f) => isEvent('generation_complete')(f) || isEvent('error')(f) || f.frame === 'error', 170_000);
    expect(done, JSON.stringify(done)).toMatchObject({ frame: 'event', event: { type: 'generation_complete' } });
    socket.close();

    const state = (await call('GET', `/api/projects/${projectId}/state`)).json as {
      phases: { index: number; spec: { name: string } | null }[];
    };
    const git = (await call('GET', `/api/projects/${projectId}/git`)).json;
    expect(git).toMatchObject({ remoteUrl: null, branch: 'main', lastPushedAt: null });
    expect(git.commitCount).toBeGreaterThanOrEqual(1);
    const messages = (git.commits as { message: string }[]).map((c) => c.message).reverse();
    const named = state.phases.filter((p) => p.spec).map((p) => `Phase ${p.index + 1}: ${p.spec?.name}`);
    // A phase that changed no file makes no commit; every commit is a phase of the round.
    for (const m of messages) expect(named).toContain(m);
    expect(messages[0]).toBe(named[0]);
    expect(git.commits[0].authorEmail).toBe(owner.email);

    // The repository lives in the server's git directory, and no sandbox holds a .git of ours.
    expect((await stat(join(api.dataDir, 'git', `${projectId}.git`, 'HEAD'))).isFile()).toBe(true);
    const sandboxEntries = await readdir(SANDBOX_DIR, { recursive: true }).catch(() => [] as string[]);
    expect(sandboxEntries.filter((p) => p.includes(projectId) && p.endsWith('.git'))).toEqual([]);
  });

  it('refuses remote URLs that are not https, ssh or scp-like', async () => {
    for (const url of [
      'file:///etc',
      'ext::sh -c id',
      '-oProxyCommand=id',
      'http://127.0.0.1/x.git',
      `https://u:${TOKEN}@127.0.0.1/x.git`,
    ]) {
      const res = await setRemote(url);
      expect(res.status, url).toBe(422);
      expect(res.json.error.code, url).toBe('git_invalid_remote');
    }
  });

  it('HTTPS: no token, then a wrong token, give clear errors; the right one pushes every commit, edits included', async () => {
    await call('PUT', `/api/projects/${projectId}/file`, {
      path: 'src/App.tsx',
      content: 'export default function App() {\n  return <h1>Edited</h1>;\n}\n',
    });
    await call('PUT', `/api/projects/${projectId}/file`, { path: 'notes/todo.md', content: '# Todo\n\n- push\n' });
    const url = `https://127.0.0.1:${https.port}/app.git`;
    expect((await setRemote(url)).json).toMatchObject({ remoteUrl: url, transport: 'https' });

    const missing = await push();
    expect(missing.status).toBe(422);
    expect(missing.json.error.code).toBe('git_credential_missing');

    expect((await call('PUT', '/api/git/credentials/https', { token: 'wrong-token-123456', username: TOKEN_USER })).status).toBe(200);
    const wrong = await push();
    expect(wrong.status).toBe(422);
    expect(wrong.json.error).toMatchObject({ code: 'git_auth_failed', message: expect.stringContaining('refused the HTTPS token') });
    expect(https.refused).toBeGreaterThan(0);

    const stored = await call('PUT', '/api/git/credentials/https', { token: TOKEN, username: TOKEN_USER });
    expect(stored.json).toEqual({ username: TOKEN_USER, masked: '…6789', createdAt: expect.any(String) });
    const ok = await push();
    expect(ok.status, JSON.stringify(ok.json)).toBe(200);
    const commits = await projectCommits();
    expect(commits[0]?.message).toBe('Edit 2 files: notes/todo.md, src/App.tsx');
    expect(ok.json).toMatchObject({ commit: commits[0]?.sha, commits: commits.length, remoteUrl: url, branch: 'main' });

    const clone = join(dir, 'clone-https');
    await cloneHttps('app.git', clone);
    expect(await tree(clone)).toEqual(await projectFiles());
    expect(await gitLog(clone)).toEqual(commits);
    const git = (await call('GET', `/api/projects/${projectId}/git`)).json;
    expect(git).toMatchObject({ lastPushedCommit: commits[0]?.sha, lastPushedAt: expect.any(String) });

    // Nothing new: pushing again is fine and makes no commit.
    expect((await push()).status).toBe(200);
    expect(await projectCommits()).toEqual(commits);
  });

  it('HTTPS: a remote with commits the project lacks rejects the push (git_rejected) until the push replaces it', async () => {
    const other = join(dir, 'clone-other');
    await cloneHttps('app.git', other);
    await run(
      'sh',
      ['-c', 'echo elsewhere > ELSEWHERE.md && git add ELSEWHERE.md && git -c user.name=x -c user.email=x@x commit -qm elsewhere'],
      { cwd: other },
    );
    const auth = `Authorization: Basic ${Buffer.from(`${TOKEN_USER}:${TOKEN}`).toString('base64')}`;
    await run('git', [
      '-C',
      other,
      '-c',
      `http.sslCAInfo=${https.caFile}`,
      '-c',
      `http.extraHeader=${auth}`,
      'push',
      '--quiet',
      'origin',
      'main',
    ]);

    await call('PUT', `/api/projects/${projectId}/file`, { path: 'notes/todo.md', content: '# Todo\n\n- push\n- again\n' });
    const rejected = await push();
    expect(rejected.status).toBe(409);
    expect(rejected.json.error.code).toBe('git_rejected');
    const forced = await push(true);
    expect(forced.status, JSON.stringify(forced.json)).toBe(200);
    const clone = join(dir, 'clone-forced');
    await cloneHttps('app.git', clone);
    expect(await tree(clone)).toEqual(await projectFiles());
    expect(await gitLog(clone)).toEqual(await projectCommits());
  });

  it('SSH: the generated key pushes to sshd; another key gets git_auth_failed; the private key never leaves the server', async () => {
    const url = `ssh://${ssh.user}@127.0.0.1:${ssh.port}${join(dir, 'ssh', 'app.git')}`;
    expect((await setRemote(url)).json).toMatchObject({ remoteUrl: url, transport: 'ssh' });
    expect((await push()).json.error.code).toBe('git_credential_missing');

    const key = await call('POST', '/api/git/credentials/ssh');
    expect(key.status).toBe(201);
    expect(key.json.publicKey).toMatch(/^ssh-ed25519 \S+ lathe:/);
    expect(JSON.stringify(key.json)).not.toContain('PRIVATE');
    await ssh.authorize(key.json.publicKey);
    const ok = await push();
    expect(ok.status, JSON.stringify(ok.json)).toBe(200);
    const clone = join(dir, 'clone-ssh');
    await run('git', ['clone', '--quiet', join(dir, 'ssh', 'app.git'), clone]);
    expect(await tree(clone)).toEqual(await projectFiles());
    expect(await gitLog(clone)).toEqual(await projectCommits());

    const listed = (await call('GET', '/api/git/credentials')).json;
    expect(listed).toEqual({
      https: { username: TOKEN_USER, masked: '…6789', createdAt: expect.any(String) },
      ssh: { publicKey: key.json.publicKey, fingerprint: key.json.fingerprint, createdAt: expect.any(String) },
    });

    // A regenerated key is not the one sshd knows.
    const fresh = await call('POST', '/api/git/credentials/ssh');
    expect(fresh.json.publicKey).not.toBe(key.json.publicKey);
    await call('PUT', `/api/projects/${projectId}/file`, { path: 'notes/ssh.md', content: 'ssh\n' });
    const refused = await push();
    expect(refused.status).toBe(422);
    expect(refused.json.error).toMatchObject({ code: 'git_auth_failed', message: expect.stringContaining('refused the SSH key') });

    expect((await call('DELETE', '/api/git/credentials/ssh')).status).toBe(204);
    expect((await call('DELETE', '/api/git/credentials/ssh')).status).toBe(404);
    expect(api.output).not.toContain('PRIVATE KEY');
    expect(api.output).not.toContain(TOKEN);
    expect(await readdir(join(api.dataDir, 'git'))).not.toContainEqual(expect.stringMatching(/^\.push-/));
  });

  it('an unreachable remote is git_remote_unreachable', async () => {
    await setRemote(`https://127.0.0.1:${await freePort()}/app.git`);
    const res = await push();
    expect(res.status).toBe(422);
    expect(res.json.error.code).toBe('git_remote_unreachable');
  });

  it('deleting the project removes its repository', async () => {
    const gitDir = join(api.dataDir, 'git', `${projectId}.git`);
    expect((await stat(gitDir)).isDirectory()).toBe(true);
    expect((await call('DELETE', `/api/projects/${projectId}`)).status).toBe(204);
    await expect(stat(gitDir)).rejects.toThrow('ENOENT');
  });
});
