import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { AgentEvent } from '@lathe/protocol';
import { unzipSync } from 'fflate';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ApiProcess, client, FrameSocket, isEvent, previewLogin, requestWithHost, SANDBOX_DIR, signIn, signUp, socketUrl } from './helpers';

/** Every directory or file under `dir` whose name contains `needle`. */
async function findNamed(dir: string, needle: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (d: string, depth: number) => {
    if (depth > 3) return;
    for (const entry of await readdir(d, { withFileTypes: true }).catch(() => [])) {
      if (entry.name === 'node_modules' || entry.name === 'pglite') continue;
      if (entry.name.includes(needle)) found.push(join(d, entry.name));
      if (entry.isDirectory()) await walk(join(d, entry.name), depth + 1);
    }
  };
  await walk(dir, 0);
  return found;
}

describe('full flow on the real server: register → generate → preview → edit → HMR → zip → delete', () => {
  let api: ApiProcess;

  beforeAll(async () => {
    api = await ApiProcess.start();
  });

  afterAll(async () => {
    await api?.dispose();
  });

  it('works end to end', async () => {
    const user = await signUp(api, 'flow');
    const cookie = await signIn(api, user.email);
    const http = client(api, cookie);

    const created = await http.POST('/api/projects', { body: { prompt: 'A todo list app', start: false } });
    expect(created.response.status).toBe(201);
    const project = created.data;
    if (!project) throw new Error('no project');
    expect(project.status).toBe('idle');
    const token = new URL(project.previewUrl).hostname.split('.')[0] ?? '';
    expect(project.previewUrl).toBe(`http://${token}.preview.localhost:${api.port}/`);

    // Generate over the WebSocket with the offline model.
    const socket = new FrameSocket(socketUrl(api, project.id), { cookie });
    await socket.opened;
    expect((await socket.next(() => true)).frame).toBe('snapshot');
    socket.send({ type: 'generate', description: 'A todo list app with add, toggle and delete' });
    const done = await socket.next((f) => isEvent('generation_complete')(f) || isEvent('error')(f) || f.frame === 'error', 170_000);
    expect(done, JSON.stringify(done)).toMatchObject({ frame: 'event', event: { type: 'generation_complete' } });

    const events = socket.events();
    const seqs = events.map((e) => e.seq);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
    expect(events.some((e) => e.type === 'file_chunk')).toBe(true);

    const logged: AgentEvent[] = [];
    for (let after = 0; ; ) {
      const page = await http.GET('/api/projects/{id}/events', { params: { path: { id: project.id }, query: { after, limit: 1000 } } });
      const items = (page.data ?? []) as AgentEvent[];
      logged.push(...items);
      if (items.length < 1000) break;
      after = items.at(-1)?.seq ?? after;
    }
    // The REST log holds the same events, except the file chunks the finished round's
    // compaction may already have removed (see event-hygiene.test.ts).
    const withoutChunks = (list: AgentEvent[]) => list.filter((e) => e.type !== 'file_chunk');
    const lastSeen = events.at(-1)?.seq ?? 0;
    expect(withoutChunks(logged.filter((e) => e.seq <= lastSeen))).toEqual(withoutChunks(events));

    // Every completed file is persisted with the hash its file_end announced.
    const files = (await http.GET('/api/projects/{id}/files', { params: { path: { id: project.id } } })).data ?? [];
    const ends = events.filter((e): e is Extract<AgentEvent, { type: 'file_end' }> => e.type === 'file_end');
    expect(ends.length).toBeGreaterThan(0);
    for (const end of ends) expect(files.find((f) => f.path === end.payload.path)?.hash).toBeDefined();
    const app = files.find((f) => f.path === 'src/App.tsx');
    expect(app).toBeDefined();

    const state = await http.GET('/api/projects/{id}/state', { params: { path: { id: project.id } } });
    expect(state.data?.state).toBe('COMPLETE');
    expect(state.data?.lastSeq).toBeGreaterThanOrEqual(seqs.at(-1) ?? 0);
    const messages = await http.GET('/api/projects/{id}/messages', { params: { path: { id: project.id } } });
    expect(messages.data?.[0]).toMatchObject({ role: 'user', content: 'A todo list app with add, toggle and delete' });

    // The preview is private: the owner signs this client in to it with a one-time ticket, then
    // the proxy serves the generated app. Neither cookie reaches the app.
    const host = `${token}.preview.localhost:${api.port}`;
    expect((await requestWithHost(api, host, '/', { cookie })).status).toBe(401);
    const previewCookie = (await previewLogin(api, cookie, project.id)).cookie;
    const get = (path: string) => requestWithHost(api, host, path, { cookie: previewCookie });
    const page = await requestWithHost(api, host, '/', { cookie: `${cookie}; ${previewCookie}` });
    expect(page.status).toBe(200);
    expect(page.headers['set-cookie']).toBeUndefined();
    const html = page.body;
    expect(html).toContain('<div id="root">');
    expect(html).toContain('/@vite/client');

    // The module graph knows App.tsx once it is requested, so an edit produces an HMR message.
    const appModule = await get('/src/App.tsx');
    expect(appModule.status).toBe(200);
    const viteClient = (await get('/@vite/client')).body;
    const wsToken = /const wsToken = "([^"]*)"/.exec(viteClient)?.[1];
    expect(wsToken).toBeDefined();
    const hmr = new WebSocket(`ws://127.0.0.1:${api.port}/?token=${encodeURIComponent(wsToken ?? '')}`, 'vite-hmr', {
      headers: { host, origin: `http://${host}`, cookie: previewCookie },
    });
    const hmrMessages: { type: string }[] = [];
    const hmrUpdate = new Promise<{ type: string }>((resolve) => {
      hmr.on('message', (data) => {
        const msg = JSON.parse(data.toString()) as { type: string };
        hmrMessages.push(msg);
        if (msg.type === 'update' || msg.type === 'full-reload') resolve(msg);
      });
    });
    await new Promise<void>((resolve, reject) => {
      hmr.once('open', () => resolve());
      hmr.once('error', reject);
    });
    const connected = await new Promise<boolean>((resolve) => {
      const check = () => (hmrMessages.some((m) => m.type === 'connected') ? resolve(true) : setTimeout(check, 50));
      check();
    });
    expect(connected).toBe(true);

    const original = (await http.GET('/api/projects/{id}/file', { params: { path: { id: project.id }, query: { path: 'src/App.tsx' } } }))
      .data;
    const edited = `${original?.content ?? ''}\n// edited by the user\n`;
    const put = await http.PUT('/api/projects/{id}/file', {
      params: { path: { id: project.id } },
      body: { path: 'src/App.tsx', content: edited },
    });
    expect(put.response.status).toBe(200);
    expect(put.data?.phase).toBeNull();
    expect(['update', 'full-reload']).toContain((await hmrUpdate).type);
    hmr.close();
    const reread = await http.GET('/api/projects/{id}/file', { params: { path: { id: project.id }, query: { path: 'src/App.tsx' } } });
    expect(reread.data?.content).toBe(edited);
    const served = (await get('/src/App.tsx')).body;
    expect(served).toContain('edited by the user');

    // The ZIP holds every file, with the edit, and no node_modules.
    const zipRes = await fetch(`${api.url}/api/projects/${project.id}/download`, { headers: { cookie } });
    expect(zipRes.status).toBe(200);
    expect(zipRes.headers.get('content-type')).toBe('application/zip');
    const entries = unzipSync(new Uint8Array(await zipRes.arrayBuffer()));
    const names = Object.keys(entries).map((n) => n.slice(n.indexOf('/') + 1));
    expect(names.sort()).toEqual(files.map((f) => f.path).sort());
    expect(names.some((n) => n.includes('node_modules'))).toBe(false);
    const zippedApp = Object.entries(entries).find(([n]) => n.endsWith('/src/App.tsx'))?.[1];
    expect(new TextDecoder().decode(zippedApp)).toBe(edited);

    // Deleting removes files, events, sandbox and preview.
    expect(await findNamed(SANDBOX_DIR, project.id)).not.toEqual([]);
    const del = await http.DELETE('/api/projects/{id}', { params: { path: { id: project.id } } });
    expect(del.response.status).toBe(204);
    expect((await socket.closed).code).toBe(4004);
    expect((await http.GET('/api/projects/{id}/files', { params: { path: { id: project.id } } })).response.status).toBe(404);
    expect((await requestWithHost(api, host, '/')).status).toBe(404);
    expect(await findNamed(SANDBOX_DIR, project.id)).toEqual([]);
    expect(await findNamed(api.dataDir, project.id)).toEqual([]);
    const sql = postgres(api.env.DATABASE_URL ?? '', { max: 1, onnotice: () => {} });
    try {
      for (const table of ['project_events', 'generated_files', 'conversation_messages', 'agent_states']) {
        const [row] = await sql<{ n: number }[]>`select count(*)::int as n from ${sql(table)} where project_id = ${project.id}`;
        expect(row?.n, table).toBe(0);
      }
    } finally {
      await sql.end({ timeout: 5 });
    }
  });
});
