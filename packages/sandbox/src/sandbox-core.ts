import { randomUUID } from 'node:crypto';
import { type Diagnostic, isLatheError, LatheError } from '@lathe/protocol';
import type { Backend, Proc } from './backend';
import type {
  CommandSpec,
  DevServerStatus,
  ExecOptions,
  ExecResult,
  FileInfo,
  FileWrite,
  InstallOptions,
  InstallResult,
  LogLine,
  Sandbox,
  SandboxKind,
  SandboxLimits,
  Shell,
  ShellOptions,
} from './contract';
import { parseDevMarker, parseTscOutput } from './diagnostics';
import { allowedScripts, installAll } from './install';
import { LogHub } from './logs';
import { checkPackageSpec } from './packages';
import { checkProjectPath } from './paths';
import type { RenderChecker, RenderCheckResult } from './render-check';
import type { Slots } from './slots';

const DEFAULT_EXEC_TIMEOUT_MS = 120_000;
const INSTALL_TIMEOUT_MS = 300_000;
/** Peer ranges that lag behind React 19 are the common case, not an error: npm 6's rules apply. */
const NPM_INSTALL_FLAGS = ['--legacy-peer-deps', '--ignore-scripts', '--no-audit', '--no-fund'];
const DEV_READY_TIMEOUT_MS = 90_000;
const MAX_CAPTURE_CHARS = 1024 * 1024;
const WATCH_THROTTLE_MS = 60;
/** Files the diagnostics sweep requests from the dev server. */
const SOURCE_MODULE = /^src\/.+\.(tsx?|jsx?|mts|css)$/;
const MAX_SWEEP_FILES = 300;
const MAX_RUNTIME_ERRORS = 50;
/** Longest wait, after a render check, for the reports its page sent to arrive through the dev server. */
const REPORT_WAIT_MS = 500;
const MAX_COLS = 500;
const MAX_ROWS = 200;
/** A terminal's shell: colours on, its history in the jail's private /tmp rather than in the project. */
const SHELL_ENV: Record<string, string> = { TERM: 'xterm-256color', COLORTERM: 'truecolor', HISTFILE: '/tmp/.lathe_history' };
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Variables a command may not override: they carry the sandbox's own set-up. */
const PROTECTED_ENV = new Set(['PATH', 'HOME', 'npm_config_cache', 'NODE_OPTIONS', 'LD_PRELOAD', 'LD_LIBRARY_PATH']);

export interface CoreOptions {
  limits: SandboxLimits;
  maxRestarts: number;
  /** Shared by every sandbox of the provider: installs, dev-server start-ups and type checks queue for these. */
  heavy: Slots;
  /** Package names whose install scripts run after an install (see DEFAULT_INSTALL_SCRIPTS). */
  installScripts: readonly string[];
  /** The provider's browser for render checks (one per server process). */
  renderer: RenderChecker;
  onDestroyed(): void;
}

/** The provider-independent half of a sandbox: validation, exec, install, dev-server supervision, logs, diagnostics. */
export class SandboxCore implements Sandbox {
  readonly projectId: string;
  readonly kind: SandboxKind;
  private readonly hub = new LogHub();
  private readonly running = new Set<Proc>();
  private viteErrors: Diagnostic[] = [];
  /** Errors the preview page reported (uncaught, console.error, failed loads), newest last, bounded. */
  private runtimeErrors: Diagnostic[] = [];
  private dev: DevServerStatus = { state: 'stopped', url: null, restarts: 0, error: null };
  private devProc: Proc | null = null;
  private devStarting: Promise<{ url: string }> | null = null;
  /** Bumped on every explicit start/stop so a stale supervisor loop stops acting. */
  private devGeneration = 0;
  private destroyed = false;
  private readonly lastWrite = new Map<string, number>();

  constructor(
    private readonly backend: Backend,
    private readonly opts: CoreOptions,
  ) {
    this.projectId = backend.projectId;
    this.kind = backend.kind;
  }

  // ---- files ------------------------------------------------------------------------------

