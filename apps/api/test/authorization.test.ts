import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ApiProcess, FrameSocket, previewLogin, requestWithHost, signIn, signUp, socketUrl, type TestUser } from './helpers';

type Who = 'anonymous' | 'other' | 'owner';

interface Fixture {
  projectId: string;
  /** A second project of the owner, for DELETE. */
  doomedId: string;
  keyId: string;
  otherProjectId: string;
  otherUserId: string;
  /** The owner's SSH public key (Settings → Git). */
  sshPublicKey: string;
}

interface Case {
  method: string;
  path: (f: Fixture) => string;
  body?: unknown;
  /** Routes anyone may call. */
  public?: boolean;
  /** Administrators only (the owner is the first account, so the admin): another user gets 403. */
  admin?: boolean;
  /** Status the owner gets. */
  owner: number;
  /**
   * Routes that are not about one resource (lists, creation) succeed for another user too, on
   * their own data; `leak` says whether the owner's data showed up.
   */
  own?: { status: number; leak: (body: string, f: Fixture) => boolean };
}

/** The owner's stored model choice; no other user may see it. */
const OWNER_MODEL = 'owner/secret-model';

/**
 * Every route of /openapi.json must have a case: a new route without one fails the test. Owner
 * requests run in this order (side effects last).
 */
