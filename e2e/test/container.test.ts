import { execFileSync } from 'node:child_process';
import type { Project } from '@lathe/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPostgresUrl } from '../../testing/db';
import { freePort, generateThroughProduct, Session, waitFor } from './support';

// The self-hosted deployment, smoke-tested: the API and web images (built by
// scripts/product-images.sh from the locally made base) run as containers against the CI's
// PostgreSQL, with the Docker sandbox provider driving sandbox containers through the socket.
const API_IMAGE = process.env.LATHE_API_IMAGE ?? 'lathe/api:local';
const WEB_IMAGE = process.env.LATHE_WEB_IMAGE ?? 'lathe/web:local';
const SANDBOX_IMAGE = process.env.LATHE_SANDBOX_IMAGE ?? 'lathe/sandbox:local';

function docker(...args: string[]): string {
  return execFileSync('docker', args, { encoding: 'utf8' }).trim();
}

describe('containers', () => {
  const suffix = `${process.pid}-${Date.now()}`;
  const apiName = `lathe-smoke-api-${suffix}`;
  const webName = `lathe-smoke-web-${suffix}`;
  const email = `smoke-${suffix}@example.com`;
  let dropDb: (() => Promise<void>) | undefined;
  let base = '';

  beforeAll(async () => {
    for (const image of [API_IMAGE, WEB_IMAGE, SANDBOX_IMAGE]) {
      expect(docker('image', 'inspect', '-f', '{{.Id}}', image), `${image} must be built first`).toMatch(/^sha256:/);
    }
    const db = await createTestPostgresUrl();
    dropDb = db.drop;
    const [port, webPort] = [await freePort(), await freePort()];
    base = `http://127.0.0.1:${port}`;
    docker('run', '-d', '--name', webName, '--network', 'host', '-e', `PORT=${webPort}`, WEB_IMAGE, ...webCommand(webPort));
    docker(
      'run',
      '-d',
      '--name',
      apiName,
      '--network',
      'host',
      '-v',
      '/var/run/docker.sock:/var/run/docker.sock',
      '-e',
      `PORT=${port}`,
      '-e',
      'HOST=127.0.0.1',
      '-e',
      `PUBLIC_URL=${base}`,
      '-e',
      `DATABASE_URL=${db.url}`,
      '-e',
      'LATHE_SANDBOX=docker',
      '-e',
      `LATHE_SANDBOX_IMAGE=${SANDBOX_IMAGE}`,
      '-e',
      `LATHE_WEB_URL=http://127.0.0.1:${webPort}`,
      '-e',
      'LATHE_OFFLINE_TOKENS_PER_SECOND=0',
      API_IMAGE,
    );
  });

  afterAll(async () => {
    // A failed run must not leave its sandbox containers behind: delete the smoke user's projects
    // through the API (which destroys their containers) before the API container goes.
    await deleteProjectsOf(base, email).catch((e: unknown) => console.log(`smoke clean-up: ${(e as Error).message}`));
    const logs = (() => {
      try {
        return execFileSync('docker', ['logs', '--tail', '40', apiName], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      } catch {
        return '';
      }
    })();
    for (const name of [apiName, webName]) {
      try {
        docker('rm', '-f', name);
      } catch {
        // never started
      }
    }
    await dropDb?.();
    if (logs) console.log(`api container log tail:\n${logs}`);
  });

  it('serves health, the web app and a full offline-model generation', async () => {
    const health = await waitFor(
      'api container health',
      async () => {
        const res = await fetch(`${base}/health`, { signal: AbortSignal.timeout(3000) });
        return res.ok ? ((await res.json()) as { database: { kind: string; ok: boolean }; sandbox: { provider: string } }) : undefined;
      },
      180_000,
    );
    expect(health.database).toEqual({ kind: 'postgres', ok: true });
    expect(health.sandbox.provider).toBe('docker');

    const login = await waitFor(
      'the web app through the api',
      async () => {
        const res = await fetch(`${base}/login`);
        return res.ok ? res.text() : undefined;
      },
      60_000,
    );
    expect(login).toContain('<html');

    const { user, project, invalidFrames, done, preview } = await generateThroughProduct(base, email, 'a counter app');
    expect(invalidFrames).toEqual([]);
    expect(done.payload.files).toBeGreaterThan(0);
    expect(preview).toContain('<div id="root"');

    // The project's sandbox is a container; deleting the project removes it.
    const labelled = () => docker('ps', '-aq', '--filter', `label=lathe.project=${project.id}`);
    expect(labelled()).not.toBe('');
    expect((await user.request(`/api/projects/${project.id}`, { method: 'DELETE' })).status).toBe(204);
    await waitFor('sandbox container removal', () => (labelled() === '' ? true : undefined), 60_000);
  });
});

/** Signs in as `email` (if it ever registered) and deletes its projects, waiting for their containers to go. */
async function deleteProjectsOf(base: string, email: string): Promise<void> {
  if (!base) return;
  const user = new Session(base);
  const signIn = await user.request('/api/auth/sign-in/email', {
    method: 'POST',
    body: JSON.stringify({ email, password: 'correct horse battery staple' }),
  });
  if (!signIn.ok) return;
  for (const project of await user.json<Project[]>('/api/projects')) {
    await user.request(`/api/projects/${project.id}`, { method: 'DELETE' });
    await waitFor(
      `sandbox container removal of ${project.id}`,
      () => (docker('ps', '-aq', '--filter', `label=lathe.project=${project.id}`) === '' ? true : undefined),
      60_000,
    );
  }
}

function webCommand(port: number): string[] {
  return [
    'node',
    '/app/node_modules/srvx/bin/srvx.mjs',
    'serve',
    '--prod',
    '--port',
    String(port),
    '--entry',
    'dist/server/server.js',
    '--static',
    '../client',
  ];
}
