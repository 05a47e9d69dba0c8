import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AgentEvent, ServerFrame } from '@lathe/protocol';
import { parseServerFrame } from '@lathe/protocol';
import { createSandboxProvider } from '@lathe/sandbox';
import createClient from 'openapi-fetch';
import postgres from 'postgres';
import WebSocket from 'ws';
import { apiServerEnv } from '../../../testing/api-env';
import { type SpawnedApi, spawnApiServer, waitHealthy } from '../../../testing/api-server';
import { createTestPostgresUrl, type TestPostgres } from '../../../testing/db';
import { freePort } from '../../../testing/net';
import type { paths } from './generated/schema';

export { freePort };

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const SANDBOX_DIR = join(tmpdir(), 'lathe-api-test-sandboxes');

/** One spawned API process (`bun apps/api/src/main.ts`) with its own database and data dir. */
export class ApiProcess {
  proc: ChildProcess | null = null;
  exit: Promise<number | null> = Promise.resolve(null);
  /** Output of earlier launches (before a kill and restart). */
  private earlierOutput = '';
  private spawned: SpawnedApi | null = null;

  private constructor(
    readonly port: number,
    readonly env: Record<string, string>,
    readonly dataDir: string,
    private readonly pg: TestPostgres,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get origin(): string {
    return `http://localhost:${this.port}`;
  }

  /** `sharedDatabase`: run against another process's database (it stays that process's to drop). */
  static async start(extraEnv: Record<string, string> = {}, sharedDatabase?: ApiProcess): Promise<ApiProcess> {
    const pg: TestPostgres = sharedDatabase
      ? { url: sharedDatabase.env.DATABASE_URL ?? '', drop: async () => {} }
      : await createTestPostgresUrl();
    const dataDir = await mkdtemp(join(tmpdir(), 'lathe-api-test-'));
    const port = await freePort();
    const env = apiServerEnv(
      { port, databaseUrl: pg.url, dataDir },
      {
        // Shared by every test server, so the template's dependencies are installed once.
        LATHE_SANDBOX_DIR: SANDBOX_DIR,
        LATHE_OFFLINE_TOKENS_PER_SECOND: '0',
        LATHE_WEB_DIST: join(dataDir, 'no-web-build'),
        ...extraEnv,
      },
    );
    const api = new ApiProcess(port, env, dataDir, pg);
    await api.launch();
    return api;
  }

  /** Everything the server printed, over all its launches. */
  get output(): string {
    return this.earlierOutput + (this.spawned?.output() ?? '');
  }

  /** Starts the process (again, after a kill) and waits for /health. */
  async launch(): Promise<void> {
    this.earlierOutput = this.output;
    const spawned = spawnApiServer(this.env);
    this.spawned = spawned;
    this.proc = spawned.proc;
    this.exit = spawned.exited;
    await waitHealthy(spawned, this.port);
  }

  /** Sends a signal to the whole process group (the server and everything it started). */
  signal(signal: NodeJS.Signals): void {
    if (this.proc?.pid) {
      try {
        process.kill(-this.proc.pid, signal);
      } catch {
        // already gone
      }
    }
  }

  async stop(): Promise<void> {
    if (this.proc && this.proc.exitCode === null && this.proc.signalCode === null) {
      this.proc.kill('SIGTERM');
      const timer = setTimeout(() => this.signal('SIGKILL'), 20_000);
      await this.exit;
      clearTimeout(timer);
    }
    // Anything left in the group (dev servers) goes too.
    this.signal('SIGKILL');
  }

  async dispose(): Promise<void> {
    await this.stop();
    await this.destroySandboxes();
    await this.pg.drop().catch(() => {});
    await rm(this.dataDir, { recursive: true, force: true });
  }

  /** The shared sandbox dir outlives this server: remove the sandboxes of its projects. */
  private async destroySandboxes(): Promise<void> {
    const sql = postgres(this.pg.url, { max: 1, onnotice: () => {} });
    try {
      const rows = await sql<{ id: string }[]>`select id from projects`;
      const provider = createSandboxProvider({ kind: this.env.LATHE_SANDBOX === 'docker' ? 'docker' : 'local', dataDir: SANDBOX_DIR });
      for (const row of rows) await provider.destroy(row.id);
    } catch {
      // The database is gone already (a shared one dropped first): nothing to look up.
    } finally {
      await sql.end({ timeout: 5 });
    }
  }
}

export interface TestUser {
  email: string;
  cookie: string;
  id: string;
}

let userCounter = 0;

/** Signs up through better-auth and returns the session cookie. */
export async function signUp(api: ApiProcess, name = 'user'): Promise<TestUser> {
  const email = `${name}-${Date.now()}-${userCounter++}@example.test`;
  const res = await fetch(`${api.url}/api/auth/sign-up/email`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: api.origin },
    body: JSON.stringify({ email, password: 'correct horse battery', name }),
  });
  if (!res.ok) throw new Error(`sign-up failed: ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { user: { id: string } };
  return { email, id: body.user.id, cookie: cookieOf(res) };
}

export async function signIn(api: ApiProcess, email: string): Promise<string> {
  const res = await fetch(`${api.url}/api/auth/sign-in/email`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: api.origin },
    body: JSON.stringify({ email, password: 'correct horse battery' }),
  });
  if (!res.ok) throw new Error(`sign-in failed: ${res.status} ${await res.text()}`);
  return cookieOf(res);
}

function cookieOf(res: Response): string {
  return res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
}

export function client(api: ApiProcess, cookie?: string) {
  return createClient<paths>({ baseUrl: api.url, headers: cookie ? { cookie } : {} });
}

/** A project socket that collects frames; `next` waits for one matching a predicate. */
export class FrameSocket {
  readonly frames: ServerFrame[] = [];
  readonly ws: WebSocket;
  readonly opened: Promise<void>;
  readonly closed: Promise<{ code: number; reason: string }>;
  private waiters: { test: (f: ServerFrame) => boolean; resolve: (f: ServerFrame) => void }[] = [];

  constructor(url: string, headers: Record<string, string> = {}) {
    this.ws = new WebSocket(url, { headers });
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('unexpected-response', (_req, res) => reject(new Error(`status ${res.statusCode}`)));
      this.ws.once('error', reject);
    });
    this.closed = new Promise((resolve) => this.ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    this.ws.on('message', (data) => {
      const parsed = parseServerFrame(data.toString());
      if (!parsed.ok) throw new Error(`bad frame: ${parsed.error}`);
      this.frames.push(parsed.value);
      this.waiters = this.waiters.filter((w) => {
        if (!w.test(parsed.value)) return true;
        w.resolve(parsed.value);
        return false;
      });
    });
  }

  events(): AgentEvent[] {
    return this.frames.flatMap((f) => (f.frame === 'event' ? [f.event] : []));
  }

  next(test: (f: ServerFrame) => boolean, timeoutMs = 120_000): Promise<ServerFrame> {
    const found = this.frames.find(test);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no matching frame within ${timeoutMs} ms; got ${this.frames.length} frames`)),
        timeoutMs,
      );
      this.waiters.push({
        test,
        resolve: (f) => {
          clearTimeout(timer);
          resolve(f);
        },
      });
    });
  }

  send(message: unknown): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  close(): void {
    this.ws.close();
  }
}

