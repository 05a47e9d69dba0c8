import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, generateThroughProduct, processesMentioning, startGroup, waitExit, waitFor } from './support';

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

      const { user, project, events, invalidFrames, done, preview } = await generateThroughProduct(
        base,
        `start-${Date.now()}@example.com`,
        'a counter app',
      );
      expect(invalidFrames).toEqual([]);
      expect(done.payload.files).toBeGreaterThan(0);
      const seqs = events.map((e) => e.seq);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      expect(events.some((e) => e.type === 'error')).toBe(false);
      const files = await user.json<{ path: string }[]>(`/api/projects/${project.id}/files`);
      expect(files.map((f) => f.path)).toContain('src/App.tsx');
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
