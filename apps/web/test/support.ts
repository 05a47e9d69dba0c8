import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Frame, Page } from 'playwright-core';
import { apiServerEnv } from '../../../testing/api-env';
import { type SpawnedApi, spawnApiServer, waitHealthy } from '../../../testing/api-server';
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
    private readonly api: SpawnedApi,
    private readonly pg: TestPostgres,
    /** Directories this server owns, removed on dispose. */
    private readonly dirs: string[],
    readonly port: number,
  ) {}

  /** Browsers use localhost so preview hosts (<token>.preview.localhost) share the port. */
  get origin(): string {
    return `http://localhost:${this.port}`;
  }

  get output(): string {
    return this.api.output();
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
    const api = spawnApiServer(env);
    const server = new ApiServer(api, pg, [dataDir, webDist], port);
    // No deadline of its own: the caller's hook timeout bounds the start.
    await waitHealthy(api, port, Number.POSITIVE_INFINITY).catch(async (e: unknown) => {
      await server.dispose();
      throw e;
    });
    return server;
  }

  /** Stops the API and everything it started (sandbox dev servers share its process group). */
  async dispose(): Promise<void> {
    const { proc } = this.api;
    const pid = proc.pid;
    if (pid && proc.exitCode === null && proc.signalCode === null) {
      process.kill(-pid, 'SIGTERM');
      const kill = setTimeout(() => process.kill(-pid, 'SIGKILL'), 15_000);
      await this.api.exited;
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

/** The password every browser test signs up with. */
export const PASSWORD = 'correct horse battery';

/** Signs up a new account through the register page and waits for the project list; returns its email. */
export async function register(page: Page, origin: string, name: string): Promise<string> {
  const email = `${name}-${Date.now()}@example.test`;
  await page.goto(`${origin}/register`);
  await page.getByLabel('Name').fill(name);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  const landed = page.getByRole('heading', { name: 'What do you want to build?' });
  const failed = page.getByRole('alert');
  await landed.or(failed).first().waitFor();
  if (await failed.isVisible()) throw new Error(`sign-up failed: ${await failed.textContent()}`);
  return email;
}

/** Signs up and builds `prompt` from the start page, as a user would; the project's id once its first round is COMPLETE. */
export async function registerAndBuild(page: Page, origin: string, name: string, prompt: string): Promise<string> {
  await register(page, origin, name);
  await page.getByLabel('What do you want to build?').fill(prompt);
  await page.getByRole('button', { name: 'Build it' }).click();
  await page.waitForURL(/\/project\/[^/]+$/);
  await page.locator('[data-testid=agent-state][data-state=COMPLETE]').waitFor({ timeout: 240_000 });
  return page.url().split('/').pop() ?? '';
}

/** The IDE's preview iframe, as a frame to drive. */
export async function previewFrame(page: Page): Promise<Frame> {
  const handle = await page.locator('[data-testid=preview-frame]').elementHandle();
  const frame = await handle?.contentFrame();
  if (!frame) throw new Error('the preview iframe has no frame');
  return frame;
}

/**
 * Runs `check` in the preview frame; the IDE remounts the iframe when the app is served anew (a
 * round's end, a restore), so a frame that goes away meanwhile is looked up again.
 */
export async function inPreview(page: Page, check: (frame: Frame) => Promise<unknown>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await page.locator('[data-testid=preview-frame]').waitFor();
      await check(await previewFrame(page));
      return;
    } catch (e) {
      const gone = /detached|no frame|Target closed|navigat/i.test((e as Error).message);
      if (!gone || attempt >= 10) throw e;
    }
  }
}
