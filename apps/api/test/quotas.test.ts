import { type ScriptedModel, startScriptedModel } from '@lathe/agent';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiProcess, client, FrameSocket, previewLogin, requestWithHost, signUp, socketUrl, type TestUser } from './helpers';

type ErrorBody = { error: { code: string; message: string } };

describe('per-user quotas and the model allow-list (spawned server)', () => {
  let api: ApiProcess;
  let admin: TestUser;
  let user: TestUser;

  const call = async (method: string, path: string, cookie: string, body?: unknown) => {
    const res = await fetch(`${api.url}${path}`, {
      method,
      headers: { cookie, origin: api.origin, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json().catch(() => null)) as unknown };
  };
  const newProject = async (cookie: string) => call('POST', '/api/projects', cookie, { prompt: 'A counter app', start: false });
  const writeFile = (cookie: string, projectId: string, path: string, content: string) =>
    call('PUT', `/api/projects/${projectId}/file`, cookie, { path, content });
  const preview = async (cookie: string, projectId: string) => {
    const login = await previewLogin(api, cookie, projectId);
    return requestWithHost(api, login.host, '/', { cookie: login.cookie });
  };

  beforeAll(async () => {
    api = await ApiProcess.start({
      LATHE_QUOTA_PROJECTS: '2',
      LATHE_QUOTA_SANDBOXES: '1',
      LATHE_QUOTA_STORAGE_MB: '1',
      LATHE_ALLOWED_MODELS: 'allowed/one, allowed/two',
    });
    admin = await signUp(api, 'admin');
    user = await signUp(api, 'user');
  });

  afterAll(async () => {
    await api?.dispose();
  });

  it('projects: beyond LATHE_QUOTA_PROJECTS a new project is 429 project_quota_exceeded; deleting one makes room', async () => {
    const first = await newProject(user.cookie);
    const second = await newProject(user.cookie);
    expect([first.status, second.status]).toEqual([201, 201]);
    const third = await newProject(user.cookie);
    expect(third.status).toBe(429);
    expect((third.body as ErrorBody).error).toEqual({ code: 'project_quota_exceeded', message: expect.stringContaining('(2)') });
    // Quotas are per user: the admin's count is their own.
    expect((await newProject(admin.cookie)).status).toBe(201);

    const doomed = (second.body as { id: string }).id;
    expect((await call('DELETE', `/api/projects/${doomed}`, user.cookie)).status).toBe(204);
    expect((await newProject(user.cookie)).status).toBe(201);
  });

  it('live sandboxes: an app nobody uses makes room; with every app in use, one more is 429 sandbox_quota_exceeded', async () => {
    const projects = (await call('GET', '/api/projects', user.cookie)).body as { id: string }[];
    const [a, b] = projects.map((p) => p.id);
    if (!a || !b) throw new Error('two projects expected');
    for (const id of [a, b]) expect((await writeFile(user.cookie, id, 'src/note.txt', 'hello\n')).status).toBe(200);
    const liveCount = async () => {
      const listed = (await call('GET', '/api/admin/users', admin.cookie)).body as { users: { id: string; liveSandboxes: number }[] };
      return listed.users.find((u) => u.id === user.id)?.liveSandboxes;
    };

    // A is open in the IDE: in use.
    const socket = new FrameSocket(socketUrl(api, a), { cookie: user.cookie, origin: api.origin });
    await socket.opened;
    expect(await preview(user.cookie, a)).toMatchObject({ status: 200 });
    expect(await liveCount()).toBe(1);
    const second = await preview(user.cookie, b);
    expect(second.status).toBe(429);
    expect(JSON.parse(second.body)).toEqual({ error: { code: 'sandbox_quota_exceeded', message: expect.stringContaining('(1)') } });
    const generate = await call('POST', `/api/projects/${b}/generate`, user.cookie, { description: 'A counter app' });
    expect(generate.status).toBe(429);
    expect((generate.body as ErrorBody).error.code).toBe('sandbox_quota_exceeded');
    // The running one keeps serving.
    expect((await preview(user.cookie, a)).status).toBe(200);

    // Closed in the IDE, A gives its place to B: A's app stops, B's starts, still one running.
    socket.close();
    await socket.closed;
    expect((await preview(user.cookie, b)).status).toBe(200);
    expect(await liveCount()).toBe(1);
  });

  it('storage: at LATHE_QUOTA_STORAGE_MB of files, saving more or starting a round is 429 storage_quota_exceeded', async () => {
    const projects = (await call('GET', '/api/projects', user.cookie)).body as { id: string }[];
    const id = projects[0]?.id ?? '';
    const listed = (await call('GET', '/api/admin/users', admin.cookie)).body as { users: { id: string; storageBytes: number }[] };
    const used = listed.users.find((u) => u.id === user.id)?.storageBytes ?? -1;
    expect(used).toBeGreaterThan(0);
    const room = 1024 * 1024 - used;
    // Up to the quota exactly is fine; one byte more is not.
    expect((await writeFile(user.cookie, id, 'data/big.txt', 'x'.repeat(room))).status).toBe(200);
    const over = await writeFile(user.cookie, id, 'data/more.txt', 'y');
    expect(over.status).toBe(429);
    expect((over.body as ErrorBody).error).toEqual({ code: 'storage_quota_exceeded', message: expect.stringContaining('1 MB') });
    const round = await call('POST', `/api/projects/${id}/messages`, user.cookie, { text: 'Make it blue' });
    expect(round.status).toBe(429);
    expect((round.body as ErrorBody).error.code).toBe('storage_quota_exceeded');
    // Shrinking a file is how one gets back under.
    expect((await writeFile(user.cookie, id, 'data/big.txt', 'small\n')).status).toBe(200);
    expect((await writeFile(user.cookie, id, 'data/more.txt', 'y')).status).toBe(200);
  });

  it('models: without their own key a user may pick only LATHE_ALLOWED_MODELS (422 model_not_allowed); with one, any', async () => {
    const models = await call('GET', '/api/models', user.cookie);
    expect((models.body as { allowedModels: string[] | null }).allowedModels).toEqual(['allowed/one', 'allowed/two']);
    expect((await call('PUT', '/api/models', user.cookie, { designer: 'allowed/one', fixer: null })).status).toBe(200);
    const refused = await call('PUT', '/api/models', user.cookie, { designer: 'allowed/one', implementer: 'anthropic/claude-opus-4' });
    expect(refused.status).toBe(422);
    expect((refused.body as ErrorBody).error).toEqual({
      code: 'model_not_allowed',
      message: expect.stringContaining('allowed/one, allowed/two'),
    });
    const kept = (await call('GET', '/api/models', user.cookie)).body as { roles: { designer: string; implementer: string } };
    expect(kept.roles.designer).toBe('allowed/one');
    expect(kept.roles.implementer).not.toBe('anthropic/claude-opus-4');

    expect((await call('POST', '/api/keys', user.cookie, { provider: 'openrouter', key: 'sk-or-v1-mine-0123456789' })).status).toBe(201);
    const own = await call('PUT', '/api/models', user.cookie, { implementer: 'anthropic/claude-opus-4' });
    expect(own.status).toBe(200);
    expect(own.body).toMatchObject({ allowedModels: null, roles: { implementer: 'anthropic/claude-opus-4' } });
  });
});

describe("the server's key pays only for allowed models (scripted model)", () => {
  let model: ScriptedModel;
  let api: ApiProcess;

  beforeAll(async () => {
    model = await startScriptedModel({ script: [] });
    api = await ApiProcess.start({
      LATHE_LLM_BASE_URL: model.url,
      LATHE_LLM_API_KEY: 'server-key',
      LATHE_MODEL: 'allowed/default',
      LATHE_ALLOWED_MODELS: 'allowed/one',
    });
  });

  afterAll(async () => {
    await api?.dispose();
    await model?.close();
  });

  it('a choice made with an own key, once the key is gone, falls back to the default instead of reaching the server key', async () => {
    const user = await signUp(api, 'chooser');
    const c = client(api, user.cookie);
    const key = await c.POST('/api/keys', { body: { provider: 'openrouter', key: 'sk-or-v1-mine-0123456789' } });
    expect(key.response.status).toBe(201);
    expect((await c.PUT('/api/models', { body: { designer: 'fancy/model' } })).response.status).toBe(200);
    expect((await c.DELETE('/api/keys/{keyId}', { params: { path: { keyId: key.data?.id ?? '' } } })).response.status).toBe(204);

    const models = await c.GET('/api/models');
    expect(models.data).toMatchObject({ allowedModels: ['allowed/one'], roles: { designer: 'allowed/default' } });
    const created = await c.POST('/api/projects', { body: { prompt: 'A counter app' } });
    expect(created.response.status).toBe(201);
    const socket = new FrameSocket(socketUrl(api, created.data?.id ?? ''), { cookie: user.cookie, origin: api.origin });
    await socket.next((f) => f.frame === 'event' && (f.event.type === 'error' || f.event.type === 'generation_complete'));
    socket.close();
    expect(model.requests.length).toBeGreaterThan(0);
    expect(new Set(model.requests.map((r) => r.model))).toEqual(new Set(['allowed/default']));
  });
});
