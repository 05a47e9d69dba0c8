import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { createDatabase, createRepositories, MIGRATIONS_DIR } from '@lathe/db';
import { isLatheError } from '@lathe/protocol';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestPostgresUrl, createTestUser } from '../../../testing/db';
import { freePort } from '../../../testing/net';

const BUN = fileURLToPath(new URL('../../../node_modules/.bin/bun', import.meta.url));
const DB_ENTRY = fileURLToPath(new URL('../src/index.ts', import.meta.url));

async function failure(url: string): Promise<{ code: string; message: string }> {
  try {
    const db = await createDatabase({ url, dataDir: '/nonexistent' });
    await db.close();
  } catch (e) {
    if (isLatheError(e)) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error(`createDatabase(${url}) succeeded`);
}

/** Everything a child prints on stdout once it exits with 0. */
function outputOf(child: ChildProcessByStdio<null | Writable, Readable, Readable>): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`bun exited ${code}: ${err}`))));
  });
}

function expectOneLine(message: string): void {
  expect(message).not.toMatch(/\n/);
  expect(message).not.toMatch(/\bat .*:\d+:\d+/);
  expect(message.length).toBeLessThan(300);
}

describe('createDatabase failures are one clear line', () => {
  it('rejects a URL that is not a PostgreSQL URL', async () => {
    for (const url of ['not a url', 'mysql://root@localhost/lathe', 'http://localhost:5432/x']) {
      const { code, message } = await failure(url);
      expect(code).toBe('db_bad_url');
      expect(message).toContain('DATABASE_URL');
      expectOneLine(message);
    }
  });

  it('names the address when nothing listens there', async () => {
    const port = await freePort();
    const { code, message } = await failure(`postgres://lathe:s3cret-pw@127.0.0.1:${port}/lathe`);
    expect(code).toBe('db_unreachable');
    expect(message).toContain(`127.0.0.1:${port}`);
    expect(message).toContain('connection refused');
    expect(message).not.toContain('s3cret-pw');
    expectOneLine(message);
  });

  it('says so when the password is wrong, without echoing it', async () => {
    const url = new URL(inject('pgUrl'));
    url.password = 'definitely-wrong-password';
    const { code, message } = await failure(url.toString());
    expect(code).toBe('db_unreachable');
    expect(message).toContain('password authentication failed');
    expect(message).not.toContain('definitely-wrong-password');
    expectOneLine(message);
  });

  it('says so when the database does not exist', async () => {
    const url = new URL(inject('pgUrl'));
    url.pathname = '/no_such_database_here';
    const { code, message } = await failure(url.toString());
    expect(code).toBe('db_unreachable');
    expect(message).toContain('"no_such_database_here" does not exist');
    expectOneLine(message);
  });

  it('reports a migration that cannot be applied', async () => {
    const pg = await createTestPostgresUrl();
    try {
      const sql = postgres(pg.url, { max: 1, onnotice: () => {} });
      await sql`create table projects (conflicting_column int)`;
      await sql.end();
      const { code, message } = await failure(pg.url);
      expect(code).toBe('db_migration_failed');
      expect(message).toContain('already exists');
      expectOneLine(message);
    } finally {
      await pg.drop();
    }
  });
});

describe('migrations', () => {
  it('are found from the package, whatever the working directory', () => {
    expect(existsSync(join(MIGRATIONS_DIR, 'meta', '_journal.json'))).toBe(true);
  });

  it('apply once when several processes start against one fresh database', async () => {
    const pg = await createTestPostgresUrl();
    try {
      const dbs = await Promise.all(Array.from({ length: 3 }, () => createDatabase({ url: pg.url, dataDir: '/nonexistent' })));
      const sql = postgres(pg.url, { max: 1, onnotice: () => {} });
      const applied = await sql`select count(*)::int as n from drizzle.__drizzle_migrations`;
      await sql.end();
      const journal = JSON.parse(await readFile(join(MIGRATIONS_DIR, 'meta', '_journal.json'), 'utf8')) as { entries: unknown[] };
      expect(applied[0]?.n).toBe(journal.entries.length);
      for (const db of dbs) expect(await db.ping()).toBe(true);
      await Promise.all(dbs.map((db) => db.close()));
    } finally {
      await pg.drop();
    }
  });
});

