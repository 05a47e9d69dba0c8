import { accessSync, constants, lstatSync, readlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { runToEnd } from './process';

/** bubblewrap, found and tried on this host. */
export interface Jail {
  bwrap: string;
  /** Whether processes run as an unprivileged user in their own user namespace. */
  userNamespace: boolean;
}

/** Whether local sandbox processes can be confined, and if not, why (one line). */
export type JailProbe = { confined: true; jail: Jail } | { confined: false; reason: string };

/** A host path shown inside the jail at `to` (in order: a later mount may cover part of an earlier one). */
export interface JailBind {
  from: string;
  to: string;
  writable: boolean;
}

/** What one jailed process may see beyond the system's own files. */
export interface JailMounts {
  binds: JailBind[];
  cwd: string;
  /** Share the host's network (installs reach the registry; the host reaches the dev server's port). */
  network: boolean;
}

/** Inside the jail processes run as this user, never as root, whoever runs the server. */
const JAIL_UID = '1000';
/** /tmp is private memory: bounded so a process cannot fill the host's RAM through it. */
const TMP_BYTES = String(512 * 1024 * 1024);
/** Merged-/usr systems have these as symlinks into /usr; older ones as directories. */
const SYSTEM_DIRS = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];
/** The parts of /etc that programs need: TLS roots, name resolution, `alternatives` links of /usr/bin. */
const ETC = [
  '/etc/ssl',
  '/etc/ca-certificates',
  '/etc/pki',
  '/etc/resolv.conf',
  '/etc/hosts',
  '/etc/nsswitch.conf',
  '/etc/host.conf',
  '/etc/gai.conf',
  '/etc/localtime',
  '/etc/alternatives',
];

/** The bwrap argv prefix (ending in `--`) that runs a command confined to `mounts`. */
export function jailArgv(jail: Jail, mounts: JailMounts): string[] {
  const args = [
    jail.bwrap,
    '--unshare-pid',
    '--unshare-ipc',
    '--unshare-uts',
    '--unshare-cgroup-try',
    '--die-with-parent',
    '--cap-drop',
    'ALL',
  ];
  if (jail.userNamespace) args.push('--unshare-user', '--uid', JAIL_UID, '--gid', JAIL_UID, '--disable-userns');
  if (!mounts.network) args.push('--unshare-net');
  for (const dir of SYSTEM_DIRS) {
    const st = lstatOrNull(dir);
    if (st?.isSymbolicLink()) args.push('--symlink', readlinkSync(dir), dir);
    else if (st?.isDirectory()) args.push('--ro-bind', dir, dir);
  }
  for (const path of ETC) args.push('--ro-bind-try', path, path);
  args.push('--proc', '/proc', '--dev', '/dev', '--size', TMP_BYTES, '--tmpfs', '/tmp');
  for (const b of mounts.binds) args.push(b.writable ? '--bind' : '--ro-bind-try', b.from, b.to);
  args.push('--chdir', mounts.cwd, '--');
  return args;
}

/**
 * Finds bwrap on PATH and tries it once: with a user namespace first (processes run as an
 * unprivileged user), then without (hosts that forbid unprivileged user namespaces).
 */
export async function probeJail(env: NodeJS.ProcessEnv = process.env): Promise<JailProbe> {
  const bwrap = onPath('bwrap', env.PATH ?? '');
  if (!bwrap) return { confined: false, reason: 'bubblewrap (bwrap) is not installed' };
  const plain = { PATH: env.PATH ?? '' };
  try {
    await runToEnd([bwrap, '--version'], tmpdir(), plain, 10_000);
  } catch (e) {
    return { confined: false, reason: `bwrap --version failed: ${lastLine(e)}` };
  }
  let failure = '';
  for (const userNamespace of [true, false]) {
    const jail = { bwrap, userNamespace };
    try {
      await runToEnd([...jailArgv(jail, { binds: [], cwd: '/', network: false }), 'true'], tmpdir(), plain, 10_000);
      return { confined: true, jail };
    } catch (e) {
      failure ||= lastLine(e);
    }
  }
  return { confined: false, reason: `bwrap cannot create a sandbox here: ${failure}` };
}

function onPath(name: string, path: string): string | null {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not in this directory.
    }
  }
  return null;
}

function lstatOrNull(path: string) {
  try {
    return lstatSync(path);
  } catch {
    return null;
  }
}

/** The last line of a failed run's output: bwrap's own message. */
function lastLine(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return (
    text
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '')
      .pop() ?? text
  ).slice(0, 300);
}
