import type { ExecResult, InstallResult, SkippedPackage } from './contract';
import { checkPackageSpec } from './packages';

/**
 * Packages whose install scripts run by default: they fetch or check their platform's native binary.
 * The template itself needs none (Vite 8, Tailwind's oxide and lightningcss ship their binaries as
 * optional platform packages).
 */
export const DEFAULT_INSTALL_SCRIPTS: readonly string[] = ['esbuild', '@swc/core'];

/** Why npm failed, read from its error output. */
export type NpmFailure =
  /** A package's own fault (unknown name, no matching version, peer conflict); `name` may be a dependency's. */
  | { kind: 'package'; name: string | null; reason: string }
  /** Nothing to do with the packages (network, disk, permissions, killed): retrying one by one cannot help. */
  | { kind: 'environment'; reason: string }
  | { kind: 'unknown'; reason: string };

const ENVIRONMENT_CODES = new Set([
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ENOSPC',
  'EDQUOT',
  'EACCES',
  'EPERM',
  'EROFS',
  'ENOMEM',
  'EMFILE',
  'EINTEGRITY',
  'E401',
  'EPROTO',
  'ERR_SOCKET_TIMEOUT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'CERT_HAS_EXPIRED',
]);

/** Classifies a failed npm run from its output (npm 7+ prints `npm error code X`, older `npm ERR! code X`). */
export function classifyNpmFailure(res: Pick<ExecResult, 'exitCode' | 'stdout' | 'stderr'>): NpmFailure {
  const out = `${res.stderr}\n${res.stdout}`;
  if (res.exitCode === null) return { kind: 'environment', reason: 'npm was killed (out of memory or time)' };
  const code = /^npm (?:error|ERR!) code (\S+)/m.exec(out)?.[1] ?? null;
  if (code === 'E404') {
    const url = /404 Not Found - GET (\S+)/.exec(out)?.[1];
    const quoted = /'((?:@[^/'\s]+\/)?[^@'\s]+)@[^']*' (?:is not in this registry|could not be found)/.exec(out)?.[1];
    const name = quoted ?? (url ? decodeURIComponent(url.slice(url.lastIndexOf('/') + 1)) : null);
    return { kind: 'package', name: name && checkPackageSpec(name).ok ? name : null, reason: 'not found in the npm registry' };
  }
  if (code === 'ETARGET') {
    const spec = /No matching version found for (\S+?)\.?$/m.exec(out)?.[1] ?? '';
    const c = checkPackageSpec(spec);
    return c.ok
      ? { kind: 'package', name: c.name, reason: `no published version matches ${JSON.stringify(c.range ?? '*')}` }
      : { kind: 'package', name: null, reason: 'no published version matches the requested range' };
  }
  if (code === 'ENOVERSIONS') {
    const name = /No versions available for (\S+)/.exec(out)?.[1] ?? null;
    return { kind: 'package', name, reason: 'has no published versions' };
  }
  if (code === 'ERESOLVE') {
    // "Could not resolve dependency: peer react@"^18" from some-lib@1.0.0": some-lib is the one asking.
    const from = /peer .+? from ((?:@[^/\s]+\/)?[^@\s]+)@/.exec(out)?.[1] ?? null;
    return { kind: 'package', name: from, reason: 'peer dependency conflict' };
  }
  if (code === 'E403') {
    const url = /403 Forbidden - GET (\S+)/.exec(out)?.[1];
    const name = url ? decodeURIComponent(url.slice(url.lastIndexOf('/') + 1)) : null;
    return { kind: 'package', name: name && checkPackageSpec(name).ok ? name : null, reason: 'the npm registry refused to serve it' };
  }
  if (code === 'EBADPLATFORM') {
    const name = /Unsupported platform for ((?:@[^/\s]+\/)?[^@\s]+)@/.exec(out)?.[1] ?? null;
    return { kind: 'package', name, reason: 'does not support this platform' };
  }
  const line = firstErrorLine(out);
  if (code && ENVIRONMENT_CODES.has(code))
    return { kind: 'environment', reason: `npm could not install (${code}${line ? `: ${line}` : ''})` };
  return { kind: 'unknown', reason: `npm install failed${code ? ` (${code})` : ''}${line ? `: ${line}` : ''}` };
}

function firstErrorLine(out: string): string {
  for (const m of out.matchAll(/^npm (?:error|ERR!) (.+)$/gm)) {
    const text = (m[1] ?? '').trim();
    if (text && !/^(code \S+|errno|A complete log|syscall|path )/.test(text)) return text.slice(0, 200);
  }
  return '';
}

export interface InstallRun {
  /** Runs one `npm install` of these specs with the time left; its result. */
  npm(specs: string[]): Promise<ExecResult>;
}

