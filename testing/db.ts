import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDatabase, createRepositories, type Database, type DbKind, type Repositories, schema } from '@lathe/db';
import postgres from 'postgres';
import { inject } from 'vitest';
import './provided';

export interface TestPostgres {
  /** URL of a fresh, empty database on the shared test server. */
  url: string;
  /** Drops the database, closing any connection still open to it. */
  drop(): Promise<void>;
}

export interface TestDatabase {
  db: Database;
  repos: Repositories;
  /** Closes the connection and deletes the database (or the PGlite directory). */
  close(): Promise<void>;
}

async function withAdmin<T>(run: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  const sql = postgres(inject('pgUrl'), { max: 1, onnotice: () => {} });
  try {
    return await run(sql);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** Creates an empty database with a random name on the shared test PostgreSQL (not migrated). */
export async function createTestPostgresUrl(): Promise<TestPostgres> {
  const name = `lathe_test_${randomBytes(8).toString('hex')}`;
  await withAdmin((sql) => sql`create database ${sql(name)}`);
  const url = new URL(inject('pgUrl'));
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => withAdmin((sql) => sql`drop database if exists ${sql(name)} with (force)`).then(() => undefined),
  };
}

/** A fresh, migrated, isolated database of the given kind with its repositories. */
export async function createTestDatabase(kind: DbKind): Promise<TestDatabase> {
  if (kind === 'postgres') {
    const pg = await createTestPostgresUrl();
    const dataDir = join(tmpdir(), 'lathe-unused');
    const db = await createDatabase({ url: pg.url, dataDir }).catch(async (e: unknown) => {
      await pg.drop();
      throw e;
    });
    return {
      db,
      repos: createRepositories(db),
      close: async () => {
        await db.close();
        await pg.drop();
      },
    };
  }
  const dataDir = await mkdtemp(join(tmpdir(), 'lathe-test-pglite-'));
  const db = await createDatabase({ dataDir }).catch(async (e: unknown) => {
    await rm(dataDir, { recursive: true, force: true });
    throw e;
  });
  return {
    db,
    repos: createRepositories(db),
    close: async () => {
      await db.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Inserts a user row directly (what better-auth's sign-up would create) and returns its id. */
export async function createTestUser(db: Database, name = 'Test User'): Promise<string> {
  const id = randomUUID();
  await db.orm.insert(schema.user).values({ id, name, email: `${id}@test.lathe`, emailVerified: true });
  return id;
}
