import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiProcess, FrameSocket, previewLogin, requestWithHost, signUp, socketUrl, type TestUser } from './helpers';

const IDLE_MS = 1500;

describe('idle sandboxes stop and come back (spawned server, LATHE_SANDBOX_IDLE_MS)', () => {
  let api: ApiProcess;
  let user: TestUser;

  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${api.url}${path}`, {
      method,
      headers: { cookie: user.cookie, origin: api.origin, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return (await res.json()) as unknown;
  };
  const preview = async (projectId: string) => {
    const login = await previewLogin(api, user.cookie, projectId);
    return (await requestWithHost(api, login.host, '/', { cookie: login.cookie })).status;
  };
  /** The user's running dev servers, as the admin page counts them (the user is the first account, the admin). */
  const live = async () => {
    const listed = (await call('GET', '/api/admin/users')) as { users: { id: string; liveSandboxes: number }[] };
    return listed.users.find((u) => u.id === user.id)?.liveSandboxes ?? -1;
  };
  const until = async (what: string, test: () => Promise<boolean>) => {
    const deadline = Date.now() + 60_000;
    while (!(await test())) {
      if (Date.now() > deadline) throw new Error(`${what} did not happen within a minute`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };

  beforeAll(async () => {
    api = await ApiProcess.start({ LATHE_SANDBOX_IDLE_MS: String(IDLE_MS) });
    user = await signUp(api, 'idle');
  });

  afterAll(async () => {
    await api?.dispose();
  });

  it('stops the dev server nobody watches, keeps the watched one, and starts it again on the next preview', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const project = (await call('POST', '/api/projects', { prompt: 'A counter app', start: false })) as { id: string };
      await call('PUT', `/api/projects/${project.id}/file`, { path: 'src/note.txt', content: 'hello\n' });
      ids.push(project.id);
    }
    const [watchedId, idleId] = ids as [string, string];
    const socket = new FrameSocket(socketUrl(api, watchedId), { cookie: user.cookie, origin: api.origin });
    await socket.opened;
    // The watched project was previewed first, so it has been idle at least as long as the other.
    expect(await preview(watchedId)).toBe(200);
    expect(await preview(idleId)).toBe(200);
    expect(await live()).toBe(2);

    await until('the unwatched dev server stopping', async () => (await live()) === 1);
    // Two more idle periods: the project with an open IDE socket keeps its server.
    await new Promise((r) => setTimeout(r, 2 * IDLE_MS));
    expect(await live()).toBe(1);

    socket.close();
    await until('the dev server closed by its last viewer stopping', async () => (await live()) === 0);
    expect(api.output).toContain('idle dev server');

    // The next preview starts it again, files and all.
    expect(await preview(idleId)).toBe(200);
    expect(await live()).toBe(1);
  });
});
