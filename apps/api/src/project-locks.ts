import { LatheError } from '@lathe/protocol';
import postgres from 'postgres';

/** Who may run a project's agent: exactly one API process per project. */
export interface ProjectLocks {
  /** True when this process now holds (or already held) the project's lock. */
  acquire(projectId: string): Promise<boolean>;
  release(projectId: string): Promise<void>;
  close(): Promise<void>;
}

/** Single-process databases (PGlite) need no cross-process lock. */
export class LocalProjectLocks implements ProjectLocks {
  async acquire(): Promise<boolean> {
    return true;
  }
  async release(): Promise<void> {}
  async close(): Promise<void> {}
}

// First key of the two-int advisory lock space, so Lathe's locks don't collide with others'.
const LOCK_CLASS = 7316;

/**
 * PostgreSQL session advisory locks on one dedicated connection: if this process dies, the
 * connection drops and its locks go with it, so another process may take the projects over.
 */
export class PostgresProjectLocks implements ProjectLocks {
  readonly #sql: postgres.Sql;
  readonly #held = new Set<string>();

  constructor(url: string) {
    this.#sql = postgres(url, { max: 1, idle_timeout: 0, max_lifetime: null, onnotice: () => {} });
  }

  async acquire(projectId: string): Promise<boolean> {
    if (this.#held.has(projectId)) return true;
    try {
      const [row] = await this.#sql<{ locked: boolean }[]>`select pg_try_advisory_lock(${LOCK_CLASS}, hashtext(${projectId})) as locked`;
      if (row?.locked) this.#held.add(projectId);
      return row?.locked === true;
    } catch (e) {
      throw new LatheError('unavailable', `cannot take the project lock: ${(e as Error).message}`, { cause: e });
    }
  }

  async release(projectId: string): Promise<void> {
    if (!this.#held.delete(projectId)) return;
    await this.#sql`select pg_advisory_unlock(${LOCK_CLASS}, hashtext(${projectId}))`;
  }

  async close(): Promise<void> {
    this.#held.clear();
    await this.#sql.end({ timeout: 5 });
  }
}
