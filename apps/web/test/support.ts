import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { apiServerEnv } from '../../../testing/api-env';
import { createTestPostgresUrl, type TestPostgres } from '../../../testing/db';
import { freePort } from '../../../testing/net';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const WEB = join(ROOT, 'apps/web');
export const DIST = join(WEB, 'dist');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

function run(cmd: string, args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')} exited with ${code}:\n${output}`))));
  });
}

/** The production build the API serves; built once when it is missing (e.g. in a clean clone). */
export async function ensureWebBuild(): Promise<void> {
  if (existsSync(join(DIST, 'server/server.js')) && existsSync(join(DIST, 'client'))) return;
  await run(process.execPath, [join(ROOT, 'node_modules/vite/bin/vite.js'), 'build'], WEB);
}

/** The real API (`bun apps/api/src/main.ts`) serving its own web build, database and data dir. */
export class ApiServer {
  private constructor(
    private readonly proc: ChildProcess,
    private readonly exited: Promise<void>,
    private readonly pg: TestPostgres,
    /** Directories this server owns, removed on dispose. */
    private readonly dirs: string[],
    readonly port: number,
    private readonly out: { text: string },
  ) {}

  /** Browsers use localhost so preview hosts (<token>.preview.localhost) share the port. */
  get origin(): string {
    return `http://localhost:${this.port}`;
  }

  get output(): string {
    return this.out.text;
  }

  static async start(extraEnv: Record<string, string>): Promise<ApiServer> {
    const pg = await createTestPostgresUrl();
    const dataDir = await mkdtemp(join(tmpdir(), 'lathe-web-e2e-'));
    // A private production build: a rebuild of apps/web/dist by a parallel test run must not swap
    // chunks under this server. It stays inside the repository so its bare imports resolve.
    await mkdir(join(ROOT, 'node_modules/.cache'), { recursive: true });
    const webDist = await mkdtemp(join(ROOT, 'node_modules/.cache/lathe-web-e2e-'));
    await run(process.execPath, [join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--outDir', webDist], WEB);
    const port = await freePort();
    const env = apiServerEnv({ port, databaseUrl: pg.url, dataDir }, { LATHE_WEB_DIST: webDist, ...extraEnv });
    const out = { text: '' };
    const proc = spawn(join(ROOT, 'node_modules/.bin/bun'), [join(ROOT, 'apps/api/src/main.ts')], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    proc.stdout?.on('data', (d: Buffer) => {
      out.text += d.toString();
    });
    proc.stderr?.on('data', (d: Buffer) => {
      out.text += d.toString();
    });
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    const server = new ApiServer(proc, exited, pg, [dataDir, webDist], port, out);
    for (;;) {
      if (proc.exitCode !== null) {
        await server.dispose();
        throw new Error(`the API exited with ${proc.exitCode}:\n${out.text}`);
      }
      const ok = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2000) })
        .then((r) => r.ok)
        .catch(() => false);
      if (ok) return server;
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** Stops the API and everything it started (sandbox dev servers share its process group). */
  async dispose(): Promise<void> {
    const pid = this.proc.pid;
    if (pid && this.proc.exitCode === null && this.proc.signalCode === null) {
      process.kill(-pid, 'SIGTERM');
      const kill = setTimeout(() => process.kill(-pid, 'SIGKILL'), 15_000);
      await this.exited;
      clearTimeout(kill);
    }
    if (pid) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // the group is already gone
      }
    }
    await this.pg.drop().catch(() => undefined);
    for (const dir of this.dirs) await rm(dir, { recursive: true, force: true });
  }
}
