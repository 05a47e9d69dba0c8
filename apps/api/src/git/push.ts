import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LatheError } from '@lathe/protocol';
import type { RemoteUrl } from './remote-url';
import { BRANCH } from './repository';
import { runGit } from './run';

export type PushCredential =
  | { kind: 'https'; username: string; token: string }
  | { kind: 'ssh'; privateKey: string; knownHostsFile: string };

export interface PushOptions {
  gitDir: string;
  /** Where the push's private temporary folder goes (the server's git directory). */
  scratchDir: string;
  remote: RemoteUrl;
  credential: PushCredential;
  /** Replace the remote branch even when it has commits we lack. */
  force?: boolean;
  /** CA bundle for https remotes with a private CA (LATHE_GIT_CA_FILE). */
  caFile?: string | null;
  timeoutMs?: number;
}

/**
 * Prints the token or user name for git's prompts, from the environment of the git process:
 * the token is never in the URL, an argument or a file.
 */
const ASKPASS = `#!/bin/sh
case "$1" in
  Username*) printf '%s\\n' "$LATHE_GIT_USERNAME" ;;
  *) printf '%s\\n' "$LATHE_GIT_TOKEN" ;;
esac
`;

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** The last lines git wrote, without progress noise, for a message a person can act on. */
function gitSays(stderr: string): string {
  const lines = stderr
    .split(/[\r\n]+/)
    .map((l) => l.trim())
    .filter((l) => l && !/^(remote: )?(Counting|Compressing|Writing|Enumerating|Total|Delta|Resolving)/.test(l));
  return lines.slice(-3).join(' ').slice(0, 400);
}

/** Turns git's verdict into one of our error codes with a human message. */
export function classifyPushFailure(stderr: string, remote: RemoteUrl): LatheError {
  const said = gitSays(stderr);
  const s = stderr.toLowerCase();
  const where = remote.host;
  if (
    /authentication failed|permission denied|could not read (username|password)|terminal prompts disabled|invalid username or password|http basic: access denied|the requested url returned error: 40[13]|access denied|403 forbidden/.test(
      s,
    )
  ) {
    return new LatheError(
      'git_auth_failed',
      remote.transport === 'https'
        ? `${where} refused the HTTPS token: check the token and its user name in Settings → Git, and that the token may write to this repository (${said})`
        : `${where} refused the SSH key: add the public key from Settings → Git to your account or as a deploy key with write access (${said})`,
    );
  }
  if (/\[rejected\]|non-fast-forward|fetch first|\[remote rejected\]|failed to push some refs|protected branch|hook declined/.test(s)) {
    return new LatheError(
      'git_rejected',
      `${where} rejected the push: the remote branch has commits this project does not (push with "replace the remote branch", or push to an empty repository) (${said})`,
    );
  }
  if (/host key verification failed|remote host identification has changed/.test(s)) {
    return new LatheError('git_host_key_mismatch', `the SSH host key of ${where} changed since your last push; refusing to push (${said})`);
  }
  return new LatheError(
    'git_remote_unreachable',
    `cannot reach the repository at ${where}: check the URL and that the repository exists (${said})`,
  );
}

/**
 * Pushes the project's branch to the remote with the user's credential. HTTPS: the token reaches
 * git through an askpass script reading the git process's environment. SSH: the private key is
 * written to a 0600 file in a private temporary folder for this push only and removed after.
 * Returns nothing on success; throws git_auth_failed, git_rejected, git_remote_unreachable…
 */
export async function pushToRemote(opts: PushOptions): Promise<void> {
  const scratch = await mkdtemp(join(opts.scratchDir, '.push-'));
  try {
    await chmod(scratch, 0o700);
    const env: Record<string, string> = {};
    if (opts.credential.kind === 'https') {
      if (opts.remote.transport !== 'https') throw new LatheError('git_credential_mismatch', 'an HTTPS token cannot push to an SSH remote');
      const askpass = join(scratch, 'askpass.sh');
      await writeFile(askpass, ASKPASS, { mode: 0o700 });
      Object.assign(env, {
        GIT_ASKPASS: askpass,
        LATHE_GIT_USERNAME: opts.credential.username,
        LATHE_GIT_TOKEN: opts.credential.token,
      });
      if (opts.caFile) env.GIT_SSL_CAINFO = opts.caFile;
    } else {
      if (opts.remote.transport !== 'ssh') throw new LatheError('git_credential_mismatch', 'an SSH key cannot push to an HTTPS remote');
      const keyFile = join(scratch, 'id_ed25519');
      await writeFile(keyFile, opts.credential.privateKey, { mode: 0o600 });
      await mkdir(join(opts.credential.knownHostsFile, '..'), { recursive: true, mode: 0o700 });
      env.GIT_SSH_COMMAND = [
        'ssh',
        '-F',
        '/dev/null',
        '-i',
        shellQuote(keyFile),
        '-o',
        'IdentitiesOnly=yes',
        '-o',
        'IdentityAgent=none',
        '-o',
        'BatchMode=yes',
        '-o',
        'StrictHostKeyChecking=accept-new',
        '-o',
        shellQuote(`UserKnownHostsFile=${opts.credential.knownHostsFile}`),
        '-o',
        'ConnectTimeout=20',
      ].join(' ');
      env.GIT_SSH_VARIANT = 'ssh';
    }
    const refspec = `${opts.force ? '+' : ''}refs/heads/${BRANCH}:refs/heads/${BRANCH}`;
    const result = await runGit(['push', '--porcelain', '--', opts.remote.url, refspec], {
      gitDir: opts.gitDir,
      env,
      timeoutMs: opts.timeoutMs ?? 120_000,
    });
    if (result.code === null)
      throw new LatheError('git_remote_unreachable', `the push to ${opts.remote.host} took too long and was stopped`);
    // --porcelain reports per ref on stdout; a rejected ref is "!" there.
    const report = result.stdout.toString('utf8');
    if (result.code !== 0 || /^!/m.test(report)) throw classifyPushFailure(`${result.stderr}\n${report}`, opts.remote);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
