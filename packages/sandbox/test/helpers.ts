import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createServer, request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { isLatheError } from '@lathe/protocol';
import WebSocket from 'ws';

/** Resolves with the LatheError code a promise rejects with; fails the test if it resolves. */
export async function errorCode(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (isLatheError(e)) return e.code;
    throw e;
  }
  throw new Error('expected a rejection');
}

/** Polls until `check` returns a value (not undefined) or the deadline passes. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * One GET with an exact Host header (fetch drops a Host it is given), as a page that rebound its
 * own name to 127.0.0.1 would send it.
 */
export function getWithHost(url: string, path: string, host: string): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, path, method: 'GET', headers: { Host: host } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** The status line a WebSocket upgrade of `path` with this Host header gets (HMR protocol). */
export function upgradeWithHost(url: string, path: string, host: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => {
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: vite-hmr\r\n\r\n`,
      );
    });
    let text = '';
    socket.setEncoding('utf8');
    socket.setTimeout(10_000, () => socket.destroy(new Error('no answer to the upgrade')));
    socket.on('data', (chunk: string) => {
      text += chunk;
      if (text.includes('\r\n')) {
        resolve(text.slice(0, text.indexOf('\r\n')));
        socket.destroy();
      }
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(text.split('\r\n')[0] ?? ''));
  });
}

/** A Vite HMR client: connects like the browser's /@vite/client does and records every message. */
type HmrMessage = { type: string; updates?: { path: string }[] };

export async function connectHmr(
  url: string,
  host?: string,
): Promise<{
  messages: HmrMessage[];
  /** Resolves with the first message from now on that matches (event-driven, for timing). */
  next(match: (m: HmrMessage) => boolean, timeoutMs?: number): Promise<HmrMessage>;
  close(): void;
}> {
  const headers: Record<string, string> = host ? { Host: host } : {};
  const client = await (await fetch(`${url}/@vite/client`, { headers })).text();
  const token = /const wsToken = "([^"]*)"/.exec(client)?.[1];
  if (token === undefined) throw new Error('no HMR token in /@vite/client');
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/?token=${token}`, 'vite-hmr', { headers });
  const messages: HmrMessage[] = [];
  const waiters = new Set<(m: HmrMessage) => void>();
  ws.on('message', (data) => {
    const m = JSON.parse(String(data)) as HmrMessage;
    messages.push(m);
    for (const w of waiters) w(m);
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  await waitFor('HMR connected', () => (messages.some((m) => m.type === 'connected') ? true : undefined), 30_000);
  const next = (match: (m: HmrMessage) => boolean, timeoutMs = 30_000) =>
    new Promise<HmrMessage>((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters.delete(waiter);
        reject(new Error('no matching HMR message'));
      }, timeoutMs);
      const waiter = (m: HmrMessage) => {
        if (!match(m)) return;
        clearTimeout(timer);
        waiters.delete(waiter);
        resolve(m);
      };
      waiters.add(waiter);
    });
  return { messages, next, close: () => ws.close() };
}

/** Host processes whose working directory is inside `dir` (local provider leak check). */
export function processesIn(dir: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cwd = readlinkSync(`/proc/${name}/cwd`);
      if (cwd === dir || cwd.startsWith(`${dir}/`)) pids.push(Number(name));
    } catch {
      // Gone, or not ours to inspect.
    }
  }
  return pids;
}

/** Live (not zombie) processes on this host whose argv is `argv` (or, with `suffix`, ends with it). */
export function processesRunning(argv: string[], opts: { suffix?: boolean } = {}): number[] {
  const pids: number[] = [];
  const want = `${argv.join('\0')}\0`;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8');
      if (opts.suffix ? !cmdline.endsWith(`\0${want}`) && cmdline !== want : cmdline !== want) continue;
      if (readFileSync(`/proc/${name}/stat`, 'utf8').split(') ')[1]?.startsWith('Z')) continue;
      pids.push(Number(name));
    } catch {
      // Gone meanwhile.
    }
  }
  return pids;
}

/**
 * A minimal stand-in for the API's preview proxy: forwards HTTP and WebSocket upgrades to the
 * dev server with the dev server's own Host, as the API's proxy does (it connects by address).
 */
export async function startProxy(target: string): Promise<{ url: string; port: number; close(): Promise<void> }> {
  const { hostname, port } = new URL(target);
  const server = createServer((req, res) => {
    const headers = { ...req.headers, host: `${hostname}:${port}` };
    const upstream = request({ host: hostname, port, path: req.url, method: req.method, headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  const sockets = new Set<Socket>();
  server.on('upgrade', (req, socket, head) => {
    const upstream = connect(Number(port), hostname, () => {
      const lines = [`${req.method} ${req.url} HTTP/1.1`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) {
        const name = req.rawHeaders[i] ?? '';
        lines.push(`${name}: ${name.toLowerCase() === 'host' ? `${hostname}:${port}` : req.rawHeaders[i + 1]}`);
      }
      upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
      upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    sockets.add(upstream).add(socket as Socket);
    upstream.on('error', () => socket.destroy());
    socket.on('error', () => upstream.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  const proxyPort = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${proxyPort}`,
    port: proxyPort,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
