import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readlinkSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { type AgentEvent, type Project, parseServerFrame, type ServerFrame } from '@lathe/protocol';
import WebSocket from 'ws';
import { freePort } from '../../testing/net';

export { freePort };

/** Starts a command in its own process group, collecting its output. */
export function startGroup(cmd: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv }) {
  const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  return { child, output: () => output };
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (e) {
      lastError = e;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
}

export function waitExit(child: ChildProcess, timeoutMs: number): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('process did not exit in time')), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(t);
      resolve(code);
    });
  });
}

/** GET with an explicit Host header (fetch may not set it): how previews are reached from tests. */
export function getWithHost(
  base: string,
  host: string,
  path = '/',
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string; headers: Record<string, string | string[] | undefined> }> {
  const url = new URL(path, base);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { hostname: url.hostname, port: url.port, path: url.pathname + url.search, headers: { ...headers, host } },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          body += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error('preview request timed out')));
    req.on('error', reject);
    req.end();
  });
}

/**
 * Signs the user in to a project's private preview as the IDE does (a one-time ticket redeemed on
 * the preview host) and returns the preview host's cookie.
 */
export async function previewCookie(user: Session, projectId: string): Promise<string> {
  const { url } = await user.json<{ url: string }>(`/api/projects/${projectId}/preview-ticket`, { method: 'POST' });
  const ticket = new URL(url);
  const res = await getWithHost(user.base, ticket.host, `${ticket.pathname}${ticket.search}`);
  const cookie = res.headers['set-cookie']?.[0]?.split(';')[0];
  if (res.status !== 302 || !cookie) throw new Error(`preview ticket: ${res.status} ${res.body}`);
  return cookie;
}

/** Pids of live processes whose working directory is under (or mentions) `needle`. */
export function processesMentioning(needle: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cwd = readlinkSync(`/proc/${entry}/cwd`);
      if (cwd.includes(needle)) {
        found.push(Number(entry));
      }
    } catch {
      // process gone or not ours to read
    }
  }
  return found;
}

/** A tiny cookie-keeping HTTP client for one signed-in user. */
export class Session {
  cookie = '';
  constructor(readonly base: string) {}

  async request(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookie) headers.set('cookie', this.cookie);
    if (init.body && !headers.has('content-type')) headers.set('content-type', 'application/json');
    headers.set('origin', this.base);
    const res = await fetch(`${this.base}${path}`, { ...init, headers, redirect: 'manual' });
    const set = res.headers.getSetCookie();
    if (set.length > 0) {
      const jar = new Map(
        this.cookie
          .split('; ')
          .filter(Boolean)
          .map((c) => c.split('=') as [string, string]),
      );
      for (const c of set) {
        const [pair] = c.split(';');
        const i = pair?.indexOf('=') ?? -1;
        if (pair && i > 0) jar.set(pair.slice(0, i), pair.slice(i + 1));
      }
      this.cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    }
    return res;
  }

  async json<T>(path: string, init: RequestInit = {}): Promise<T> {
    const res = await this.request(path, init);
    const text = await res.text();
    if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${path} → ${res.status}: ${text}`);
    return JSON.parse(text) as T;
  }

  async register(email: string, password = 'correct horse battery staple'): Promise<void> {
    await this.json('/api/auth/sign-up/email', { method: 'POST', body: JSON.stringify({ email, password, name: email.split('@')[0] }) });
  }

  /** Opens the project socket; resolves once open. Frames are collected and validated. */
  async socket(projectId: string, afterSeq = 0) {
    const url = `${this.base.replace(/^http/, 'ws')}/api/projects/${projectId}/ws?after=${afterSeq}`;
    const ws = new WebSocket(url, { headers: { cookie: this.cookie, origin: this.base } });
    const frames: ServerFrame[] = [];
    const invalid: string[] = [];
    ws.on('message', (data) => {
      const parsed = parseServerFrame(data.toString());
      if (parsed.ok) frames.push(parsed.value);
      else invalid.push(parsed.error);
    });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return { ws, frames, invalid };
  }
}

type Completion = Extract<AgentEvent, { type: 'generation_complete' }>;

/**
 * Signs up a fresh user, creates a project and generates it over the project WebSocket, waiting
 * for generation_complete; then waits for the preview (reached by its Host header) to serve HTML.
 */
export async function generateThroughProduct(base: string, email: string, prompt: string) {
  const user = new Session(base);
  await user.register(email);
  const project = await user.json<Project>('/api/projects', { method: 'POST', body: JSON.stringify({ prompt, start: false }) });
  const { ws, frames, invalid } = await user.socket(project.id);
  ws.send(JSON.stringify({ type: 'generate', description: prompt }));
  const events = () => frames.flatMap((f) => (f.frame === 'event' ? [f.event] : []));
  const done = await waitFor('generation_complete', () => events().find((e): e is Completion => e.type === 'generation_complete'), 300_000);
  ws.close();
  const previewHost = new URL(project.previewUrl).host;
  const anonymous = await getWithHost(base, previewHost);
  if (anonymous.status !== 401) throw new Error(`the preview answered ${anonymous.status} without its sign-in (expected 401)`);
  const cookie = await previewCookie(user, project.id);
  const preview = await waitFor(
    'the preview',
    async () => {
      const res = await getWithHost(base, previewHost, '/', { cookie });
      return res.status === 200 ? res.body : undefined;
    },
    120_000,
  );
  return { user, project, events: events(), invalidFrames: invalid, done, preview };
}
