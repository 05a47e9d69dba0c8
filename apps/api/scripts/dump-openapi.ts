/**
 * Writes the running server's OpenAPI document to apps/api/openapi.json, then the typed client
 * types: `bun apps/api/scripts/dump-openapi.ts` (then run openapi-typescript, see package.json).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config';
import { createServer } from '../src/server';

const dataDir = await mkdtemp(join(tmpdir(), 'lathe-openapi-'));
const server = await createServer(
  loadConfig({ PORT: '0', LATHE_DATA_DIR: dataDir, LATHE_SANDBOX: 'local', LATHE_WEB_DIST: join(dataDir, 'none') }),
  { log: () => {} },
);
try {
  const doc = await (await fetch(`${server.url}/openapi.json`)).json();
  const out = join(import.meta.dirname, '../openapi.json');
  await writeFile(out, `${JSON.stringify(doc, null, 2)}\n`);
  console.log(`wrote ${out}`);
} finally {
  await server.stop();
  await rm(dataDir, { recursive: true, force: true });
}
