import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AgentEvent, Project } from '@lathe/protocol';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, getWithHost, processesMentioning, Session, startGroup, waitExit, waitFor } from './support';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

// Runs the product exactly as a new user does (`npm start` → scripts/start.mjs) with the embedded
// database, the local sandbox and the built-in offline model, then stops it like Ctrl+C does.
describe('npm start', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'lathe-start-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('serves the product, completes an offline generation, and stops cleanly on SIGINT', async () => {
    const port = await freePort();
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS,
      PORT: String(port),
      LATHE_DATA_DIR: dataDir,
      LATHE_OFFLINE_TOKENS_PER_SECOND: '0',
    };
    const app = startGroup(process.execPath, [join(root, 'scripts', 'start.mjs')], { cwd: root, env });
    const base = `http://127.0.0.1:${port}`;
    try {
      await waitFor('the start banner', () => (app.output().includes('Lathe is running at') ? true : undefined), 300_000);

      const health = await (await fetch(`${base}/health`)).json();
      expect(health).toMatchObject({ database: { kind: 'pglite', ok: true }, llm: { offline: true } });

      const home = await fetch(`${base}/login`);
      expect(home.status).toBe(200);
      expect(await home.text()).toContain('<html');

      const user = new Session(base);
      await user.register(`start-${Date.now()}@example.com`);
      const project = await user.json<Project>('/api/projects', {
        method: 'POST',
        body: JSON.stringify({ prompt: 'a counter app', start: false }),
      });
      const { ws, frames, invalid } = await user.socket(project.id);
      ws.send(JSON.stringify({ type: 'generate', description: 'a counter app' }));
      const events = () => frames.flatMap((f) => (f.frame === 'event' ? [f.event] : []));
      const done = await waitFor(
        'generation_complete',
        () => events().find((e): e is Extract<AgentEvent, { type: 'generation_complete' }> => e.type === 'generation_complete'),
        300_000,
      );
      ws.close();
      expect(invalid).toEqual([]);
      expect(done.payload.files).toBeGreaterThan(0);
      const seqs = events().map((e) => e.seq);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      expect(events().some((e) => e.type === 'error')).toBe(false);

      const files = await user.json<{ path: string }[]>(`/api/projects/${project.id}/files`);
      expect(files.map((f) => f.path)).toContain('src/App.tsx');

      const previewHost = new URL(project.previewUrl).host;
      const preview = await waitFor(
        'the preview',
        async () => {
          const res = await getWithHost(base, previewHost);
          return res.status === 200 ? res.body : undefined;
        },
        120_000,
      );
      expect(preview).toContain('<div id="root"');

      expect(processesMentioning(dataDir).length).toBeGreaterThan(0);
    } finally {
      process.kill(app.child.pid as number, 'SIGINT');
      const code = await waitExit(app.child, 60_000).catch(() => {
        process.kill(-(app.child.pid as number), 'SIGKILL');
        return -1;
      });
      expect(code, app.output().slice(-2000)).toBe(0);
    }

    // Nothing left behind: the port is free and no process still runs in the data directory.
    await expect(fetch(`${base}/health`, { signal: AbortSignal.timeout(2000) })).rejects.toThrow();
    expect(processesMentioning(dataDir)).toEqual([]);
  });
});
