import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ApiProcess, client, FrameSocket, previewLogin, requestWithHost, signIn, signUp, socketUrl, type TestUser } from './helpers';

async function attempt(api: ApiProcess, email: string, password: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${api.url}/api/auth/sign-in/email`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: api.origin, ...headers },
    body: JSON.stringify({ email, password }),
  });
}

describe('sign-in rate limit (on in every mode, NODE_ENV unset)', () => {
  let api: ApiProcess;
  let victim: TestUser;
  let bystander: TestUser;

  beforeAll(async () => {
    api = await ApiProcess.start();
    victim = await signUp(api, 'victim');
    bystander = await signUp(api, 'bystander');
  });
  afterAll(async () => {
    await api?.dispose();
  });

  it('five failed guesses at one account lock it for that address, whatever X-Forwarded-For the client sends', async () => {
    for (let i = 0; i < 5; i++) {
      const res = await attempt(api, victim.email, `wrong password ${i}`, { 'x-forwarded-for': `203.0.113.${i}` });
      expect(res.status).toBe(401);
    }
    for (const xff of ['203.0.113.77', '198.51.100.1, 203.0.113.78', '']) {
      const res = await attempt(api, victim.email, 'correct horse battery', xff ? { 'x-forwarded-for': xff } : {});
      expect(res.status, xff).toBe(429);
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('rate_limited');
    }
    // Other users on the same address (a whole test suite from 127.0.0.1, an office) are not slowed.
    for (let i = 0; i < 10; i++) expect(await signIn(api, bystander.email)).toContain('session_token');
  });
});

describe('sign-in rate limit behind a trusted proxy (LATHE_TRUSTED_PROXY)', () => {
  let api: ApiProcess;
  let user: TestUser;

  beforeAll(async () => {
    api = await ApiProcess.start({ LATHE_TRUSTED_PROXY: '127.0.0.1', LATHE_SIGNIN_MAX_FAILURES: '2' });
    user = await signUp(api, 'proxied');
  });
  afterAll(async () => {
    await api?.dispose();
  });

  it("counts per forwarded client: the proxy's last hop is the client, entries the client wrote before it are ignored", async () => {
    for (let i = 0; i < 2; i++)
      expect((await attempt(api, user.email, 'nope nope', { 'x-forwarded-for': '203.0.113.5' })).status).toBe(401);
    expect((await attempt(api, user.email, 'nope nope', { 'x-forwarded-for': '203.0.113.5' })).status).toBe(429);
    // A client that prepends its own X-Forwarded-For is still the address the proxy appended.
    expect((await attempt(api, user.email, 'nope nope', { 'x-forwarded-for': '192.0.2.1, 203.0.113.5' })).status).toBe(429);
    // Another client behind the same proxy has its own budget.
    expect((await attempt(api, user.email, 'correct horse battery', { 'x-forwarded-for': '203.0.113.6' })).status).toBe(200);
  });
});

// A generated app whose dev server answers /danger with headers that reach past its own host.
const DANGEROUS_VITE_CONFIG = `import tailwindcss from '@tailwindcss/vite';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  plugins: [
    tailwindcss(),
    react(),
    {
      name: 'dangerous-headers',
      configureServer(server) {
        server.middlewares.use('/danger', (_req, res) => {
          res.setHeader('Set-Cookie', 'lathe.session_token=x; Domain=localhost; Path=/');
          res.setHeader('Clear-Site-Data', '"cookies", "storage"');
          res.setHeader('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
          res.setHeader('Alt-Svc', 'h2="evil.example:443"');
          res.setHeader('Access-Control-Allow-Origin', 'https://evil.example');
          res.setHeader('Access-Control-Allow-Credentials', 'true');
          res.setHeader('X-App-Header', 'kept');
          res.end('dangerous');
        });
      },
    },
  ],
  cacheDir: '.vite',
});
`;

describe('headers of the IDE and of previews; preview sockets are bounded and end with the session', () => {
  let api: ApiProcess;
  let user: TestUser;
  let projectId = '';

  beforeAll(async () => {
    api = await ApiProcess.start();
    user = await signUp(api, 'headers');
  });
  afterAll(async () => {
    await api?.dispose();
  });

  it("IDE responses (pages, API, errors) carry frame-ancestors 'self', nosniff and a referrer policy", async () => {
    for (const path of ['/health', '/api/projects', '/api/nope', '/', '/docs']) {
      const res = await fetch(`${api.url}${path}`, { headers: { cookie: user.cookie } });
      expect(res.headers.get('content-security-policy'), path).toContain("frame-ancestors 'self'");
      expect(res.headers.get('x-frame-options'), path).toBe('SAMEORIGIN');
      expect(res.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(res.headers.get('referrer-policy'), path).toBe('strict-origin-when-cross-origin');
    }
  });

  it('a preview response loses Set-Cookie, Clear-Site-Data, HSTS, Alt-Svc and credentialed CORS, keeps the rest, and is frameable', async () => {
    const http = client(api, user.cookie);
    const project = (await http.POST('/api/projects', { body: { prompt: 'Headers', start: false } })).data;
    if (!project) throw new Error('project not created');
    projectId = project.id;
    const saved = await http.PUT('/api/projects/{id}/file', {
      params: { path: { id: project.id } },
      body: { path: 'vite.config.ts', content: DANGEROUS_VITE_CONFIG },
    });
    expect(saved.response.status).toBe(200);
    const preview = await previewLogin(api, user.cookie, project.id);
    // The dev server starts on the first request (503 until it serves).
    const deadline = Date.now() + 240_000;
    let res = await requestWithHost(api, preview.host, '/danger', { cookie: preview.cookie });
    while (res.status === 503 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 1000));
      res = await requestWithHost(api, preview.host, '/danger', { cookie: preview.cookie });
    }
    expect(res.status, res.body).toBe(200);
    expect(res.body).toBe('dangerous');
    expect(res.headers['x-app-header']).toBe('kept');
    expect(res.headers['access-control-allow-origin']).toBe('https://evil.example');
    for (const name of ['set-cookie', 'clear-site-data', 'strict-transport-security', 'alt-svc', 'access-control-allow-credentials']) {
      expect(res.headers[name], name).toBeUndefined();
    }
    // The IDE frames previews: they must not carry the IDE's own frame-ancestors 'self'.
    expect(res.headers['content-security-policy']).toBeUndefined();
    expect(res.headers['x-frame-options']).toBeUndefined();
  }, 300_000);

  const previewSocket = (host: string, path: string, protocol: string, cookie: string, onMessage?: (data: string) => void) =>
    new Promise<WebSocket>((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${api.port}${path}`, protocol, { headers: { host, origin: `http://${host}`, cookie } });
      if (onMessage) ws.on('message', (d) => onMessage(String(d)));
      ws.once('open', () => resolve(ws));
      ws.once('unexpected-response', (_req, res) => reject(new Error(`status ${res.statusCode}`)));
      ws.once('error', reject);
    });
  const closeOf = (ws: WebSocket) =>
    new Promise<{ code: number; reason: string }>((resolve) =>
      ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );

  it('a browser may queue at most 1 MiB for a dev-server socket that has not opened (counted in bytes, not frames)', async () => {
    const preview = await previewLogin(api, user.cookie, projectId);
    // Vite ignores an upgrade for a protocol it does not speak, so the upstream socket never opens.
    const ws = await previewSocket(preview.host, '/not-hmr', 'lathe-test', preview.cookie);
    const closed = closeOf(ws);
    for (let i = 0; i < 3; i++) ws.send(Buffer.alloc(512 * 1024));
    expect(await closed).toEqual({ code: 1013, reason: 'preview server not ready' });
    // The server carries on.
    expect((await fetch(`${api.url}/health`)).status).toBe(200);
  });

  it("signing out closes that session's preview (HMR) sockets with 4001", async () => {
    const session = await signIn(api, user.email);
    const preview = await previewLogin(api, session, projectId);
    const viteClient = (await requestWithHost(api, preview.host, '/@vite/client', { cookie: preview.cookie })).body;
    const viteToken = /const wsToken = "([^"]*)"/.exec(viteClient)?.[1] ?? '';
    expect(viteToken).not.toBe('');
    // Vite's "connected" may come in the same read as the upgrade's answer, so the listener is
    // there before the socket opens.
    let onConnected = () => {};
    const connected = new Promise<void>((resolve, reject) => {
      onConnected = resolve;
      setTimeout(() => reject(new Error('Vite sent no "connected" through the preview socket in 60 s')), 60_000).unref();
    });
    const hmr = await previewSocket(preview.host, `/?token=${encodeURIComponent(viteToken)}`, 'vite-hmr', preview.cookie, (d) => {
      if (d.includes('"connected"')) onConnected();
    });
    await connected;
    const closed = closeOf(hmr);
    const out = await fetch(`${api.url}/api/auth/sign-out`, { method: 'POST', headers: { cookie: session, origin: api.origin } });
    expect(out.status).toBe(200);
    expect(await closed).toEqual({ code: 4001, reason: 'signed out: sign in again' });
  });
});