const CASES: Record<string, Case> = {
  'GET /health': { method: 'GET', path: () => '/health', public: true, owner: 200 },
  'GET /api/models': {
    method: 'GET',
    path: () => '/api/models',
    owner: 200,
    own: { status: 200, leak: (body) => body.includes(OWNER_MODEL) },
  },
  'GET /api/usage': {
    method: 'GET',
    path: () => '/api/usage',
    owner: 200,
    // Another user sees their own month: zero tokens, nothing of the owner's.
    own: { status: 200, leak: (body) => !body.includes('"tokens":0') },
  },
  'PUT /api/models': {
    method: 'PUT',
    path: () => '/api/models',
    body: { designer: 'caller/model' },
    owner: 200,
    own: { status: 200, leak: (body) => body.includes(OWNER_MODEL) },
  },
  'GET /api/projects': {
    method: 'GET',
    path: () => '/api/projects',
    owner: 200,
    own: { status: 200, leak: (body, f) => body.includes(f.projectId) },
  },
  'POST /api/projects': {
    method: 'POST',
    path: () => '/api/projects',
    body: { prompt: 'A counter app', start: false },
    owner: 201,
    own: { status: 201, leak: (body, f) => body.includes(f.projectId) },
  },
  'GET /api/projects/{id}': { method: 'GET', path: (f) => `/api/projects/${f.projectId}`, owner: 200 },
  'PATCH /api/projects/{id}': { method: 'PATCH', path: (f) => `/api/projects/${f.projectId}`, body: { name: 'Renamed' }, owner: 200 },
  'POST /api/projects/{id}/preview-token': { method: 'POST', path: (f) => `/api/projects/${f.projectId}/preview-token`, owner: 200 },
  'POST /api/projects/{id}/preview-ticket': { method: 'POST', path: (f) => `/api/projects/${f.projectId}/preview-ticket`, owner: 200 },
  'PUT /api/projects/{id}/file': {
    method: 'PUT',
    path: (f) => `/api/projects/${f.projectId}/file`,
    body: { path: 'notes/readme.md', content: '# notes\n' },
    owner: 200,
  },
  'GET /api/projects/{id}/files': { method: 'GET', path: (f) => `/api/projects/${f.projectId}/files`, owner: 200 },
  'GET /api/projects/{id}/file': { method: 'GET', path: (f) => `/api/projects/${f.projectId}/file?path=notes%2Freadme.md`, owner: 200 },
  'GET /api/projects/{id}/download': { method: 'GET', path: (f) => `/api/projects/${f.projectId}/download`, owner: 200 },
  // Version 1 is the edit saved by PUT /file above (the owner's requests run in this order).
  'GET /api/projects/{id}/versions': { method: 'GET', path: (f) => `/api/projects/${f.projectId}/versions`, owner: 200 },
  'GET /api/projects/{id}/versions/{seq}': { method: 'GET', path: (f) => `/api/projects/${f.projectId}/versions/1`, owner: 200 },
  'GET /api/projects/{id}/versions/{seq}/file': {
    method: 'GET',
    path: (f) => `/api/projects/${f.projectId}/versions/1/file?path=notes%2Freadme.md`,
    owner: 200,
  },
  'GET /api/projects/{id}/versions/{seq}/download': {
    method: 'GET',
    path: (f) => `/api/projects/${f.projectId}/versions/1/download`,
    owner: 200,
  },
  'POST /api/projects/{id}/versions/{seq}/restore': {
    method: 'POST',
    path: (f) => `/api/projects/${f.projectId}/versions/1/restore`,
    owner: 200,
  },
  // File operations, before a round makes the project busy.
  'POST /api/projects/{id}/files': {
    method: 'POST',
    path: (f) => `/api/projects/${f.projectId}/files`,
    body: { path: 'notes/todo.md', kind: 'file', content: '- [ ] ship\n' },
    owner: 201,
  },
  'POST /api/projects/{id}/files/upload': {
    method: 'POST',
    path: (f) => `/api/projects/${f.projectId}/files/upload`,
    body: { path: 'public/pixel.bin', content: Buffer.from([0, 1, 2, 255]).toString('base64') },
    owner: 200,
  },
  'POST /api/projects/{id}/files/move': {
    method: 'POST',
    path: (f) => `/api/projects/${f.projectId}/files/move`,
    body: { from: 'notes/todo.md', to: 'notes/done.md' },
    owner: 200,
  },
  'DELETE /api/projects/{id}/files': {
    method: 'DELETE',
    path: (f) => `/api/projects/${f.projectId}/files?path=notes%2Fdone.md`,
    owner: 200,
  },
  'GET /api/projects/{id}/messages': { method: 'GET', path: (f) => `/api/projects/${f.projectId}/messages`, owner: 200 },
  'GET /api/projects/{id}/state': { method: 'GET', path: (f) => `/api/projects/${f.projectId}/state`, owner: 200 },
  'GET /api/projects/{id}/usage': { method: 'GET', path: (f) => `/api/projects/${f.projectId}/usage`, owner: 200 },
  'GET /api/projects/{id}/events': { method: 'GET', path: (f) => `/api/projects/${f.projectId}/events?after=0`, owner: 200 },
  'GET /api/projects/{id}/ws-token': { method: 'GET', path: (f) => `/api/projects/${f.projectId}/ws-token`, owner: 200 },
  'GET /api/projects/{id}/ws': { method: 'GET', path: (f) => `/api/projects/${f.projectId}/ws`, owner: 426 },
  'GET /api/projects/{id}/terminal': { method: 'GET', path: (f) => `/api/projects/${f.projectId}/terminal`, owner: 426 },
  'POST /api/projects/{id}/generate': {
    method: 'POST',
    path: (f) => `/api/projects/${f.projectId}/generate`,
    body: { description: 'A counter app' },
    owner: 202,
  },
  'POST /api/projects/{id}/cancel': { method: 'POST', path: (f) => `/api/projects/${f.projectId}/cancel`, owner: 202 },
  'POST /api/projects/{id}/messages': {
    method: 'POST',
    path: (f) => `/api/projects/${f.projectId}/messages`,
    body: { text: 'Make the button blue' },
    owner: 202,
  },
  'DELETE /api/projects/{id}': { method: 'DELETE', path: (f) => `/api/projects/${f.doomedId}`, owner: 204 },
  'GET /api/keys': { method: 'GET', path: () => '/api/keys', owner: 200, own: { status: 200, leak: (body, f) => body.includes(f.keyId) } },
  'POST /api/keys': {
    method: 'POST',
    path: () => '/api/keys',
    body: { provider: 'openai', key: 'sk-test-0123456789abcdef' },
    owner: 201,
    own: { status: 201, leak: (body, f) => body.includes(f.keyId) },
  },
  'DELETE /api/keys/{keyId}': { method: 'DELETE', path: (f) => `/api/keys/${f.keyId}`, owner: 204 },
  'GET /api/git/credentials': {
    method: 'GET',
    path: () => '/api/git/credentials',
    owner: 200,
    own: { status: 200, leak: (body, f) => body.includes(f.sshPublicKey) },
  },
  'PUT /api/git/credentials/https': {
    method: 'PUT',
    path: () => '/api/git/credentials/https',
    body: { token: 'ghp_test0123456789' },
    owner: 200,
    own: { status: 200, leak: (body, f) => body.includes(f.sshPublicKey) },
  },
  'DELETE /api/git/credentials/https': {
    method: 'DELETE',
    path: () => '/api/git/credentials/https',
    owner: 204,
    // Another user deletes only their own token (the one they stored just before).
    own: { status: 204, leak: () => false },
  },
  'POST /api/git/credentials/ssh': {
    method: 'POST',
    path: () => '/api/git/credentials/ssh',
    owner: 201,
    own: { status: 201, leak: (body, f) => body.includes(f.sshPublicKey) },
  },
  'DELETE /api/git/credentials/ssh': {
    method: 'DELETE',
    path: () => '/api/git/credentials/ssh',
    owner: 204,
    own: { status: 204, leak: () => false },
  },
  'GET /api/projects/{id}/git': { method: 'GET', path: (f) => `/api/projects/${f.projectId}/git`, owner: 200 },
  'PUT /api/projects/{id}/git/remote': {
    method: 'PUT',
    path: (f) => `/api/projects/${f.projectId}/git/remote`,
    body: { url: 'git@git.example.test:owner/app.git' },
    owner: 200,
  },
  'DELETE /api/projects/{id}/git/remote': { method: 'DELETE', path: (f) => `/api/projects/${f.projectId}/git/remote`, owner: 204 },
  // After the remote is gone, the owner's push is refused for that reason, past authorization.
  'POST /api/projects/{id}/git/push': { method: 'POST', path: (f) => `/api/projects/${f.projectId}/git/push`, body: {}, owner: 422 },
  'GET /api/admin/users': { method: 'GET', path: () => '/api/admin/users', admin: true, owner: 200 },
  'PATCH /api/admin/users/{userId}': {
    method: 'PATCH',
    path: (f) => `/api/admin/users/${f.otherUserId}`,
    body: { status: 'active' },
    admin: true,
    owner: 200,
  },
};