export function socketUrl(api: ApiProcess, projectId: string, query = ''): string {
  return `ws://127.0.0.1:${api.port}/api/projects/${projectId}/ws${query}`;
}

export const isEvent =
  (type: AgentEvent['type']) =>
  (f: ServerFrame): boolean =>
    f.frame === 'event' && f.event.type === type;

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  bytes: Buffer;
}

/**
 * A request with a chosen Host header (fetch does not let one set it): how tests reach
 * `<token>.preview.localhost`, which the system resolver does not know.
 */
export function requestWithHost(api: ApiProcess, host: string, path: string, headers: Record<string, string> = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: api.port, path, method: 'GET', headers: { ...headers, host } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const bytes = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: bytes.toString('utf8'), bytes });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * Signs this client in to a project's preview the way the IDE does: a one-time ticket from the
 * API, redeemed on the preview host for its own cookie. Returns the preview host and that cookie.
 */
export async function previewLogin(api: ApiProcess, cookie: string, projectId: string): Promise<{ host: string; cookie: string }> {
  const res = await fetch(`${api.url}/api/projects/${projectId}/preview-ticket`, { method: 'POST', headers: { cookie } });
  if (res.status !== 200) throw new Error(`preview-ticket: ${res.status} ${await res.text()}`);
  const url = new URL(((await res.json()) as { url: string }).url);
  const redeemed = await requestWithHost(api, url.host, `${url.pathname}${url.search}`);
  const setCookie = redeemed.headers['set-cookie']?.[0];
  if (redeemed.status !== 302 || !setCookie) throw new Error(`preview ticket redemption: ${redeemed.status} ${redeemed.body}`);
  return { host: url.host, cookie: setCookie.split(';')[0] ?? '' };
}
