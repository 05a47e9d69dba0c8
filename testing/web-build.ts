import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const webDir = join(root, 'apps', 'web');
export const WEB_SERVER_ENTRY = join(webDir, 'dist', 'server', 'server.js');

function newestMtime(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const entry of readdirSync(path)) {
    if (entry === 'node_modules' || entry === 'dist') continue;
    newest = Math.max(newest, newestMtime(join(path, entry)));
  }
  return newest;
}

/**
 * Builds the web app's production bundle once per test run when it is missing or older than its
 * sources, so the browser and `npm start` tests (which run in parallel) never race on a build.
 */
export function ensureWebBuild(): void {
  const sources = [
    join(webDir, 'src'),
    join(webDir, 'vite.config.ts'),
    join(webDir, 'package.json'),
    join(root, 'packages', 'protocol', 'src'),
  ];
  if (existsSync(WEB_SERVER_ENTRY) && statSync(WEB_SERVER_ENTRY).mtimeMs >= Math.max(...sources.filter(existsSync).map(newestMtime)))
    return;
  const res = spawnSync('npm', ['run', 'build', '-w', '@lathe/web'], { cwd: root, stdio: 'inherit' });
  if (res.status !== 0) throw new Error('building apps/web failed (npm run build -w @lathe/web)');
}
