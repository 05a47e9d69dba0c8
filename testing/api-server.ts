import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const BUN = join(ROOT, 'node_modules/.bin/bun');
const MAIN = join(ROOT, 'apps/api/src/main.ts');

/** An API server process (`bun apps/api/src/main.ts`), leader of its own process group. */
export interface SpawnedApi {
  proc: ChildProcess;
  /** Everything it has printed so far, stdout and stderr. */
  output(): string;
  /** Its exit code (null when a signal ended it). */
  exited: Promise<number | null>;
}

/** Spawns the real API server with exactly `env` (see apiServerEnv), collecting its output. */
export function spawnApiServer(env: Record<string, string>): SpawnedApi {
  let text = '';
  const proc = spawn(BUN, [MAIN], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const collect = (d: Buffer) => {
    text += d.toString();
  };
  proc.stdout?.on('data', collect);
  proc.stderr?.on('data', collect);
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return { proc, output: () => text, exited };
}

/**
 * Resolves once GET /health on `port` answers 200. Throws, with the server's output, when it exits
 * first or `timeoutMs` passes.
 */
export async function waitHealthy(api: SpawnedApi, port: number, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (api.proc.exitCode !== null) throw new Error(`the API exited with ${api.proc.exitCode}:\n${api.output()}`);
    const ok = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2000) })
      .then((r) => r.ok)
      .catch(() => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the API did not become healthy within ${timeoutMs} ms:\n${api.output()}`);
}