  async writeFiles(files: FileWrite[]): Promise<void> {
    this.alive();
    if (!Array.isArray(files)) throw new LatheError('invalid_path', 'files must be an array');
    const checked = new Map<string, Buffer>();
    for (const f of files) {
      if (!f || typeof f.content !== 'string') throw new LatheError('invalid_path', 'each file needs a path and string content');
      const path = this.checkPath(f.path);
      if (f.encoding !== undefined && f.encoding !== 'utf8' && f.encoding !== 'base64') {
        throw new LatheError('invalid_path', `${path}: encoding must be utf8 or base64`);
      }
      const content = Buffer.from(f.content, f.encoding ?? 'utf8');
      if (content.length > this.opts.limits.fileBytes) {
        throw new LatheError('file_too_large', `${path} is ${content.length} bytes; the limit is ${this.opts.limits.fileBytes}`);
      }
      checked.set(path, content);
    }
    if (checked.size === 0) return;
    // Vite's watcher (chokidar) drops a second change of one file within 50 ms: space such writes out
    // so every write reaches the preview.
    const now = Date.now();
    const wait = Math.max(0, ...[...checked.keys()].map((p) => (this.lastWrite.get(p) ?? 0) + WATCH_THROTTLE_MS - now));
    if (wait > 0) await sleep(wait);
    await this.backend.writeFiles(
      [...checked].map(([path, content]) => ({ path, content })),
      this.opts.limits.filesPerProject,
    );
    const done = Date.now();
    for (const p of checked.keys()) this.lastWrite.set(p, done);
    if (this.lastWrite.size > 5000) for (const [p, t] of this.lastWrite) if (t + WATCH_THROTTLE_MS < done) this.lastWrite.delete(p);
  }

  async readFile(path: string): Promise<string> {
    this.alive();
    return (await this.backend.readFile(this.checkPath(path))).toString('utf8');
  }

  async listFiles(): Promise<FileInfo[]> {
    this.alive();
    return this.backend.listFiles();
  }

  async deleteFile(path: string): Promise<void> {
    this.alive();
    await this.backend.deleteFile(this.checkPath(path));
  }

  private checkPath(path: unknown): string {
    if (typeof path !== 'string') throw new LatheError('invalid_path', 'path must be a string');
    const r = checkProjectPath(path);
    if (!r.ok) throw new LatheError(r.code, r.message);
    return r.path;
  }

  // ---- commands -------------------------------------------------------------------------

  async exec(spec: CommandSpec, opts: ExecOptions = {}): Promise<ExecResult> {
    this.alive();
    return this.run(toArgv(spec), 'exec', opts);
  }

  async install(packages: string[], opts: InstallOptions = {}): Promise<InstallResult> {
    this.alive();
    if (!Array.isArray(packages) || packages.length === 0) throw new LatheError('invalid_package', 'no packages to install');
    const specs = packages.map((p) => {
      const r = checkPackageSpec(p);
      if (!r.ok) throw new LatheError(r.code, r.message);
      return r.spec;
    });
    const timeoutMs = opts.timeoutMs ?? INSTALL_TIMEOUT_MS;
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new LatheError('invalid_command', 'timeoutMs must be a positive number');
    const result = await this.opts.heavy.run(async () => {
      this.alive();
      await this.backend.prepareInstall();
      const deadline = Date.now() + timeoutMs;
      const left = () => Math.max(1, deadline - Date.now());
      const exec = (argv: string[]) => this.run([...this.backend.npm, ...argv], 'install', { ...opts, timeoutMs: left() });
      const save = opts.dev ? '--save-dev' : '--save';
      // Scripts never run during the install itself: a package's preinstall/postinstall is code from
      // the registry running with the sandbox's rights. Only allow-listed ones run, afterwards.
      const result = await installAll([...new Set(specs)], {
        npm: (list) => exec(['install', ...NPM_INSTALL_FLAGS, save, '--save-exact', '--', ...list]),
      });
      if (result.installed.length > 0 && this.opts.installScripts.length > 0) {
        const lock = await this.backend.readFile('package-lock.json').catch(() => null);
        const names = lock ? allowedScripts(lock.toString('utf8'), this.opts.installScripts) : [];
        // `--dangerously-allow-all-scripts` lets npm 11's own allowScripts policy through for exactly these names.
        if (names.length > 0) {
          const rebuilt = await exec(['rebuild', '--dangerously-allow-all-scripts', '--', ...names]);
          result.stdout += rebuilt.stdout;
          result.stderr += rebuilt.stderr;
        }
      }
      return result;
    }, opts.signal);
    // A dev server that is running re-bundles new dependencies under pages that already hold the
    // old React (a blank preview, "reading 'useState'"): restart it, so the next load is consistent.
    if (result.installed.length > 0 && this.dev.state === 'running' && !opts.signal?.aborted) await this.restartDevServer();
    return result;
  }

