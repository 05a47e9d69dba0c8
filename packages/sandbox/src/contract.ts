import type { Diagnostic } from '@lathe/protocol';
import type { RenderCheckConfig, RenderCheckResult } from './render-check';

export type { RenderCheckConfig, RenderCheckResult };

/**
 * The sandbox contract: what the agent and the API may ask of a project's sandbox.
 * Every failure is a LatheError with a stable code (see `SandboxErrorCode`).
 */

export type SandboxKind = 'local' | 'docker';

export type SandboxErrorCode =
  | 'invalid_path'
  | 'path_too_long'
  | 'file_too_large'
  | 'too_many_files'
  | 'not_found'
  | 'invalid_package'
  | 'invalid_manifest'
  | 'invalid_command'
  | 'invalid_project_id'
  | 'sandbox_exists'
  | 'sandbox_destroyed'
  | 'dev_server_failed'
  | 'cancelled'
  | 'no_free_port'
  | 'docker_unavailable'
  | 'shell_unavailable'
  | 'sandbox_error';

export interface FileWrite {
  /** Project-relative POSIX path, e.g. `src/App.tsx`. */
  path: string;
  content: string;
  /** How `content` holds the bytes: text (the default), or a binary in base64. */
  encoding?: 'utf8' | 'base64';
}

export interface FileInfo {
  path: string;
  size: number;
}

/** A command: argv (no shell) or a shell line run by `sh -c`. */
export type CommandSpec = { argv: string[] } | { shell: string };

export type OutputStream = 'stdout' | 'stderr';

export interface ExecOptions {
  /** Project-relative working directory (checked like any path). Default: project root. */
  cwd?: string;
  /** Extra variables; names must be `[A-Za-z_][A-Za-z0-9_]*`. Server secrets are never inherited. */
  env?: Record<string, string>;
  /** Default 120 000 ms. The whole process group is killed when it elapses. */
  timeoutMs?: number;
  signal?: AbortSignal;
  onOutput?: (stream: OutputStream, text: string) => void;
}

export interface ExecResult {
  /** null when the process was killed by a signal (timeout, cancel, limit). */
  exitCode: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  cancelled: boolean;
}

export type InstallOptions = Pick<ExecOptions, 'timeoutMs' | 'signal' | 'onOutput'> & {
  /** Save as devDependencies instead of dependencies. */
  dev?: boolean;
};

/** A requested package that is not in the project after `install()`, and why. */
export interface SkippedPackage {
  /** The spec as it was asked for, e.g. `left-pad@^1.3.0`. */
  spec: string;
  /** For people (the user, the fixer model): e.g. "not found in the npm registry", "peer dependency conflict". */
  reason: string;
}

/**
 * What an install did. Every requested spec ends up in exactly one of `installed` and `skipped`.
 * `exitCode` is 0 when npm itself worked (a package of its own making, such as an unknown name, is
 * only skipped); otherwise it is npm's failing code (null: timed out or cancelled) and the specs
 * not yet installed are skipped with that failure as the reason. `stdout`/`stderr` hold every npm
 * run of the install, in order.
 */
export interface InstallResult extends ExecResult {
  installed: string[];
  skipped: SkippedPackage[];
}

export type DevServerState = 'stopped' | 'starting' | 'running' | 'restarting' | 'failed';

/** The dev-server states in which a sandbox holds its resources. */
export const LIVE_DEV_SERVER_STATES: ReadonlySet<DevServerState> = new Set(['starting', 'running', 'restarting']);

export interface DevServerStatus {
  state: DevServerState;
  /** Host URL of the dev server (for the preview proxy) while starting/running. */
  url: string | null;
  /** Restarts after crashes since the last explicit start. */
  restarts: number;
  /** Why it failed, when state is 'failed'. */
  error: string | null;
}

export interface LogLine {
  source: 'install' | 'dev' | 'exec';
  stream: OutputStream;
  text: string;
  /** ms since epoch */
  time: number;
}

export interface ShellOptions {
  /** Terminal size in character cells (clamped to 2–500 columns, 1–200 rows). */
  cols: number;
  rows: number;
  /** Everything the terminal shows (the shell's output and the echo of its input), as it comes. */
  onOutput(text: string): void;
}

/**
 * An interactive shell inside the sandbox, on a pseudo-terminal: a `docker exec` with a TTY in the
 * container, `script(1)` inside the bubblewrap jail for the local provider. Never a host shell.
 */
export interface Shell {
  /** Keystrokes and pasted text, as a terminal sends them (`\r` for Enter, `\x03` for Ctrl+C). */
  write(data: string): void;
  resize(cols: number, rows: number): void;
  /** The shell's exit code; null when it was killed. */
  readonly exited: Promise<number | null>;
  /** Ends the shell and everything it started; resolves once they are gone. */
  kill(): Promise<void>;
}

export interface Sandbox {
  readonly projectId: string;
  readonly kind: SandboxKind;