describe('authorization: every route × {anonymous, another user, owner (the first account: the admin)}', () => {
  let api: ApiProcess;
  let owner: TestUser;
  let other: TestUser;
  let fixture: Fixture;
  let specRoutes: string[];

  const call = async (who: Who, c: Case): Promise<Response> => {
    const headers: Record<string, string> = {};
    if (who === 'owner') headers.cookie = owner.cookie;
    if (who === 'other') headers.cookie = other.cookie;
    if (c.body !== undefined) headers['content-type'] = 'application/json';
    return fetch(`${api.url}${c.path(fixture)}`, {
      method: c.method,
      headers,
      body: c.body === undefined ? undefined : JSON.stringify(c.body),
    });
  };

  const json = async (path: string, init: RequestInit & { cookie: string }): Promise<{ id: string }> => {
    const res = await fetch(`${api.url}${path}`, {
      ...init,
      headers: { cookie: init.cookie, 'content-type': 'application/json' },
    });
    expect(res.ok, `${path}: ${res.status}`).toBe(true);
    return (await res.json()) as { id: string };
  };

  beforeAll(async () => {
    api = await ApiProcess.start({ LATHE_MAX_ACTIVE_GENERATIONS: '5' });
    owner = await signUp(api, 'owner');
    other = await signUp(api, 'other');
    const create = (cookie: string) =>
      json('/api/projects', { method: 'POST', cookie, body: JSON.stringify({ prompt: 'A todo app', start: false }) });
    fixture = {
      projectId: (await create(owner.cookie)).id,
      doomedId: (await create(owner.cookie)).id,
      otherProjectId: (await create(other.cookie)).id,
      otherUserId: other.id,
      sshPublicKey: '',
      keyId: (
        await json('/api/keys', {
          method: 'POST',
          cookie: owner.cookie,
          body: JSON.stringify({ provider: 'openrouter', key: 'sk-or-v1-secretsecret' }),
        })
      ).id,
    };
    await json('/api/models', { method: 'PUT', cookie: owner.cookie, body: JSON.stringify({ fixer: OWNER_MODEL }) });
    fixture.sshPublicKey = (
      (await json('/api/git/credentials/ssh', { method: 'POST', cookie: owner.cookie })) as unknown as { publicKey: string }
    ).publicKey;
    const doc = (await (await fetch(`${api.url}/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    specRoutes = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
  });

  afterAll(async () => {
    await api?.dispose();
  });

  it('has a case for every route in /openapi.json, and no case for a route that is gone', () => {
    expect(specRoutes.length).toBeGreaterThan(15);
    expect([...specRoutes].sort()).toEqual(Object.keys(CASES).sort());
  });

  it('anonymous callers get 401 on every non-public route', async () => {
    for (const [name, c] of Object.entries(CASES)) {
      const res = await call('anonymous', c);
      if (c.public) {
        expect(res.status, name).toBe(200);
        continue;
      }
      expect(res.status, name).toBe(401);
      expect(await res.json(), name).toEqual({ error: { code: 'unauthorized', message: expect.any(String) } });
    }
  });

  it("another user gets the same 404 as for a project that does not exist, and never sees the owner's data", async () => {
    const missing = await fetch(`${api.url}/api/projects/${randomUUID()}`, { headers: { cookie: other.cookie } });
    const missingBody = await missing.json();
    for (const [name, c] of Object.entries(CASES)) {
      if (c.public) continue;
      const res = await call('other', c);
      const text = await res.text();
      if (c.admin) {
        expect(res.status, name).toBe(403);
        expect(JSON.parse(text), name).toEqual({ error: { code: 'forbidden', message: 'only an administrator may do this' } });
        continue;
      }
      if (c.own) {
        expect(res.status, name).toBe(c.own.status);
        expect(c.own.leak(text, fixture), `${name} leaks the owner's data`).toBe(false);
        continue;
      }
      expect(res.status, name).toBe(404);
      expect(JSON.parse(text), name).toEqual(
        name.includes('/api/keys') ? { error: { code: 'not_found', message: 'key not found' } } : missingBody,
      );
    }
    // Nothing the other user did changed the owner's project.
    const mine = await fetch(`${api.url}/api/projects/${fixture.projectId}`, { headers: { cookie: owner.cookie } });
    expect(((await mine.json()) as { name: string }).name).not.toBe('Renamed');
  });

  it('the owner succeeds on every route', async () => {
    for (const [name, c] of Object.entries(CASES)) {
      const res = await call('owner', c);
      expect(res.status, `${name}: ${res.status === 200 ? '' : await res.clone().text()}`).toBe(c.owner);
      if (name === 'POST /api/projects/{id}/messages') {
        expect((await call('owner', CASES['POST /api/projects/{id}/cancel'] as Case)).status).toBe(202);
      }
    }
  });

  it('the project WebSocket: anonymous 401, another user 404 (even with a token for their own project), owner gets the snapshot', async () => {
    await expect(new FrameSocket(socketUrl(api, fixture.projectId)).opened).rejects.toThrow('status 401');
    await expect(new FrameSocket(socketUrl(api, fixture.projectId), { cookie: other.cookie }).opened).rejects.toThrow('status 404');
    const otherToken = (await (
      await fetch(`${api.url}/api/projects/${fixture.otherProjectId}/ws-token`, { headers: { cookie: other.cookie } })
    ).json()) as { token: string };
    await expect(
      new FrameSocket(socketUrl(api, fixture.projectId, `?token=${encodeURIComponent(otherToken.token)}`)).opened,
    ).rejects.toThrow('status 401');
    await expect(new FrameSocket(socketUrl(api, fixture.projectId, '?token=forged.token')).opened).rejects.toThrow('status 401');
    // The terminal socket is guarded the same way.
    const terminalUrl = `ws://127.0.0.1:${api.port}/api/projects/${fixture.projectId}/terminal`;
    await expect(new FrameSocket(terminalUrl).opened).rejects.toThrow('status 401');
    await expect(new FrameSocket(terminalUrl, { cookie: other.cookie }).opened).rejects.toThrow('status 404');

    // A page of another origin (a preview app, say) cannot use the owner's cookie.
    const previewOrigin = `http://${'a'.repeat(26)}.preview.localhost:${api.port}`;
    await expect(
      new FrameSocket(socketUrl(api, fixture.projectId), { cookie: owner.cookie, origin: previewOrigin }).opened,
    ).rejects.toThrow('status 403');
    const csrf = await fetch(`${api.url}/api/projects/${fixture.projectId}/cancel`, {
      method: 'POST',
      headers: { cookie: owner.cookie, origin: previewOrigin },
    });
    expect(csrf.status).toBe(403);

    const ownerToken = (await (
      await fetch(`${api.url}/api/projects/${fixture.projectId}/ws-token`, { headers: { cookie: owner.cookie } })
    ).json()) as { token: string };
    for (const socket of [
      new FrameSocket(socketUrl(api, fixture.projectId), { cookie: owner.cookie, origin: api.origin }),
      // A token is a bearer credential, valid from any origin (for clients that cannot send cookies).
      new FrameSocket(socketUrl(api, fixture.projectId, `?token=${encodeURIComponent(ownerToken.token)}`), { origin: previewOrigin }),
    ]) {
      await socket.opened;
      const first = await socket.next(() => true);
      expect(first.frame).toBe('snapshot');
      socket.close();
    }
  });

  it('the preview: an unknown or rotated token is a 404 for everyone; the current token is not', async () => {
    const preview = (token: string, cookie?: string) =>
      requestWithHost(api, `${token}.preview.localhost:${api.port}`, '/', cookie ? { cookie } : {});
    const project = (await (await fetch(`${api.url}/api/projects/${fixture.projectId}`, { headers: { cookie: owner.cookie } })).json()) as {
      previewUrl: string;
    };
    const token = new URL(project.previewUrl).hostname.split('.')[0] ?? '';
    expect(token).toMatch(/^[a-z0-9]{26}$/);
    expect((await preview('a'.repeat(26))).status).toBe(404);
    expect((await preview('a'.repeat(26), owner.cookie)).status).toBe(404);
    const page = await requestWithHost(api, `${'a'.repeat(26)}.preview.localhost:${api.port}`, '/', { accept: 'text/html' });
    expect(page.status).toBe(404);
    expect(page.headers['content-type']).toContain('text/html');
    const ownerPreview = await previewLogin(api, owner.cookie, fixture.projectId);

    const rotated = (await (
      await fetch(`${api.url}/api/projects/${fixture.projectId}/preview-token`, { method: 'POST', headers: { cookie: owner.cookie } })
    ).json()) as { previewUrl: string };
    const fresh = new URL(rotated.previewUrl).hostname.split('.')[0] ?? '';
    expect(fresh).not.toBe(token);
    expect((await preview(token)).status).toBe(404);
    expect((await preview(token, ownerPreview.cookie)).status).toBe(404);
    // The cookie of the old token does not open the new one; a fresh sign-in does.
    expect((await preview(fresh, ownerPreview.cookie)).status).toBe(401);
    const current = await preview(fresh, (await previewLogin(api, owner.cookie, fixture.projectId)).cookie);
    expect([200, 503]).toContain(current.status);
    expect(current.headers['set-cookie']).toBeUndefined();
  });

  it('the preview is private: anonymous 401, another user 401/404, the owner only after the ticket sign-in', async () => {
    const ticketOf = async (cookie: string, projectId: string) => {
      const res = await fetch(`${api.url}/api/projects/${projectId}/preview-ticket`, { method: 'POST', headers: { cookie } });
      expect(res.status).toBe(200);
      return new URL(((await res.json()) as { url: string }).url);
    };
    const ticket = await ticketOf(owner.cookie, fixture.projectId);
    const host = ticket.host;
    expect(ticket.hostname).toMatch(/^[a-z0-9]{26}\.preview\.localhost$/);
    const get = (path: string, headers: Record<string, string> = {}) => requestWithHost(api, host, path, headers);

    // Anonymous, or with an IDE session cookie (the owner's or another user's): 401, HTTP and WebSocket.
    for (const headers of [{}, { cookie: owner.cookie }, { cookie: other.cookie }] as Record<string, string>[]) {
      const res = await get('/', headers);
      expect(res.status).toBe(401);
      expect(JSON.parse(res.body)).toEqual({ error: { code: 'preview_unauthorized', message: expect.any(String) } });
    }
    const html = await get('/', { accept: 'text/html' });
    expect(html.status).toBe(401);
    expect(html.body).toContain('private');
    await expect(
      new Promise((resolve, reject) => {
        const ws = new WebSocket(`ws://127.0.0.1:${api.port}/`, 'vite-hmr', { headers: { host } });
        ws.once('open', () => resolve('open'));
        ws.once('unexpected-response', (_req, res) => reject(new Error(`status ${res.statusCode}`)));
        ws.once('error', reject);
      }),
    ).rejects.toThrow('status 401');

    // Another user's ticket, for their own project, opens nothing here; a forged ticket neither.
    const otherTicket = await ticketOf(other.cookie, fixture.otherProjectId);
    expect((await get(`${otherTicket.pathname}${otherTicket.search}`)).status).toBe(401);
    expect((await get('/__lathe/auth?ticket=forged.ticket')).status).toBe(401);
    expect((await get('/', { cookie: 'lathe_preview=forged.cookie' })).status).toBe(401);

    // The owner's ticket: a 302 that sets an HttpOnly cookie for this host only, once.
    const redeemed = await get(`${ticket.pathname}${ticket.search}`);
    expect(redeemed.status).toBe(302);
    expect(redeemed.headers.location).toBe('/');
    const setCookie = redeemed.headers['set-cookie']?.[0] ?? '';
    expect(setCookie).toMatch(/^lathe_preview=[^;]+; Path=\/; Max-Age=\d+; HttpOnly; Secure; SameSite=None; Partitioned$/);
    expect(setCookie).not.toMatch(/domain=/i);
    expect((await get(`${ticket.pathname}${ticket.search}`)).status).toBe(401);
    const previewCookie = setCookie.split(';')[0] ?? '';
    const allowed = await get('/', { cookie: previewCookie });
    expect([200, 503]).toContain(allowed.status);
    // It is a cookie for this preview only, not a key to the API.
    expect((await fetch(`${api.url}/api/projects`, { headers: { cookie: previewCookie } })).status).toBe(401);

    // Signing out of the IDE ends the preview's access too (within the few seconds it is cached).
    const session2 = await signIn(api, owner.email);
    const second = await previewLogin(api, session2, fixture.projectId);
    expect([200, 503]).toContain((await get('/', { cookie: second.cookie })).status);
    const out = await fetch(`${api.url}/api/auth/sign-out`, { method: 'POST', headers: { cookie: session2, origin: api.origin } });
    expect(out.status).toBe(200);
    const deadline = Date.now() + 30_000;
    let status = 0;
    while (Date.now() < deadline) {
      status = (await get('/', { cookie: second.cookie })).status;
      if (status === 401) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(status).toBe(401);
    // The first sign-in is untouched.
    expect([200, 503]).toContain((await get('/', { cookie: previewCookie })).status);
  });
});
