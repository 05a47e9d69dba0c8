import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { LatheError } from '@lathe/protocol';
import { sql } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { describeDriverError } from './errors';
import * as schema from './schema';

export type DbKind = 'postgres' | 'pglite';
export type Schema = typeof schema;
/** The drizzle instance; the same query API on both drivers. */
export type Orm = PgDatabase<PgQueryResultHKT, Schema>;

export interface Database {
  kind: DbKind;
  orm: Orm;
  /** True when a trivial query succeeds (for /health). */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** A postgres:// URL; when absent an embedded PGlite database under `dataDir` is used. */
  url?: string | undefined;
  /** Lathe's data directory; PGlite lives in `<dataDir>/pglite`. */
  dataDir: string;
}

/** Resolved from this file so migrations are found from any cwd, on Node and on Bun. */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../drizzle', import.meta.url));

// Serialises migrations when several API processes start against one database at once.
const MIGRATION_LOCK_KEY = 7_316_204_551;

/**
 * Opens the database and applies pending migrations. Fails with a LatheError whose message is
 * one line naming the problem: `db_bad_url`, `db_unreachable`, `db_in_use` (PGlite directory
 * open elsewhere) or `db_migration_failed`.
 */
export async function createDatabase(opts: DatabaseOptions): Promise<Database> {
  const url = opts.url?.trim();
  return url ? openPostgres(url) : openPglite(resolve(opts.dataDir, 'pglite'));
}

function parsePostgresUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new LatheError('db_bad_url', 'DATABASE_URL is not a valid URL (expected postgres://user:password@host:5432/database)');
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new LatheError(
      'db_bad_url',
      `DATABASE_URL must start with postgres:// or postgresql:// (got ${parsed.protocol}//); expected postgres://user:password@host:5432/database`,
    );
  }
  if (!parsed.hostname)
    throw new LatheError('db_bad_url', 'DATABASE_URL has no host name (expected postgres://user:password@host:5432/database)');
  return parsed;
}

async function openPostgres(url: string): Promise<Database> {
  const parsed = parsePostgresUrl(url);
  const where = `${parsed.hostname}:${parsed.port || '5432'}${parsed.pathname}`;
  const client = postgres(url, { max: 10, connect_timeout: 10, onnotice: () => {} });
  const fail = async (error: LatheError): Promise<never> => {
    await client.end({ timeout: 1 }).catch(() => {});
    throw error;
  };

  try {
    await client`select 1`;
  } catch (e) {
    return fail(new LatheError('db_unreachable', `cannot connect to PostgreSQL at ${where}: ${describeDriverError(e)}`, { cause: e }));
  }

  const orm = drizzlePostgres(client, { schema });
  try {
    const conn = await client.reserve();
    try {
      await conn`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`;
      await migratePostgres(orm, { migrationsFolder: MIGRATIONS_DIR });
    } finally {
      await conn`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`.catch(() => {});
      conn.release();
    }
  } catch (e) {
    return fail(new LatheError('db_migration_failed', `migrating PostgreSQL at ${where} failed: ${describeDriverError(e)}`, { cause: e }));
  }

  return {
    kind: 'postgres',
    orm,
    ping: () => ping(orm),
    close: () => client.end({ timeout: 5 }),
  };
}

// Directories this process has open: a second PGlite on the same files would corrupt them.
const openPgliteDirs = new Set<string>();

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Claims `<dir>.lock` for this process; only one process may open a PGlite directory. */
async function lockPglite(dir: string): Promise<() => Promise<void>> {
  const inUse = (who: string) =>
    new LatheError(
      'db_in_use',
      `the embedded database at ${dir} is already open in ${who}; stop it, or set DATABASE_URL to share a PostgreSQL server`,
    );
  if (openPgliteDirs.has(dir)) throw inUse('this process');
  const lockFile = `${dir}.lock`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(lockFile, String(process.pid), { flag: 'wx' });
      openPgliteDirs.add(dir);
      return async () => {
        openPgliteDirs.delete(dir);
        await rm(lockFile, { force: true });
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const owner = Number.parseInt(await readFile(lockFile, 'utf8').catch(() => ''), 10);
    // A lock naming our own pid is left over from a previous run (containers reuse pid 1).
    if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isAlive(owner)) throw inUse(`another process (pid ${owner})`);
    await rm(lockFile, { force: true });
  }
  throw inUse('another process');
}

async function openPglite(dir: string): Promise<Database> {
  let client: PGlite;
  let unlock: () => Promise<void>;
  try {
    await mkdir(dir, { recursive: true });
    unlock = await lockPglite(dir);
  } catch (e) {
    if (e instanceof LatheError) throw e;
    throw new LatheError('db_unreachable', `cannot open the embedded database at ${dir}: ${describeDriverError(e)}`, { cause: e });
  }
  try {
    client = await PGlite.create(dir);
  } catch (e) {
    await unlock();
    throw new LatheError('db_unreachable', `cannot open the embedded database at ${dir}: ${describeDriverError(e)}`, { cause: e });
  }
  const orm = drizzlePglite(client, { schema });
  try {
    await migratePglite(orm, { migrationsFolder: MIGRATIONS_DIR });
  } catch (e) {
    await client.close().catch(() => {});
    await unlock();
    throw new LatheError('db_migration_failed', `migrating the embedded database at ${dir} failed: ${describeDriverError(e)}`, {
      cause: e,
    });
  }
  return {
    kind: 'pglite',
    orm,
    ping: () => ping(orm),
    close: async () => {
      if (client.closed) return;
      await client.close();
      await unlock();
    },
  };
}

// /health must answer even when the server hangs, so a ping that takes this long counts as down.
const PING_TIMEOUT_MS = 5_000;

async function ping(orm: Orm): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), PING_TIMEOUT_MS);
  });
  const query = orm.execute(sql`select 1`).then(
    () => true,
    () => false,
  );
  try {
    return await Promise.race([query, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
