import { isAbsolute, join, resolve } from 'node:path';
import { LatheError, LIMITS } from '@lathe/protocol';
import { normalizeIp } from './client-ip';
import type { SignInLimits } from './rate-limit';

export type SandboxKind = 'local' | 'docker';
/** Who may create an account: anyone, anyone pending an admin's approval, or nobody (but the first, the admin). */
export type SignupPolicy = 'open' | 'approval' | 'closed';

/** Per-user limits, admins included; null = unlimited. */
export interface Quotas {
  projects: number | null;
  /** Projects whose dev server runs at once. */
  sandboxes: number | null;
  /** Bytes of file content over all of a user's projects. */
  storageBytes: number | null;
}
export type Env = Record<string, string | undefined>;

/** Everything the server reads from the environment, validated once at startup. */
export interface ApiConfig {
  port: number;
  host: string;
  /** The IDE's origin, e.g. http://localhost:3000 (no trailing slash). */
  publicUrl: string;
  /** Unset → embedded PGlite under the data dir. */
  databaseUrl: string | undefined;
  dataDir: string;
  /** Sandboxes and the template's installed dependencies (shareable between servers). */
  sandboxDir: string;
  previewDomain: string;
  /** e.g. `https://{token}.preview.example.com/`; wins over the port-based default. */
  previewUrlTemplate: string | undefined;
  /** The port browsers use for preview hosts (differs from `port` behind a reverse proxy). */
  publicPreviewPort: number;
  sandbox: SandboxKind;
  /** LATHE_UNSAFE_LOCAL_SANDBOX=1: serve beyond loopback with unconfined local sandboxes anyway. */
  unsafeLocalSandbox: boolean;
  generationsPerHour: number;
  maxActiveGenerations: number;
  signup: SignupPolicy;
  quotas: Quotas;
  /** Models users may choose when the server's key pays; null = any. */
  allowedModels: ReadonlySet<string> | null;
  /** Prompt + completion tokens a user may spend per calendar month (UTC); null = unlimited. */
  monthlyTokenBudget: number | null;
  /** Directory holding the web app's production build (`client/` + `server/server.js`). */
  webDistDir: string;
  /** A separately running web server to forward IDE pages to (wins over webDistDir). */
  webUrl: string | undefined;
  /** A dev server nobody watches is stopped after this long; null = never. */
  sandboxIdleMs: number | null;
  /** An agent with no sockets and no work is dropped from memory after this long. */
  agentIdleMs: number;
  /** A terminal nothing was typed into or printed by for this long is closed; null = never. */
  terminalIdleMs: number | null;
  /** Bytes a socket may have queued before it is closed with a resume hint. */
  wsMaxBufferedBytes: number;
  /** Failed sign-ins allowed per client address (and per address and account) in a window. */
  signInLimits: SignInLimits;
  /** Projects with more file content than this cannot be downloaded as a ZIP (413). */
  downloadMaxBytes: number;
  /** Largest file an upload may hold (LATHE_UPLOAD_MAX_BYTES, at most the per-file limit of 1 MiB). */
  uploadMaxBytes: number;
  /** Log events (each a batch of output lines) kept per project; older ones are deleted. */
  logRing: number;
  /** Addresses of reverse proxies whose X-Forwarded-For is believed (normalised). */
  trustedProxies: ReadonlySet<string>;
  /** The raw environment, handed to the agent package's own config loader. */
  env: Env;
}

function intVar(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new LatheError('bad_config', `${name} must be an integer between ${min} and ${max} (got "${raw}")`);
  }
  return n;
}

function stringVar(env: Env, name: string): string | undefined {
  const raw = env[name]?.trim();
  return raw ? raw : undefined;
}

function originOf(name: string, raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new LatheError('bad_config', `${name} must be an absolute http(s) URL (got "${raw}")`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new LatheError('bad_config', `${name} must be an http(s) URL (got "${raw}")`);
  }
  return url.origin;
}