  /** Writes all files or none: every path/size/count is checked before the first write; each write is temp file + rename. */
  writeFiles(files: FileWrite[]): Promise<void>;
  readFile(path: string): Promise<string>;
  /** Project files (node_modules, .git, .vite and dist are left out), sorted by path. */
  listFiles(): Promise<FileInfo[]>;
  deleteFile(path: string): Promise<void>;

  exec(spec: CommandSpec, opts?: ExecOptions): Promise<ExecResult>;
  /**
   * Installs validated specs (name with optional version range; anything else is `invalid_package`,
   * nothing installed): one `npm install --legacy-peer-deps --ignore-scripts` for the set; when it
   * fails, specs npm names as unknown are skipped and the rest retried, then one spec at a time.
   * Install scripts never run, except those of the provider's allow-list (`SandboxConfig.installScripts`).
   * `timeoutMs` (default 300 000) bounds the whole install.
   */
  install(packages: string[], opts?: InstallOptions): Promise<InstallResult>;

  /** Resolves once the dev server answers HTTP. Idempotent while running. */
  startDevServer(): Promise<{ url: string }>;
  stopDevServer(): Promise<void>;
  status(): DevServerStatus;

  /** Live log lines from now on; ends when the sandbox is destroyed or the iteration is broken. */
  logs(): AsyncIterable<LogLine>;
  /** The most recent lines (bounded buffer). */
  recentLogs(): LogLine[];

  /** `tsc --noEmit` errors plus Vite build / overlay errors seen in the dev server output. */
  diagnostics(opts?: { signal?: AbortSignal }): Promise<Diagnostic[]>;
  /**
   * Starts the dev server if needed, loads its page in headless Chromium and reports runtime
   * errors, a blank page and a thumbnail ('skipped' with a note when no browser is installed).
   */
  renderCheck(opts?: { signal?: AbortSignal }): Promise<RenderCheckResult>;
  /** Restarts a running dev server (after installs, so pages never mix old and new dependencies). */
  restartDevServer(): Promise<{ url: string }>;
  /**
   * An interactive shell in the project's directory, confined like every other process of the
   * sandbox. `shell_unavailable` where the provider cannot confine one (local without bubblewrap).
   */
  openShell(opts: ShellOptions): Promise<Shell>;
}

export interface CreateOptions {
  /** Template to start from. Only 'react-vite' exists. */
  template?: 'react-vite';
}

export interface SandboxProvider {
  readonly kind: SandboxKind;
  /** Creates the project's sandbox from the template; `sandbox_exists` if it is already there. */
  create(projectId: string, opts?: CreateOptions): Promise<Sandbox>;
  /** The existing sandbox (adopted from disk / a labelled container after a restart), or null. */
  get(projectId: string): Promise<Sandbox | null>;
  /** Convenience: get, or create when missing. */
  open(projectId: string, opts?: CreateOptions): Promise<Sandbox>;
  list(): Promise<string[]>;
  /**
   * Projects whose dev server this provider runs now (starting, running or restarting): the
   * sandboxes holding memory and CPU. Adopts nothing and touches no disk or engine.
   */
  live(): string[];
  /** Stops every process and removes the directory / container. No-op when missing. */
  destroy(projectId: string): Promise<void>;
  /** Stops every process this provider started (server exit). Files and containers' data stay. */
  shutdown(): Promise<void>;
}

export interface SandboxLimits {
  /** Per-file byte limit. Default LIMITS.fileBytes (1 MiB). */
  fileBytes: number;
  /** Per-project file count (excluding node_modules). Default LIMITS.filesPerProject. */
  filesPerProject: number;
  /** Docker memory limit in bytes / local address-space limit. */
  memoryBytes: number;
  /** Docker CPU limit (cores). */
  cpus: number;
  /** Max processes (Docker pids limit; local RLIMIT_NPROC applies per uid, so it is generous). */
  pids: number;
  /** Docker: size of a container's writable layer, where the engine supports it; 0 = none. */
  diskBytes: number;
}

export interface SandboxConfig {
  kind: SandboxKind;
  /** Root for projects, the template store and the npm cache. */
  dataDir: string;
  /** Inclusive host port range for dev servers. Default [41000, 41999]. */
  portRange?: [number, number];
  /** Docker image. Default 'lathe/sandbox:local'. */
  image?: string;
  limits?: Partial<SandboxLimits>;
  /** Restarts of a crashed dev server before giving up. Default 3. */
  maxRestarts?: number;
  /** Installs, dev-server start-ups and type checks running at once across all sandboxes (default: CPU cores − 1, at least 1). */
  heavySlots?: number;
  /**
   * Packages (names, no ranges) whose install scripts run after an install; every other package's
   * scripts never run. Default DEFAULT_INSTALL_SCRIPTS. [] runs none.
   */
  installScripts?: string[];
  /** The browser for render checks. Default: no browser (checks are skipped with a note). */
  renderCheck?: RenderCheckConfig;
}