describe('project sockets end with their sign-in session; socket tokens work once', () => {
  let api: ApiProcess;
  let user: TestUser;
  let projectId: string;

  beforeAll(async () => {
    api = await ApiProcess.start();
    user = await signUp(api, 'sockets');
    const project = (await client(api, user.cookie).POST('/api/projects', { body: { prompt: 'Sockets', start: false } })).data;
    if (!project) throw new Error('project not created');
    projectId = project.id;
  });
  afterAll(async () => {
    await api?.dispose();
  });

  const wsToken = async (cookie: string): Promise<string> => {
    const res = await fetch(`${api.url}/api/projects/${projectId}/ws-token`, { headers: { cookie } });
    expect(res.status).toBe(200);
    return ((await res.json()) as { token: string }).token;
  };
  const withToken = (token: string) => new FrameSocket(socketUrl(api, projectId, `?token=${encodeURIComponent(token)}`));

  it('a ws-token opens one socket only', async () => {
    const token = await wsToken(user.cookie);
    const first = withToken(token);
    await first.opened;
    expect((await first.next(() => true)).frame).toBe('snapshot');
    await expect(withToken(token).opened).rejects.toThrow('status 401');
    first.close();
  });

  it("signing out closes that session's sockets (cookie and token) with 4001 within seconds; other sessions stay", async () => {
    const session = await signIn(api, user.email);
    const byCookie = new FrameSocket(socketUrl(api, projectId), { cookie: session, origin: api.origin });
    const byToken = withToken(await wsToken(session));
    const unusedToken = await wsToken(session);
    const otherSession = new FrameSocket(socketUrl(api, projectId), { cookie: user.cookie, origin: api.origin });
    for (const socket of [byCookie, byToken, otherSession]) {
      await socket.opened;
      await socket.next((f) => f.frame === 'snapshot');
    }
    const out = await fetch(`${api.url}/api/auth/sign-out`, { method: 'POST', headers: { cookie: session, origin: api.origin } });
    expect(out.status).toBe(200);
    for (const socket of [byCookie, byToken]) {
      expect(await socket.closed).toEqual({ code: 4001, reason: 'signed out: sign in again' });
    }
    // A token issued to the ended session opens nothing either.
    await expect(withToken(unusedToken).opened).rejects.toThrow('status 401');
    // The other session's socket is still served.
    otherSession.send({ type: 'get_state' });
    await otherSession.next((f) => f.frame === 'snapshot' && otherSession.frames.filter((g) => g.frame === 'snapshot').length === 2);
    otherSession.close();
  });
});