/**
 * One install of the whole set; when it fails, the specs npm names as their own fault are skipped
 * and the rest retried together, and when npm names none of them, one spec at a time. A failure
 * that is nobody's package (network, disk, timeout, cancel) stops everything: the specs not yet
 * installed are skipped with that reason.
 */
export async function installAll(specs: string[], run: InstallRun): Promise<InstallResult> {
  const installed: string[] = [];
  const skipped: SkippedPackage[] = [];
  const outputs: ExecResult[] = [];
  const npm = async (list: string[]) => {
    const r = await run.npm(list);
    outputs.push(r);
    return r;
  };
  const finish = (last: ExecResult | null): InstallResult => ({
    exitCode: last ? last.exitCode : 0,
    stdout: outputs.map((r) => r.stdout).join(''),
    stderr: outputs.map((r) => r.stderr).join(''),
    timedOut: last?.timedOut ?? false,
    cancelled: last?.cancelled ?? false,
    installed,
    skipped,
  });
  const abort = (r: ExecResult, rest: string[], reason: string): InstallResult => {
    for (const spec of rest) skipped.push({ spec, reason });
    return finish(r);
  };
  const nameOf = (spec: string) => {
    const c = checkPackageSpec(spec);
    return c.ok ? c.name : spec;
  };

  const reasonFor = (spec: string, failure: NpmFailure) =>
    failure.kind !== 'package' || failure.name === null || failure.name === nameOf(spec)
      ? failure.reason
      : `its dependency ${failure.name}: ${failure.reason}`;

  let pending = [...specs];
  // Together first: each pass installs the rest or drops at least one spec npm blamed.
  while (pending.length > 0) {
    const r = await npm(pending);
    if (r.exitCode === 0) {
      installed.push(...pending);
      return finish(null);
    }
    if (r.timedOut || r.cancelled) return abort(r, pending, r.timedOut ? 'the install timed out' : 'the install was cancelled');
    const failure = classifyNpmFailure(r);
    if (failure.kind === 'environment') return abort(r, pending, failure.reason);
    if (pending.length === 1) {
      skipped.push({ spec: pending[0] as string, reason: reasonFor(pending[0] as string, failure) });
      return finish(null);
    }
    const blamed = failure.kind === 'package' ? pending.filter((s) => nameOf(s) === failure.name) : [];
    if (blamed.length === 0) break;
    for (const spec of blamed) skipped.push({ spec, reason: failure.reason });
    pending = pending.filter((s) => !blamed.includes(s));
  }
  // One at a time: npm did not say whose fault it was, so each failure is that spec's (or its dependencies').
  for (const [i, spec] of pending.entries()) {
    const r = await npm([spec]);
    if (r.exitCode === 0) {
      installed.push(spec);
      continue;
    }
    if (r.timedOut || r.cancelled) return abort(r, pending.slice(i), r.timedOut ? 'the install timed out' : 'the install was cancelled');
    const failure = classifyNpmFailure(r);
    if (failure.kind === 'environment') return abort(r, pending.slice(i), failure.reason);
    skipped.push({ spec, reason: reasonFor(spec, failure) });
  }
  return finish(null);
}

/**
 * The allow-listed packages of a package-lock.json that have install scripts to run. A lock entry
 * whose real name differs from its folder (an alias such as `"esbuild": "npm:other@1"`), or that
 * comes from a link, git or file, disqualifies that name: `npm rebuild` matches folder names, and
 * nothing but the registry's own package may borrow an allowed name.
 */
export function allowedScripts(lockText: string, allow: readonly string[]): string[] {
  let lock: unknown;
  try {
    lock = JSON.parse(lockText);
  } catch {
    return [];
  }
  if (!lock || typeof lock !== 'object') return [];
  const packages = (lock as { packages?: unknown }).packages;
  if (!packages || typeof packages !== 'object') return [];
  const found = new Set<string>();
  const aliased = new Set<string>();
  for (const [path, entry] of Object.entries(packages as Record<string, unknown>)) {
    const at = path.lastIndexOf('node_modules/');
    if (at === -1 || !entry || typeof entry !== 'object') continue;
    const folder = path.slice(at + 'node_modules/'.length);
    const e = entry as { hasInstallScript?: unknown; name?: unknown; link?: unknown; resolved?: unknown };
    if (!allow.includes(folder)) continue;
    // An alias, a link or a git/file source is refused whether or not the lock says it has scripts.
    const notRegistry = e.link === true || (e.resolved !== undefined && !/^https?:\/\//.test(String(e.resolved)));
    if ((e.name !== undefined && e.name !== folder) || notRegistry) {
      aliased.add(folder);
      continue;
    }
    if (e.hasInstallScript === true) found.add(folder);
  }
  return [...found].filter((n) => !aliased.has(n)).sort();
}
