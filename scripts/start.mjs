#!/usr/bin/env node
// `npm start`: builds what is missing (the web app), starts the API on Bun (which also serves the
// web app, the preview proxy and, with no LLM key, the built-in offline model), waits until it is
// healthy and prints the one URL to open. Ctrl+C / SIGTERM stop everything, process group included.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 12)) {
  console.error(`lathe: Node >= 22.12 is required (this is ${process.version}). See README.md, "Quick start".`);
  process.exit(1);
}

const bun = join(root, 'node_modules', '.bin', 'bun');
if (!existsSync(bun)) {
  console.error('lathe: Bun is missing from node_modules — run `npm install` first.');
  process.exit(1);
}

const webServer = join(root, 'apps', 'web', 'dist', 'server', 'server.js');
if (!existsSync(webServer) || process.env.LATHE_REBUILD_WEB === '1') {
  console.log('lathe: building the web app (first start only)…');
  const build = spawnSync('npm', ['run', 'build', '-w', '@lathe/web'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) {
    console.error('lathe: the web app failed to build; see the output above.');
    process.exit(1);
  }
}

const port = process.env.PORT ?? '3000';
const publicUrl = process.env.PUBLIC_URL ?? `http://localhost:${port}`;
// The API runs in its own process group so a signal reaches it and everything it started.
const api = spawn(bun, [join(root, 'apps', 'api', 'src', 'main.ts')], {
  cwd: root,
  env: { ...process.env, PORT: port },
  stdio: 'inherit',
  detached: true,
});

let stopping = false;
function stop(signal) {
  if (stopping) return;
  stopping = true;
  console.log(`\nlathe: stopping (${signal})…`);
  try {
    process.kill(api.pid, signal);
  } catch {
    // already gone
  }
  // A stuck shutdown must not leave ports or sandboxes behind: escalate on the whole group.
  setTimeout(() => {
    try {
      process.kill(-api.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }, 15_000).unref();
}
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));

api.on('exit', (code, signal) => {
  try {
    process.kill(-api.pid, 'SIGKILL');
  } catch {
    // group already empty
  }
  process.exit(stopping ? 0 : (code ?? (signal ? 1 : 0)));
});

const host = process.env.HOST && process.env.HOST !== '0.0.0.0' ? process.env.HOST : '127.0.0.1';
const deadline = Date.now() + 120_000;
async function waitHealthy() {
  while (!stopping && Date.now() < deadline) {
    try {
      const res = await fetch(`http://${host}:${port}/health`, { signal: AbortSignal.timeout(2000) });
      if (res.ok) {
        console.log(`\n  Lathe is running at ${publicUrl}\n  Press Ctrl+C to stop.\n`);
        return;
      }
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 300));
  }
}
waitHealthy();
