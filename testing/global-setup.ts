import type { TestProject } from 'vitest/node';
import './provided';
import { startEmbeddedPostgres } from './postgres';
import { ensureWebBuild } from './web-build';

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

  const pg = await startEmbeddedPostgres({ name: 'test', maxConnections: 400 });
  project.provide('pgUrl', pg.url);

  return () => pg.stop();
}
