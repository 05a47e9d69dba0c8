import { spawn } from 'node:child_process';
import { LatheError } from '@lathe/protocol';

export interface GitResult {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

export interface RunGitOptions {
  /** The bare repository (GIT_DIR). */
  gitDir?: string;
  /** Added to the base environment (never the server's own). */
  env?: Record<string, string>;
  input?: string | Buffer;
  timeoutMs?: number;
}

/**
 * Config that no repository, user or system file can override: hooks never run (a repository's
 * hooks are code), only https and ssh transports, no credential helpers, no fsmonitor.
 */
const SAFE_CONFIG = [
  '-c',
  'core.hooksPath=/dev/null',
  '-c',
  'core.fsmonitor=false',
  '-c',
  'protocol.allow=never',
  '-c',
  'protocol.https.allow=always',
  '-c',
  'protocol.ssh.allow=always',
  '-c',
  'credential.helper=',
  '-c',
  'core.askPass=',
  '-c',
  'http.followRedirects=false',
];

/** Variables passed through to git from the server's environment: proxies and CA bundles, nothing else. */
const PASSED = [
  'PATH',
  'https_proxy',
  'HTTPS_PROXY',
  'no_proxy',
  'NO_PROXY',
  'all_proxy',
  'ALL_PROXY',
  'GIT_SSL_CAINFO',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
];

/**
 * Runs git with an argument array (no shell), a scrubbed environment (no user or system config,
 * no prompts, English messages) and the safe config above.
 */
export function runGit(args: string[], opts: RunGitOptions = {}): Promise<GitResult> {
  const env: Record<string, string> = {};
  for (const name of PASSED) {
    const value = process.env[name];
    if (value) env[name] = value;
  }
  Object.assign(env, {
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_TERMINAL_PROMPT: '0',
    GIT_PROTOCOL_FROM_USER: '0',
    HOME: '/nonexistent',
    LC_ALL: 'C',
    LANG: 'C',
    ...(opts.gitDir ? { GIT_DIR: opts.gitDir } : {}),
    ...opts.env,
  });
  return new Promise((resolve, reject) => {
    const child = spawn('git', [...SAFE_CONFIG, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let errBytes = 0;
    child.stdout.on('data', (c: Buffer) => out.push(c));
    // Progress output can be long: keep the last 64 KiB, where the verdict is.
    child.stderr.on('data', (c: Buffer) => {
      err.push(c);
      errBytes += c.length;
      while (errBytes > 65_536 && err.length > 1) errBytes -= err.shift()?.length ?? 0;
    });
    const timer = opts.timeoutMs
      ? setTimeout(() => {
          child.kill('SIGKILL');
        }, opts.timeoutMs)
      : null;
    child.on('error', (e) => {
      if (timer) clearTimeout(timer);
      reject(
        (e as NodeJS.ErrnoException).code === 'ENOENT'
          ? new LatheError('git_unavailable', 'git is not installed on the server')
          : new LatheError('git_failed', `git could not start: ${e.message}`),
      );
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      const stderr = Buffer.concat(err).toString('utf8');
      resolve({ code: signal ? null : code, stdout: Buffer.concat(out), stderr });
    });
    child.stdin.on('error', () => {});
    child.stdin.end(opts.input ?? '');
  });
}

/** Runs git and returns its stdout as text; a failure is a git_failed error with git's message. */
export async function git(args: string[], opts: RunGitOptions = {}): Promise<string> {
  const result = await runGit(args, opts);
  if (result.code !== 0) {
    throw new LatheError('git_failed', `git ${args[0]} failed: ${result.stderr.trim().split('\n').at(-1) ?? 'no message'}`);
  }
  return result.stdout.toString('utf8');
}
