import { spawn } from 'node:child_process';
import { readdirSync, readlinkSync } from 'node:fs';
import type { Writable } from 'node:stream';
import type { Proc } from '../backend';

export interface GroupSpawn {
  argv: string[];
  cwd: string;
  env: Record<string, string>;
  onStdout(chunk: string): void;
  onStderr(chunk: string): void;
  /** Give the process a stdin pipe and a second input pipe on fd 3 (a terminal's keystrokes and its resizes). */
  interactive?: boolean;
}

/**
 * Spawns a process as the leader of its own process group, so killing it kills everything it
 * started. Resolves `exited` once the group leader is gone and its output is drained.
 */
export function spawnGroup(req: GroupSpawn): Proc & { pid: number | undefined; stdin: Writable | null; control: Writable | null } {
  const [cmd, ...args] = req.argv;
  const child = spawn(cmd ?? 'false', args, {
    cwd: req.cwd,
    env: req.env,
    detached: true,
    stdio: req.interactive ? ['pipe', 'pipe', 'pipe', 'pipe'] : ['ignore', 'pipe', 'pipe'],
  });
  if (!child.stdout || !child.stderr) throw new Error('spawn gave no output pipes');
  child.stdout.setEncoding('utf8').on('data', req.onStdout);
  child.stderr.setEncoding('utf8').on('data', req.onStderr);
  const control = req.interactive ? (child.stdio[3] as Writable | null) : null;
  // A shell that is gone leaves its pipes broken: writes to them are dropped, not thrown.
  child.stdin?.on('error', () => undefined);
  control?.on('error', () => undefined);
  let spawnError: Error | null = null;
  const exited = new Promise<number | null>((resolve) => {
    let code: number | null = null;
    child.once('error', (e) => {
      spawnError = e;
      req.onStderr(`${e.message}\n`);
      resolve(127);
    });
    child.once('exit', (c) => {
      code = c;
      // Our ends of the input pipes: nothing reads them now, and 'close' waits for every pipe.
      child.stdin?.destroy();
      control?.destroy();
      // What the command left running in its group goes with it: no orphans.
      killGroup(child.pid);
      // A descendant that left the group may still hold the pipes open: stop waiting for them.
      setTimeout(() => {
        child.stdout?.destroy();
        child.stderr?.destroy();
      }, 2000).unref();
    });
    child.once('close', () => resolve(code));
  });
  const kill = async (): Promise<void> => {
    if (spawnError) return;
    killGroup(child.pid);
    await exited;
  };
  return { pid: child.pid, exited, kill, stdin: req.interactive ? child.stdin : null, control };
}

/** Runs a helper command to completion (template install, copies); rejects with its output on failure. */
export async function runToEnd(argv: string[], cwd: string, env: Record<string, string>, timeoutMs: number): Promise<string> {
  let out = '';
  const proc = spawnGroup({ argv, cwd, env, onStdout: (c) => (out += c), onStderr: (c) => (out += c) });
  const timer = setTimeout(() => void proc.kill(), timeoutMs);
  const code = await proc.exited.finally(() => clearTimeout(timer));
  if (code !== 0) throw new Error(`${argv.join(' ')} failed (${code ?? 'killed'}): ${out.slice(-2000)}`);
  return out;
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // The group is already gone.
  }
}

/**
 * Kills every process working inside `dir`: what a previous server process left running in a
 * project before it died (its process groups were detached, so they outlived it). Linux /proc only.
 */
export function reapOrphans(dir: string): number {
  let killed = 0;
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return 0;
  }
  for (const name of names) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const cwd = readlinkSync(`/proc/${name}/cwd`);
      if (cwd !== dir && !cwd.startsWith(`${dir}/`)) continue;
      process.kill(Number(name), 'SIGKILL');
      killed++;
    } catch {
      // Gone meanwhile, or not ours.
    }
  }
  return killed;
}