/** A count where `0` and `unlimited` mean no limit. */
function quotaVar(env: Env, name: string, fallback: number, max: number): number | null {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === 'unlimited') return null;
  const n = intVar(env, name, fallback, 0, max);
  return n === 0 ? null : n;
}

function signupVar(env: Env, host: string): SignupPolicy {
  const raw = stringVar(env, 'LATHE_SIGNUP')?.toLowerCase();
  // Beyond loopback anyone who reaches the server could spend the operator's key: ask for approval.
  if (raw === undefined) return isLoopbackHost(host) ? 'open' : 'approval';
  if (raw === 'open' || raw === 'approval' || raw === 'closed') return raw;
  throw new LatheError('bad_config', `LATHE_SIGNUP must be "open", "approval" or "closed" (got "${raw}")`);
}

function allowedModelsVar(env: Env): ReadonlySet<string> | null {
  const names = (stringVar(env, 'LATHE_ALLOWED_MODELS') ?? '')
    .split(',')
    .map((m) => m.trim())
    .filter(Boolean);
  return names.length > 0 ? new Set(names) : null;
}

/** Reads and validates the configuration; throws LatheError `bad_config` with a one-line message. */
export function loadConfig(env: Env, cwd: string = process.cwd()): ApiConfig {
  const port = intVar(env, 'PORT', 3000, 0, 65_535);
  const host = stringVar(env, 'HOST') ?? '127.0.0.1';
  const publicUrl = originOf('PUBLIC_URL', stringVar(env, 'PUBLIC_URL') ?? `http://localhost:${port}`);
  const dataDirRaw = stringVar(env, 'LATHE_DATA_DIR') ?? './.lathe';
  const dataDir = isAbsolute(dataDirRaw) ? dataDirRaw : resolve(cwd, dataDirRaw);
  const sandboxDirRaw = stringVar(env, 'LATHE_SANDBOX_DIR');
  const sandboxDir = sandboxDirRaw ? resolve(cwd, sandboxDirRaw) : join(dataDir, 'sandboxes');
  const previewDomain = (stringVar(env, 'PREVIEW_DOMAIN') ?? 'preview.localhost').toLowerCase();
  if (!/^[a-z0-9.-]+$/.test(previewDomain) || previewDomain.startsWith('.') || previewDomain.endsWith('.')) {
    throw new LatheError('bad_config', `PREVIEW_DOMAIN must be a host name such as preview.localhost (got "${previewDomain}")`);
  }
  const previewUrlTemplate = stringVar(env, 'PREVIEW_URL_TEMPLATE');
  if (previewUrlTemplate !== undefined && !previewUrlTemplate.includes('{token}')) {
    throw new LatheError('bad_config', 'PREVIEW_URL_TEMPLATE must contain {token}, e.g. https://{token}.preview.example.com/');
  }
  const sandboxRaw = stringVar(env, 'LATHE_SANDBOX') ?? 'local';
  if (sandboxRaw !== 'local' && sandboxRaw !== 'docker') {
    throw new LatheError('bad_config', `LATHE_SANDBOX must be "local" or "docker" (got "${sandboxRaw}")`);
  }
  const unsafeRaw = stringVar(env, 'LATHE_UNSAFE_LOCAL_SANDBOX') ?? '0';
  if (unsafeRaw !== '0' && unsafeRaw !== '1') {
    throw new LatheError('bad_config', `LATHE_UNSAFE_LOCAL_SANDBOX must be 0 or 1 (got "${unsafeRaw}")`);
  }
  const webDistRaw = stringVar(env, 'LATHE_WEB_DIST');
  const webDistDir = webDistRaw ? resolve(cwd, webDistRaw) : resolve(import.meta.dirname, '../../web/dist');
  const webUrlRaw = stringVar(env, 'LATHE_WEB_URL');
  const webUrl = webUrlRaw === undefined ? undefined : originOf('LATHE_WEB_URL', webUrlRaw);
  const trustedProxies = new Set<string>();
  for (const raw of (stringVar(env, 'LATHE_TRUSTED_PROXY') ?? '').split(',')) {
    if (!raw.trim()) continue;
    const ip = normalizeIp(raw);
    if (!ip) throw new LatheError('bad_config', `LATHE_TRUSTED_PROXY must list IP addresses separated by commas (got "${raw.trim()}")`);
    trustedProxies.add(ip);
  }
  return {
    port,
    host,
    publicUrl,
    databaseUrl: stringVar(env, 'DATABASE_URL'),
    dataDir,
    sandboxDir,
    previewDomain,
    previewUrlTemplate,
    publicPreviewPort: intVar(env, 'PUBLIC_PREVIEW_PORT', port, 0, 65_535),
    sandbox: sandboxRaw,
    unsafeLocalSandbox: unsafeRaw === '1',
    signup: signupVar(env, host),
    quotas: {
      projects: quotaVar(env, 'LATHE_QUOTA_PROJECTS', 50, 1_000_000),
      sandboxes: quotaVar(env, 'LATHE_QUOTA_SANDBOXES', 3, 10_000),
      storageBytes: ((mb) => (mb === null ? null : mb * 1024 * 1024))(quotaVar(env, 'LATHE_QUOTA_STORAGE_MB', 500, 1_000_000_000)),
    },
    allowedModels: allowedModelsVar(env),
    generationsPerHour: intVar(env, 'LATHE_GENERATIONS_PER_HOUR', 30, 1, 1_000_000),
    maxActiveGenerations: intVar(env, 'LATHE_MAX_ACTIVE_GENERATIONS', 2, 1, 10_000),
    monthlyTokenBudget: stringVar(env, 'LATHE_MONTHLY_TOKEN_BUDGET')
      ? intVar(env, 'LATHE_MONTHLY_TOKEN_BUDGET', 0, 1, Number.MAX_SAFE_INTEGER)
      : null,
    webDistDir,
    webUrl,
    sandboxIdleMs: ((ms) => (ms === 0 ? null : ms))(intVar(env, 'LATHE_SANDBOX_IDLE_MS', 15 * 60_000, 0, 7 * 24 * 3_600_000)),
    agentIdleMs: intVar(env, 'LATHE_AGENT_IDLE_MS', 5 * 60_000, 1_000, 24 * 3_600_000),
    terminalIdleMs: ((ms) => (ms === 0 ? null : ms))(intVar(env, 'LATHE_TERMINAL_IDLE_MS', 15 * 60_000, 0, 7 * 24 * 3_600_000)),
    wsMaxBufferedBytes: intVar(env, 'LATHE_WS_MAX_BUFFER_BYTES', 4 * 1024 * 1024, 16 * 1024, 1024 * 1024 * 1024),
    signInLimits: {
      perAccount: intVar(env, 'LATHE_SIGNIN_MAX_FAILURES', 5, 1, 1_000_000),
      perIp: intVar(env, 'LATHE_SIGNIN_MAX_FAILURES_PER_IP', 30, 1, 1_000_000),
      windowMs: intVar(env, 'LATHE_SIGNIN_WINDOW_MS', 15 * 60_000, 1_000, 24 * 3_600_000),
    },
    trustedProxies,
    downloadMaxBytes: intVar(env, 'LATHE_DOWNLOAD_MAX_BYTES', 512 * 1024 * 1024, 1024, 64 * 1024 * 1024 * 1024),
    uploadMaxBytes: intVar(env, 'LATHE_UPLOAD_MAX_BYTES', LIMITS.fileBytes, 1, LIMITS.fileBytes),
    logRing: intVar(env, 'LATHE_LOG_RING', 1000, 1, 1_000_000),
    env,
  };
}

/** Whether listening on `host` keeps the server to this machine (loopback addresses and localhost). */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}

/** The public URL of a project's preview. */
export function previewUrlFor(config: ApiConfig, token: string): string {
  if (config.previewUrlTemplate) return config.previewUrlTemplate.replaceAll('{token}', token);
  const scheme = new URL(config.publicUrl).protocol;
  return `${scheme}//${token}.${config.previewDomain}:${config.publicPreviewPort}/`;
}
