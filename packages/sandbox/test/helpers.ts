import { readdirSync, readlinkSync } from 'node:fs';
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

/** A Vite HMR client: connects like the browser's /@vite/client does and records every message. */
export async function connectHmr(url: string): Promise<{ messages: { type: string; updates?: { path: string }[] }[]; close(): void }> {
  const client = await (await fetch(`${url}/@vite/client`)).text();
  const token = /const wsToken = "([^"]*)"/.exec(client)?.[1];
  if (token === undefined) throw new Error('no HMR token in /@vite/client');
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/?token=${token}`, 'vite-hmr');
  const messages: { type: string; updates?: { path: string }[] }[] = [];
  ws.on('message', (data) => messages.push(JSON.parse(String(data))));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  await waitFor('HMR connected', () => (messages.some((m) => m.type === 'connected') ? true : undefined), 30_000);
  return { messages, close: () => ws.close() };
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
