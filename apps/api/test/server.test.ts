import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authCookieName } from '../src/auth';
import { ApiProcess, client, freePort, ROOT, requestWithHost, signUp, type TestUser } from './helpers';

const BUN = join(ROOT, 'node_modules/.bin/bun');
const MAIN = join(ROOT, 'apps/api/src/main.ts');

/** Runs main.ts expecting it to fail at startup; returns its exit code and output. */
async function failingStart(env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'lathe-api-fail-'));
  try {
    const proc = spawn(BUN, [MAIN], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', LATHE_DATA_DIR: dataDir, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    proc.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    proc.stderr.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const code = await new Promise<number | null>((resolve) => proc.once('exit', resolve));
    return { code, out: out.trim() };
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

describe('server process: limits, secrets, errors, web app, shutdown', () => {
  let api: ApiProcess;
  let user: TestUser;
  let webDist: string;

  beforeAll(async () => {
    webDist = await mkdtemp(join(tmpdir(), 'lathe-web-dist-'));
    await mkdir(join(webDist, 'server'), { recursive: true });
    await mkdir(join(webDist, 'client/assets'), { recursive: true });
    await writeFile(
      join(webDist, 'server/server.js'),
      'export default { fetch(request) { return new Response("ssr " + new URL(request.url).pathname, { headers: { "content-type": "text/html" } }); } };\n',
    );
    await writeFile(join(webDist, 'client/assets/app.js'), 'console.log("hi");\n');
    await writeFile(join(webDist, 'secret.txt'), 'outside the client dir\n');
    api = await ApiProcess.start({ LATHE_GENERATIONS_PER_HOUR: '1', LATHE_WEB_DIST: webDist });
    user = await signUp(api, 'limits');
  });

  afterAll(async () => {
    await api?.dispose();
    await rm(webDist, { recursive: true, force: true });
  });

  it("the IDE's session cookie is __Host- prefixed (Secure, host-only, path /) so no preview host can set or overwrite it", async () => {
    const res = await fetch(`${api.url}/api/auth/sign-in/email`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: api.origin },
      body: JSON.stringify({ email: user.email, password: 'correct horse battery' }),
    });
    expect(res.status).toBe(200);
    const session = res.headers.getSetCookie().find((c) => c.startsWith('__Host-lathe.session_token='));
    expect(session).toBeDefined();
    expect(session).toMatch(/; Secure/i);
    expect(session).toMatch(/; Path=\/(;|$)/i);
    expect(session).toMatch(/; HttpOnly/i);
    expect(session).not.toMatch(/domain=/i);
    const doc = (await (await fetch(`${api.url}/openapi.json`)).json()) as {
      components: { securitySchemes: { session: { name: string } } };
    };
    expect(doc.components.securitySchemes.session.name).toBe('__Host-lathe.session_token');
    expect(authCookieName('https://lathe.example.com')).toBe('__Host-lathe.session_token');
    expect(authCookieName('http://127.0.0.1:3000')).toBe('__Host-lathe.session_token');
    // Browsers refuse Secure cookies from plain http elsewhere: there the name has no prefix.
    expect(authCookieName('http://lathe.lan:3000')).toBe('lathe.session_token');
  });

  it('one error shape: unknown /api routes, bad JSON, validation, too-large bodies and files', async () => {
    const headers = { cookie: user.cookie, 'content-type': 'application/json' };
    const unknown = await fetch(`${api.url}/api/nope`, { headers });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ error: { code: 'not_found', message: 'no such route' } });

    const badJson = await fetch(`${api.url}/api/projects`, { method: 'POST', headers, body: '{"prompt":' });
    expect(badJson.status).toBe(400);
    expect(((await badJson.json()) as { error: { code: string } }).error.code).toBe('invalid_json');

    const longPrompt = await fetch(`${api.url}/api/projects`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ prompt: 'x'.repeat(20_001) }),
    });
    expect(longPrompt.status).toBe(422);
    expect(await longPrompt.json()).toEqual({ error: { code: 'validation_failed', message: expect.stringContaining('/prompt') } });

    const huge = await fetch(`${api.url}/api/projects`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ prompt: 'x'.repeat(5 * 1024 * 1024) }),
    });
    expect(huge.status).toBe(413);
    expect(((await huge.json()) as { error: { code: string } }).error.code).toBe('payload_too_large');

    const project = (await client(api, user.cookie).POST('/api/projects', { body: { prompt: 'A page', start: false } })).data;
    const bigFile = await fetch(`${api.url}/api/projects/${project?.id}/file`, {
      method: 'PUT',
      headers,
      body: JSON.stringify({ path: 'src/big.ts', content: 'x'.repeat(1024 * 1024 + 1) }),
    });
    expect(bigFile.status).toBe(413);
    expect(((await bigFile.json()) as { error: { code: string } }).error.code).toBe('file_too_large');

    for (const path of ['../escape.ts', '/etc/passwd', 'a/../../b', 'src/\u0000.ts']) {
      const res = await fetch(`${api.url}/api/projects/${project?.id}/file`, {
        method: 'PUT',
        headers,
        body: JSON.stringify({ path, content: 'x' }),
      });
      expect(res.status, path).toBe(422);
      expect(((await res.json()) as { error: { code: string } }).error.code, path).toBe('invalid_path');
    }
  });

  it('counts the body as it streams: a 10 MiB chunked body (no Content-Length) is refused with 413, and the server stays healthy', async () => {
    const chunked = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port: api.port,
          path: '/api/projects',
          method: 'POST',
          headers: { cookie: user.cookie, 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
        },
        (res) => {
          let body = '';
          res.on('data', (d: Buffer) => {
            body += d.toString();
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      // Valid JSON throughout, so without the streaming count it would be parsed (and answered 422).
      req.write('{"prompt":"');
      const chunk = 'x'.repeat(1024 * 1024);
      for (let i = 0; i < 10; i++) req.write(chunk);
      req.end('","start":false}');
    });
    expect(chunked.status).toBe(413);
    expect(JSON.parse(chunked.body)).toEqual({ error: { code: 'payload_too_large', message: expect.any(String) } });
    expect((await fetch(`${api.url}/health`)).status).toBe(200);
    // A normal chunked body still works.
    const small = await fetch(`${api.url}/api/projects`, {
      method: 'POST',
      headers: { cookie: user.cookie, 'content-type': 'application/json' },
      body: new Blob([JSON.stringify({ prompt: 'A small page', start: false })]).stream(),
      duplex: 'half',
    } as RequestInit);
    expect(small.status).toBe(201);
  });

  it('per-user generation budget: 429 with Retry-After', async () => {
    const http = client(api, user.cookie);
    const first = await http.POST('/api/projects', { body: { prompt: 'A first app' } });
    expect(first.response.status).toBe(201);
    await http.POST('/api/projects/{id}/cancel', { params: { path: { id: first.data?.id ?? '' } } });
    const second = await http.POST('/api/projects', { body: { prompt: 'A second app' } });
    expect(second.response.status).toBe(429);
    expect(Number(second.response.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(second.error).toEqual({ error: { code: 'rate_limited', message: expect.stringContaining('per hour') } });
    // Another user has their own budget.
    const other = await signUp(api, 'budget');
    const theirs = await client(api, other.cookie).POST('/api/projects', { body: { prompt: 'Their app', start: false } });
    expect(theirs.response.status).toBe(201);
  });

  it('stores API keys encrypted and never returns them; secrets.json is 0600', async () => {
    const secretKey = 'sk-or-v1-THIS-IS-A-SECRET-KEY-1234';
    const http = client(api, user.cookie);
    const added = await http.POST('/api/keys', { body: { provider: 'openrouter', key: secretKey } });
    expect(added.response.status).toBe(201);
    expect(added.data?.masked).toBe('sk-or-…1234');
    const listed = await fetch(`${api.url}/api/keys`, { headers: { cookie: user.cookie } });
    expect(await listed.text()).not.toContain('SECRET');
    const sql = postgres(api.env.DATABASE_URL ?? '', { max: 1, onnotice: () => {} });
    try {
      const rows = await sql<{ ciphertext: string; iv: string; tag: string }[]>`select ciphertext, iv, tag from user_api_keys`;
      expect(rows.length).toBeGreaterThanOrEqual(1);
      expect(JSON.stringify(rows)).not.toContain('SECRET');
      expect(Buffer.from(rows[0]?.ciphertext ?? '', 'base64').toString('utf8')).not.toContain('SECRET');
    } finally {
      await sql.end({ timeout: 5 });
    }
    // The user's own key replaces the offline model for their generations.
    const models = await http.GET('/api/models');
    expect(models.data?.offline).toBe(false);
    expect(models.data?.providers.find((p) => p.id === 'openrouter')?.configured).toBe(true);
    expect(models.data?.roles.implementer).not.toBe('lathe-offline');
    const strangers = await client(api, (await signUp(api, 'stranger')).cookie).GET('/api/models');
    expect(strangers.data?.offline).toBe(true);
    await http.DELETE('/api/keys/{keyId}', { params: { path: { keyId: added.data?.id ?? '' } } });
    expect((await http.GET('/api/models')).data?.offline).toBe(true);

    const unknownProvider = await http.POST('/api/keys', { body: { provider: 'acme', key: 'abcdefgh1234' } });
    expect(unknownProvider.response.status).toBe(422);

    const secrets = await stat(join(api.dataDir, 'secrets.json'));
    expect(secrets.mode & 0o777).toBe(0o600);
    const text = await readFile(join(api.dataDir, 'secrets.json'), 'utf8');
    const parsed = JSON.parse(text) as Record<string, string>;
    for (const value of Object.values(parsed)) expect(api.output).not.toContain(value);
  });

  it("stores each user's model choice per role; null goes back to the default; bad names are 422", async () => {
    const http = client(api, (await signUp(api, 'chooser')).cookie);
    const before = await http.GET('/api/models');
    expect(before.data?.roles).toEqual(before.data?.defaults);
    const put = await http.PUT('/api/models', { body: { designer: 'openai/gpt-4.1', implementer: null } });
    expect(put.response.status).toBe(200);
    const expected = { ...before.data?.defaults, designer: 'openai/gpt-4.1' };
    expect(put.data?.roles).toEqual(expected);
    // The offline model still answers; the choice waits for a key.
    expect(put.data?.offline).toBe(true);
    expect((await http.GET('/api/models')).data?.roles).toEqual(expected);

    const stranger = await client(api, (await signUp(api, 'unchosen')).cookie).GET('/api/models');
    expect(stranger.data?.roles).toEqual(before.data?.defaults);

    for (const bad of ['m'.repeat(201), 'line\nbreak', 'bell\u0007', '']) {
      const res = await http.PUT('/api/models', { body: { fixer: bad } });
      expect(res.response.status, JSON.stringify(bad)).toBe(422);
    }
    expect((await http.GET('/api/models')).data?.roles).toEqual(expected);

    const cleared = await http.PUT('/api/models', { body: { designer: null } });
    expect(cleared.data?.roles).toEqual(before.data?.defaults);
  });

  it('serves the web app build: static files first (path-checked), then its fetch handler', async () => {
    const asset = await fetch(`${api.url}/assets/app.js`);
    expect(asset.status).toBe(200);
    expect(await asset.text()).toContain('console.log');
    expect(asset.headers.get('cache-control')).toContain('immutable');
    const page = await fetch(`${api.url}/projects/123`);
    expect(await page.text()).toBe('ssr /projects/123');
    for (const path of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/%2e%2e/%2e%2e/secret.txt']) {
      const res = await requestWithHost(api, `127.0.0.1:${api.port}`, path);
      expect(res.body, path).not.toContain('outside the client dir');
    }
  });

  it('startup errors are one clear line and exit 1', async () => {
    const badUrl = await failingStart({ DATABASE_URL: 'mysql://nope', PORT: String(await freePort()) });
    expect(badUrl.code).toBe(1);
    expect(badUrl.out.split('\n')).toHaveLength(1);
    expect(badUrl.out).toMatch(/^lathe: cannot start: DATABASE_URL/);

    const unreachable = await failingStart({ DATABASE_URL: 'postgres://u:p@127.0.0.1:1/db', PORT: String(await freePort()) });
    expect(unreachable.code).toBe(1);
    expect(unreachable.out.split('\n')).toHaveLength(1);
    expect(unreachable.out).toContain('cannot connect to PostgreSQL at 127.0.0.1:1');

    const busyPort = await failingStart({ DATABASE_URL: api.env.DATABASE_URL ?? '', PORT: String(api.port) });
    expect(busyPort.code).toBe(1);
    expect(busyPort.out.split('\n')).toHaveLength(1);
    expect(busyPort.out).toContain(`port ${api.port}`);

    const badConfig = await failingStart({ PORT: 'eighty' });
    expect(badConfig.code).toBe(1);
    expect(badConfig.out).toBe('lathe: cannot start: PORT must be an integer between 0 and 65535 (got "eighty")');

    const badBudget = await failingStart({ LATHE_MONTHLY_TOKEN_BUDGET: '0' });
    expect(badBudget.code).toBe(1);
    expect(badBudget.out).toMatch(/^lathe: cannot start: LATHE_MONTHLY_TOKEN_BUDGET must be an integer between 1 and/);

    const badSignup = await failingStart({ LATHE_SIGNUP: 'invite-only' });
    expect(badSignup.code).toBe(1);
    expect(badSignup.out).toBe('lathe: cannot start: LATHE_SIGNUP must be "open", "approval" or "closed" (got "invite-only")');

    const badQuota = await failingStart({ LATHE_QUOTA_SANDBOXES: 'few' });
    expect(badQuota.code).toBe(1);
    expect(badQuota.out).toMatch(/^lathe: cannot start: LATHE_QUOTA_SANDBOXES must be an integer between 0 and/);

    // Prices are read before anything is opened.
    const badPrices = await failingStart({ LATHE_PRICES: '{"m": {"input": 1}}' });
    expect(badPrices.code).toBe(1);
    expect(badPrices.out.split('\n')).toHaveLength(1);
    expect(badPrices.out).toMatch(/^lathe: cannot start: LATHE_PRICES must map model names/);

    const missingPrices = await failingStart({ LATHE_PRICES: 'no/such/prices.json' });
    expect(missingPrices.code).toBe(1);
    expect(missingPrices.out).toMatch(/^lathe: cannot start: LATHE_PRICES names a file that cannot be read/);

    const badProxy = await failingStart({ LATHE_TRUSTED_PROXY: '10.0.0.2, proxy.internal' });
    expect(badProxy.code).toBe(1);
    expect(badProxy.out).toBe('lathe: cannot start: LATHE_TRUSTED_PROXY must list IP addresses separated by commas (got "proxy.internal")');

    // A PATH without bwrap: the local sandbox cannot be confined, so it is not opened to the network.
    const noBwrap = await mkdtemp(join(tmpdir(), 'lathe-no-bwrap-'));
    try {
      const exposed = await failingStart({ HOST: '0.0.0.0', PORT: String(await freePort()), PATH: noBwrap });
      expect(exposed.code).toBe(1);
      expect(exposed.out).toBe(
        "lathe: cannot start: HOST=0.0.0.0 opens the server to other machines, but local sandboxes cannot be confined here (bubblewrap (bwrap) is not installed), so generated code could read the server's secrets and every project: install bubblewrap, use LATHE_SANDBOX=docker, or set LATHE_UNSAFE_LOCAL_SANDBOX=1 to accept the risk",
      );
      // Accepted risk: start-up goes past that check (and here stops later, with no Node on PATH).
      const accepted = await failingStart({
        HOST: '0.0.0.0',
        PORT: String(await freePort()),
        PATH: noBwrap,
        LATHE_UNSAFE_LOCAL_SANDBOX: '1',
      });
      expect(accepted.code).toBe(1);
      expect(accepted.out).toMatch(/^lathe: local sandboxes are not confined \(bubblewrap \(bwrap\) is not installed\)/);
      expect(accepted.out).toMatch(/\nlathe: cannot start: the local sandbox needs Node\.js \(>= 22\) on PATH$/);
    } finally {
      await rm(noBwrap, { recursive: true, force: true });
    }
    const badUnsafe = await failingStart({ LATHE_UNSAFE_LOCAL_SANDBOX: 'yes' });
    expect(badUnsafe.out).toBe('lathe: cannot start: LATHE_UNSAFE_LOCAL_SANDBOX must be 0 or 1 (got "yes")');
  });

  it('SIGTERM: exits 0 and leaves no process behind', async () => {
    const pid = api.proc?.pid ?? 0;
    api.proc?.kill('SIGTERM');
    expect(await api.exit).toBe(0);
    expect(api.output).toContain('shutting down');
    // Nothing of its process group (dev servers, installs) survives.
    let alive = true;
    try {
      process.kill(-pid, 0);
    } catch {
      alive = false;
    }
    expect(alive).toBe(false);
  });
});

describe('LATHE_WEB_URL: IDE pages from a separate web server', () => {
  it('forwards page requests (path, query, cookies, bodies) and keeps /api and /health local', async () => {
    const { createServer } = await import('node:http');
    const upstream = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => {
        body += d.toString();
      });
      req.on('end', () => {
        res.setHeader('content-type', 'text/html');
        res.end(`upstream ${req.method} ${req.url} cookie=${req.headers.cookie ?? ''} body=${body}`);
      });
    });
    const webPort = await freePort();
    await new Promise<void>((r) => upstream.listen(webPort, '127.0.0.1', r));
    const api = await ApiProcess.start({ LATHE_WEB_URL: `http://127.0.0.1:${webPort}` });
    try {
      const page = await fetch(`${api.url}/project/abc?tab=files`, { headers: { cookie: 'a=1' } });
      expect(await page.text()).toBe('upstream GET /project/abc?tab=files cookie=a=1 body=');
      const post = await fetch(`${api.url}/_serverFn/x`, { method: 'POST', body: 'hello', headers: { origin: api.url } });
      expect(await post.text()).toBe('upstream POST /_serverFn/x cookie= body=hello');
      const health = await fetch(`${api.url}/health`);
      expect(((await health.json()) as { status: string }).status).toBe('ok');
    } finally {
      await api.dispose();
      upstream.close();
    }
    const down = await ApiProcess.start({ LATHE_WEB_URL: `http://127.0.0.1:${webPort}` });
    try {
      const res = await fetch(`${down.url}/login`);
      expect(res.status).toBe(502);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('web_unavailable');
    } finally {
      await down.dispose();
    }
  });
});

describe('a plain-http PUBLIC_URL that is not loopback', () => {
  it('uses a session cookie without Secure (browsers would drop it), and sessions still work', async () => {
    const api = await ApiProcess.start({ PUBLIC_URL: 'http://lathe.lan:8080' });
    try {
      const res = await fetch(`${api.url}/api/auth/sign-up/email`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: api.origin },
        body: JSON.stringify({ email: `lan-${Date.now()}@example.test`, password: 'correct horse battery', name: 'lan' }),
      });
      expect(res.status).toBe(200);
      const session = res.headers.getSetCookie().find((c) => c.startsWith('lathe.session_token='));
      expect(session).toBeDefined();
      expect(session).not.toMatch(/; Secure/i);
      const cookie = (session ?? '').split(';')[0] ?? '';
      expect((await fetch(`${api.url}/api/projects`, { headers: { cookie } })).status).toBe(200);
    } finally {
      await api.dispose();
    }
  });
});