  /** Stops and starts the dev server (the preview proxy waits for the new one). */
  async restartDevServer(): Promise<{ url: string }> {
    await this.stopDevServer();
    return this.startDevServer();
  }

  private async run(argv: string[], source: LogLine['source'], opts: ExecOptions): Promise<ExecResult> {
    const cwd = opts.cwd === undefined || opts.cwd === '' || opts.cwd === '.' ? '' : this.checkPath(opts.cwd);
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(opts.env ?? {})) {
      if (!ENV_NAME.test(k) || typeof v !== 'string' || v.includes('\0'))
        throw new LatheError('invalid_command', `invalid environment variable ${k}`);
      if (PROTECTED_ENV.has(k)) throw new LatheError('invalid_command', `${k} cannot be overridden`);
      env[k] = v;
    }
    const timeoutMs = opts.timeoutMs ?? DEFAULT_EXEC_TIMEOUT_MS;
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new LatheError('invalid_command', 'timeoutMs must be a positive number');
    if (opts.signal?.aborted) return { exitCode: null, stdout: '', stderr: '', timedOut: false, cancelled: true };

    let stdout = '';
    let stderr = '';
    const outLog = this.hub.splitter(source, 'stdout');
    const errLog = this.hub.splitter(source, 'stderr');
    const proc = await this.backend.spawn({
      argv,
      cwd,
      env,
      cpuSeconds: Math.ceil(timeoutMs / 1000) + 5,
      network: source === 'install',
      onStdout: (c) => {
        stdout = capped(stdout + c);
        outLog(c);
        opts.onOutput?.('stdout', c);
      },
      onStderr: (c) => {
        stderr = capped(stderr + c);
        errLog(c);
        opts.onOutput?.('stderr', c);
      },
    });
    this.running.add(proc);
    let timedOut = false;
    let cancelled = false;
    const timer = setTimeout(() => {
      timedOut = true;
      void proc.kill();
    }, timeoutMs);
    const onAbort = () => {
      cancelled = true;
      void proc.kill();
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const exitCode = await proc.exited;
      return { exitCode: timedOut || cancelled ? null : exitCode, stdout, stderr, timedOut, cancelled };
    } finally {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      this.running.delete(proc);
      outLog(null);
      errLog(null);
    }
  }

  // ---- terminal -------------------------------------------------------------------------

  async openShell(opts: ShellOptions): Promise<Shell> {
    this.alive();
    const size = (n: unknown, max: number, name: string) => {
      if (typeof n !== 'number' || !Number.isFinite(n)) throw new LatheError('invalid_command', `${name} must be a number`);
      return Math.max(name === 'cols' ? 2 : 1, Math.min(max, Math.round(n)));
    };
    const shell = await this.backend.openShell({
      cols: size(opts.cols, MAX_COLS, 'cols'),
      rows: size(opts.rows, MAX_ROWS, 'rows'),
      env: SHELL_ENV,
      onOutput: opts.onOutput,
    });
    this.running.add(shell);
    void shell.exited.finally(() => this.running.delete(shell));
    return {
      write: (data) => shell.write(data),
      resize: (cols, rows) => shell.resize(size(cols, MAX_COLS, 'cols'), size(rows, MAX_ROWS, 'rows')),
      exited: shell.exited,
      kill: () => shell.kill(),
    };
  }

  // ---- dev server -----------------------------------------------------------------------

  status(): DevServerStatus {
    return { ...this.dev };
  }

  startDevServer(): Promise<{ url: string }> {
    this.alive();
    if (this.dev.state === 'running' && this.dev.url) return Promise.resolve({ url: this.dev.url });
    if (this.devStarting) return this.devStarting;
    const generation = ++this.devGeneration;
    this.dev = { state: 'starting', url: null, restarts: 0, error: null };
    const starting = this.launchDev(generation).finally(() => {
      if (this.devStarting === starting) this.devStarting = null;
    });
    this.devStarting = starting;
    return starting;
  }

  async stopDevServer(): Promise<void> {
    this.devGeneration++;
    const proc = this.devProc;
    this.devProc = null;
    this.devStarting = null;
    this.dev = { state: 'stopped', url: null, restarts: 0, error: null };
    if (proc) await proc.kill();
    await this.opts.renderer.release(this.projectId);
  }

  private async launchDev(generation: number): Promise<{ url: string }> {
    // Another process may take the port between our check and Vite's bind: try a fresh one.
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.launchDevOnce(generation);
      } catch (e) {
        const lostPort = isLatheError(e) && e.code === 'dev_server_failed' && /EADDRINUSE|already in use/i.test(e.message);
        if (!lostPort || attempt >= 3 || generation !== this.devGeneration) throw e;
      }
    }
  }

  private async launchDevOnce(generation: number): Promise<{ url: string }> {
    // Start-up (until the page is served) is the heavy part; a running dev server idles.
    const release = await this.opts.heavy.acquire();
    try {
      if (generation !== this.devGeneration || this.destroyed)
        throw new LatheError('dev_server_failed', 'the dev server was stopped while starting');
      return await this.launchDevInSlot(generation);
    } finally {
      release();
    }
  }

  private async launchDevInSlot(generation: number): Promise<{ url: string }> {
    const { listen, url } = await this.backend.devEndpoint();
    const nonce = randomUUID();
    this.viteErrors = [];
    const root = this.backend.root;
    const keep = (text: string) => {
      const marker = parseDevMarker(text, root);
      if (marker === undefined) return true;
      const list = marker.source === 'runtime' ? this.runtimeErrors : this.viteErrors;
      if (!list.some((e) => e.message === marker.message && e.file === marker.file)) list.push(marker);
      if (this.runtimeErrors.length > MAX_RUNTIME_ERRORS) this.runtimeErrors.splice(0, this.runtimeErrors.length - MAX_RUNTIME_ERRORS);
      return false;
    };
    const outLog = this.hub.splitter('dev', 'stdout', keep);
    const errLog = this.hub.splitter('dev', 'stderr', keep);
    const proc = await this.backend.spawn({
      argv: [this.backend.node, this.backend.devRunner, root],
      cwd: '',
      env: {
        ...('socket' in listen
          ? { LATHE_DEV_SOCKET: listen.socket }
          : { LATHE_DEV_PORT: String(listen.port), LATHE_DEV_HOST: listen.host }),
        LATHE_DEV_NONCE: nonce,
        NODE_ENV: 'development',
      },
      // A dev server on a unix socket needs no network: its jail gets none (no host ports, no internet).
      network: !('socket' in listen),
      onStdout: outLog,
      onStderr: errLog,
    });
    if (generation !== this.devGeneration || this.destroyed) {
      // Stopped while the process was being spawned: it must not outlive the stop.
      await proc.kill();
      throw new LatheError('dev_server_failed', 'the dev server was stopped while starting');
    }
    this.devProc = proc;
    let exited = false;
    void proc.exited.then(() => {
      exited = true;
      outLog(null);
      errLog(null);
      if (generation === this.devGeneration && this.devProc === proc) void this.onDevExit(generation);
    });
    const deadline = Date.now() + DEV_READY_TIMEOUT_MS;
    while (!exited && Date.now() < deadline && generation === this.devGeneration) {
      if (await answersWith(`${url}/__lathe/ready`, nonce)) {
        // Ready means the app's page is served, not just the port: load it once (this also warms
        // Vite's module graph, so the preview's first load is fast).
        await fetch(url, { signal: AbortSignal.timeout(30_000) })
          .then((r) => r.arrayBuffer())
          .catch(() => undefined);
        if (generation !== this.devGeneration) break;
        this.dev = { ...this.dev, state: 'running', url, error: null };
        return { url };
      }
      await sleep(100);
    }
    if (generation !== this.devGeneration) throw new LatheError('dev_server_failed', 'the dev server was stopped while starting');
    if (!exited) {
      this.devProc = null;
      await proc.kill();
    }
    const tail = this.hub
      .recent()
      .filter((l) => l.source === 'dev' && l.text.trim() !== '')
      .slice(-20)
      .map((l) => l.text)
      .join('\n');
    const message = exited
      ? `the dev server exited before answering HTTP\n${tail}`
      : `the dev server did not answer within ${DEV_READY_TIMEOUT_MS} ms`;
    this.dev = { ...this.dev, state: 'failed', url: null, error: message };
    throw new LatheError('dev_server_failed', message);
  }

  /** A running dev server died on its own: restart with backoff, up to the limit. */
  private async onDevExit(generation: number): Promise<void> {
    if (this.dev.state !== 'running' || this.destroyed) return;
    this.devProc = null;
    const url = this.dev.url;
    let restarts = this.dev.restarts;
    while (restarts < this.opts.maxRestarts) {
      restarts++;
      this.dev = { state: 'restarting', url, restarts, error: null };
      await sleep(Math.min(250 * 2 ** (restarts - 1), 5000));
      if (generation !== this.devGeneration || this.destroyed) return;
      const attempt = this.launchDev(generation);
      this.devStarting = attempt;
      try {
        await attempt;
        return;
      } catch {
        if (generation !== this.devGeneration) return;
      } finally {
        if (this.devStarting === attempt) this.devStarting = null;
      }
    }
    this.dev = { state: 'failed', url: null, restarts, error: `the dev server kept crashing (${restarts} restarts)` };
  }

  // ---- logs & diagnostics ---------------------------------------------------------------

  logs(): AsyncIterable<LogLine> {
    return this.hub.follow();
  }

  recentLogs(): LogLine[] {
    return this.hub.recent();
  }

  /**
   * Loads the running dev server's page in headless Chromium (in a heavy slot) and reports what
   * the browser saw: runtime errors with file and line where the stack gives them, a blank page,
   * a thumbnail. Runtime errors reported earlier are dropped first.
   */
  async renderCheck(opts: { signal?: AbortSignal } = {}): Promise<RenderCheckResult> {
    this.alive();
    const { url } = await this.startDevServer();
    return this.opts.heavy.run(async () => {
      this.runtimeErrors = [];
      const result = await this.opts.renderer.check(this.projectId, url, () => [...this.runtimeErrors], opts.signal);
      // The page's reports reach us through the dev server's output, a moment after the page sent
      // them: wait for as many as it sent (duplicates are merged, so not forever).
      const until = Date.now() + REPORT_WAIT_MS;
      while (this.runtimeErrors.length < result.reportsSent && Date.now() < until) await sleep(25);
      if (result.status !== 'checked' || this.runtimeErrors.length === 0) return result;
      // The page's reports carry file and line: they replace what the browser alone saw of the same error.
      const reported = [...this.runtimeErrors];
      const others = result.diagnostics.filter((d) => !reported.some((r) => d.message.includes(r.message)));
      return { ...result, diagnostics: [...reported, ...others] };
    }, opts.signal);
  }

  async diagnostics(opts: { signal?: AbortSignal } = {}): Promise<Diagnostic[]> {
    this.alive();
    return this.opts.heavy.run(() => this.diagnosticsInSlot(opts), opts.signal);
  }

  private async diagnosticsInSlot(opts: { signal?: AbortSignal }): Promise<Diagnostic[]> {
    this.alive();
    // Vite errors come from a fresh sweep of the running dev server; without one there are none to trust.
    const devUrl = this.dev.state === 'running' ? this.dev.url : null;
    if (devUrl) await this.transformAll(devUrl, await this.backend.listFiles(), opts.signal);
    const tscEntry = 'node_modules/typescript/bin/tsc';
    const res = await this.run([this.backend.node, tscEntry, '--noEmit', '--pretty', 'false'], 'exec', {
      timeoutMs: 180_000,
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    if (res.cancelled) throw new LatheError('cancelled', 'diagnostics were cancelled');
    const tsc = parseTscOutput(res.stdout);
    if (res.exitCode !== 0 && tsc.length === 0) {
      tsc.push({ source: 'tsc', file: null, line: null, column: null, message: (res.stderr || res.stdout || 'tsc failed').slice(0, 4000) });
    }
    return devUrl ? [...tsc, ...this.viteErrors] : tsc;
  }

  /**
   * Asks the dev server for the page and every source module, as a browser would, so Vite reports
   * the errors of files no browser has loaded yet. Errors arrive as dev-server markers (read while
   * tsc runs); earlier ones are dropped first, so fixed or deleted files leave nothing stale.
   */
  private async transformAll(url: string, files: FileInfo[], signal: AbortSignal | undefined): Promise<void> {
    this.viteErrors = [];
    const paths = ['', ...files.map((f) => f.path).filter((p) => SOURCE_MODULE.test(p))].slice(0, MAX_SWEEP_FILES);
    let next = 0;
    const worker = async () => {
      while (next < paths.length && !signal?.aborted) {
        const path = paths[next++];
        const timeout = AbortSignal.timeout(15_000);
        await fetch(`${url}/${path}`, { signal: signal ? AbortSignal.any([signal, timeout]) : timeout })
          .then((r) => r.arrayBuffer())
          .catch(() => undefined);
      }
    };
    await Promise.all([worker(), worker(), worker()]);
  }

  // ---- lifecycle ------------------------------------------------------------------------

  /** Stops every process (dev server and running commands). */
  async stopAll(): Promise<void> {
    await this.stopDevServer();
    await Promise.all([...this.running].map((p) => p.kill()));
  }

  async destroy(): Promise<void> {
    if (this.destroyed) return;
    // Refuse new work first, so nothing starts while the processes are being stopped.
    this.destroyed = true;
    await this.stopAll();
    this.hub.close();
    await this.backend.remove();
    this.opts.onDestroyed();
  }

  async shutdown(): Promise<void> {
    await this.stopAll();
    await this.backend.release();
  }

  private alive(): void {
    if (this.destroyed) throw new LatheError('sandbox_destroyed', `the sandbox of project ${this.projectId} was destroyed`);
  }
}

function toArgv(spec: CommandSpec): string[] {
  if (spec && 'argv' in spec && Array.isArray(spec.argv)) {
    if (spec.argv.length === 0 || spec.argv.some((a) => typeof a !== 'string' || a.includes('\0'))) {
      throw new LatheError('invalid_command', 'argv must be a non-empty list of strings without NUL');
    }
    return spec.argv;
  }
  if (spec && 'shell' in spec && typeof spec.shell === 'string' && spec.shell.trim() && !spec.shell.includes('\0')) {
    return ['sh', '-c', spec.shell];
  }
  throw new LatheError('invalid_command', 'a command is { argv: string[] } or { shell: string }');
}

function capped(s: string): string {
  return s.length > MAX_CAPTURE_CHARS ? s.slice(s.length - MAX_CAPTURE_CHARS) : s;
}

async function answersWith(url: string, expected: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000), redirect: 'manual' });
    return (await res.text()) === expected;
  } catch {
    return false;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