describe('ZIP downloads: streamed as the client reads, refused above LATHE_DOWNLOAD_MAX_BYTES', () => {
  let api: ApiProcess;
  let user: TestUser;

  beforeAll(async () => {
    api = await ApiProcess.start({ LATHE_DOWNLOAD_MAX_BYTES: String(4 * 1024 * 1024) });
    user = await signUp(api, 'zip');
  });
  afterAll(async () => {
    await api?.dispose();
  });

  it('a project under the cap downloads whole; one over it is a 413 that names the limit', async () => {
    const http = client(api, user.cookie);
    const project = (await http.POST('/api/projects', { body: { prompt: 'Zip', start: false } })).data;
    if (!project) throw new Error('project not created');
    const contents: Record<string, string> = {};
    const put = async (path: string, content: string) => {
      const res = await http.PUT('/api/projects/{id}/file', { params: { path: { id: project.id } }, body: { path, content } });
      expect(res.response.status).toBe(200);
      contents[path] = content;
    };
    // Small files and large ones: the archive is built over several reads from the database.
    for (let i = 0; i < 40; i++) await put(`src/part${i}.ts`, `export const part${i} = ${JSON.stringify(`${i}`.repeat(5000))};\n`);
    for (let i = 0; i < 3; i++) await put(`public/data${i}.txt`, `${i}`.repeat(900 * 1024));
    const ok = await fetch(`${api.url}/api/projects/${project.id}/download`, { headers: { cookie: user.cookie } });
    expect(ok.status).toBe(200);
    const entries = unzipSync(new Uint8Array(await ok.arrayBuffer()));
    const decoder = new TextDecoder();
    for (const [path, content] of Object.entries(contents)) expect(decoder.decode(entries[`zip/${path}`]), path).toBe(content);

    await put('public/data3.txt', 'x'.repeat(900 * 1024));
    await put('public/data4.txt', 'y'.repeat(900 * 1024));
    const tooLarge = await fetch(`${api.url}/api/projects/${project.id}/download`, { headers: { cookie: user.cookie } });
    expect(tooLarge.status).toBe(413);
    expect(await tooLarge.json()).toEqual({
      error: { code: 'project_too_large', message: expect.stringContaining('LATHE_DOWNLOAD_MAX_BYTES') },
    });
  });
});
