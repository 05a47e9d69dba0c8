#!/usr/bin/env node
// `npm run dev`: the API on Bun with --watch and the web app on Vite's dev server (hot reload),
// which proxies /api, /health and the project WebSockets to the API. Ctrl+C stops both groups.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const apiPort = process.env.PORT ?? '3000';
const webPort = process.env.LATHE_DEV_WEB_PORT ?? '5173';
const children = [
  spawn(join(root, 'node_modules', '.bin', 'bun'), ['--watch', join(root, 'apps', 'api', 'src', 'main.ts')], {
    cwd: root,
    env: { ...process.env, PORT: apiPort, PUBLIC_URL: process.env.PUBLIC_URL ?? `http://localhost:${webPort}` },
    stdio: 'inherit',
    detached: true,
  }),
  spawn(process.execPath, [join(root, 'node_modules', 'vite', 'bin', 'vite.js'), 'dev', '--port', webPort, '--strictPort'], {
    cwd: join(root, 'apps', 'web'),
    env: { ...process.env, LATHE_API_URL: `http://127.0.0.1:${apiPort}` },
    stdio: 'inherit',
    detached: true,
  }),
];
console.log(`\n  Lathe (dev) at http://localhost:${webPort} — API on :${apiPort}\n`);

let stopping = false;
function stop(signal) {
  if (stopping) return;
  stopping = true;
  for (const c of children) {
    try {
      process.kill(-c.pid, signal);
    } catch {
      // already gone
    }
  }
  setTimeout(() => process.exit(0), 10_000).unref();
}
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));
for (const c of children) c.on('exit', () => stop('SIGTERM'));
