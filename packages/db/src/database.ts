import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
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
 * one line naming the problem: `db_bad_url`, `db_unreachable` or `db_migration_failed`.
 */
export async function createDatabase(opts: DatabaseOptions): Promise<Database> {
  const url = opts.url?.trim();
  return url ? openPostgres(url) : openPglite(join(opts.dataDir, 'pglite'));
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

async function openPglite(dir: string): Promise<Database> {
  let client: PGlite;
  try {
    await mkdir(dir, { recursive: true });
    client = await PGlite.create(dir);
  } catch (e) {
    throw new LatheError('db_unreachable', `cannot open the embedded database at ${dir}: ${describeDriverError(e)}`, { cause: e });
  }
  const orm = drizzlePglite(client, { schema });
  try {
    await migratePglite(orm, { migrationsFolder: MIGRATIONS_DIR });
  } catch (e) {
    await client.close().catch(() => {});
    throw new LatheError('db_migration_failed', `migrating the embedded database at ${dir} failed: ${describeDriverError(e)}`, {
      cause: e,
    });
  }
  return {
    kind: 'pglite',
    orm,
    ping: () => ping(orm),
    close: async () => {
      if (!client.closed) await client.close();
    },
  };
}

async function ping(orm: Orm): Promise<boolean> {
  try {
    await orm.execute(sql`select 1`);
    return true;
  } catch {
    return false;
  }
}
