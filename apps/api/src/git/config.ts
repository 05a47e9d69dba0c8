import { isAbsolute, relative, resolve } from 'node:path';
import { LatheError } from '@lathe/protocol';
import type { ApiConfig } from '../config';

export interface GitConfig {
  /** Bare repositories, SSH known-hosts files and push scratch folders. */
  root: string;
  /** CA bundle for HTTPS remotes behind a private CA; null = the system's. */
  caFile: string | null;
  /** User edits this close together are one commit. */
  editBurstMs: number;
  pushTimeoutMs: number;
}

function inside(parent: string, child: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

function msVar(env: ApiConfig['env'], name: string, fallback: number, max: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) > max)
    throw new LatheError('bad_config', `${name} must be a whole number of milliseconds ≤ ${max}`);
  return Number(raw);
}

/**
 * LATHE_GIT_DIR (default `<data dir>/git`) must not overlap the sandboxes: code a sandbox can
 * write must never reach a repository our own git commands read (hooks, config).
 */
export function loadGitConfig(config: ApiConfig): GitConfig {
  const raw = config.env.LATHE_GIT_DIR?.trim();
  const root = raw ? resolve(raw) : resolve(config.dataDir, 'git');
  if (inside(config.sandboxDir, root) || inside(root, config.sandboxDir)) {
    throw new LatheError(
      'bad_config',
      `LATHE_GIT_DIR (${root}) must not be inside the sandbox directory (${config.sandboxDir}) or hold it`,
    );
  }
  const ca = config.env.LATHE_GIT_CA_FILE?.trim();
  return {
    root,
    caFile: ca ? resolve(ca) : null,
    editBurstMs: msVar(config.env, 'LATHE_GIT_EDIT_BURST_MS', 10_000, 3_600_000),
    pushTimeoutMs: msVar(config.env, 'LATHE_GIT_PUSH_TIMEOUT_MS', 120_000, 3_600_000) || 120_000,
  };
}