describe('ping', () => {
  it('turns false when the PostgreSQL database goes away', async () => {
    const pg = await createTestPostgresUrl();
    const db = await createDatabase({ url: pg.url, dataDir: '/nonexistent' });
    try {
      expect(await db.ping()).toBe(true);
      await pg.drop();
      expect(await db.ping()).toBe(false);
    } finally {
      await db.close();
      await pg.drop();
    }
  });
});

describe('PGlite', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'lathe-db-test-'));
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('persists under <dataDir>/pglite across restarts', async () => {
    const first = await createDatabase({ dataDir });
    expect(first.kind).toBe('pglite');
    const owner = await createTestUser(first);
    const project = await createRepositories(first).projects.create({
      ownerId: owner,
      name: 'kept',
      initialPrompt: 'p',
      template: 'react-vite',
    });
    await first.close();
    expect(await first.ping()).toBe(false);
    expect(existsSync(join(dataDir, 'pglite', 'PG_VERSION'))).toBe(true);

    const second = await createDatabase({ dataDir, url: '  ' });
    expect(second.kind).toBe('pglite');
    expect(await createRepositories(second).projects.getAny(project.id)).toEqual(project);
    await second.close();
  });
});

describe('PGlite directory lock', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'lathe-db-lock-'));
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  async function inUse(): Promise<{ code: string; message: string }> {
    try {
      const db = await createDatabase({ dataDir });
      await db.close();
    } catch (e) {
      if (isLatheError(e)) return { code: e.code, message: e.message };
      throw e;
    }
    throw new Error('the second open succeeded');
  }

  it('refuses a second open in this process until the first is closed', async () => {
    const first = await createDatabase({ dataDir });
    const { code, message } = await inUse();
    expect(code).toBe('db_in_use');
    expect(message).toContain('this process');
    expectOneLine(message);
    await first.close();
    const again = await createDatabase({ dataDir });
    await again.close();
  });

  it('refuses while another process has it open, and takes over the lock of a dead process', async () => {
    const script = `
      import { createDatabase } from ${JSON.stringify(DB_ENTRY)};
      const db = await createDatabase({ dataDir: ${JSON.stringify(dataDir)} });
      console.log('open');
      for await (const _ of process.stdin) {}
      await db.close();
    `;
    const child = spawn(BUN, ['-e', script], { stdio: ['pipe', 'pipe', 'pipe'] });
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => d.toString().includes('open') && resolve());
        child.on('close', (code) => reject(new Error(`bun exited ${code} before opening`)));
      });
      const { code, message } = await inUse();
      expect(code).toBe('db_in_use');
      expect(message).toContain(`pid ${child.pid}`);
      child.stdin.end();
      await outputOf(child);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }

    // A crashed owner leaves its lock behind; a pid that is not running cannot hold it.
    await writeFile(join(dataDir, 'pglite.lock'), '999999999');
    const db = await createDatabase({ dataDir });
    await db.close();
    expect(existsSync(join(dataDir, 'pglite.lock'))).toBe(false);
  });
});

describe('on Bun, from another working directory', () => {
  it.each(['pglite', 'postgres'] as const)('opens %s, migrates and appends an event', async (kind) => {
    const pg = kind === 'postgres' ? await createTestPostgresUrl() : null;
    const cwd = await mkdtemp(join(tmpdir(), 'lathe-db-bun-'));
    const script = `
      import { createDatabase, createRepositories, schema } from ${JSON.stringify(DB_ENTRY)};
      const db = await createDatabase({ url: process.env.DATABASE_URL, dataDir: process.cwd() });
      await db.orm.insert(schema.user).values({ id: 'u', name: 'u', email: 'u@x' });
      const repos = createRepositories(db);
      const p = await repos.projects.create({ ownerId: 'u', name: 'bun', initialPrompt: '', template: 'react-vite' });
      const e = await repos.events.append(p.id, { type: 'phase_designing', payload: { phaseIndex: 0 } });
      console.log(JSON.stringify({ kind: db.kind, seq: e.seq, runtime: typeof Bun }));
      await db.close();
    `;
    const env = { ...process.env, DATABASE_URL: pg?.url ?? '' };
    const child = spawn(BUN, ['-e', script], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const output = await outputOf(child);
      expect(JSON.parse(output.trim())).toEqual({ kind, seq: 1, runtime: 'object' });
      if (kind === 'pglite') expect(existsSync(join(cwd, 'pglite', 'PG_VERSION'))).toBe(true);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await rm(cwd, { recursive: true, force: true });
      await pg?.drop();
    }
  });
});
