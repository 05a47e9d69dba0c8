import type { FileInfo, SandboxKind, Shell } from './contract';

/** A running process (group) inside a sandbox. */
export interface Proc {
  /** Exit code, or null when killed by a signal. */
  readonly exited: Promise<number | null>;
  /** Kills the whole process group; resolves once it is gone. */
  kill(): Promise<void>;
}

export interface SpawnRequest {
  argv: string[];
  /** Project-relative, already checked; '' for the root. */
  cwd: string;
  env: Record<string, string>;
  /** CPU-time limit (local provider; Docker relies on its cgroup limits). */
  cpuSeconds?: number;
  /**
   * Whether the process needs the network: installs (the registry) and the dev server (the host
   * reaches its port). A jailed local process without it gets a network namespace of its own.
   */
  network?: boolean;
  onStdout(chunk: string): void;
  onStderr(chunk: string): void;
}

/**
 * A TCP port, or (a jailed local dev server, which has no network of its own) a unix socket that
 * the backend forwards the URL's port to.
 */
export type DevListen = { port: number; host: string } | { socket: string };

export interface ShellRequest {
  cols: number;
  rows: number;
  env: Record<string, string>;
  onOutput(text: string): void;
}

/**
 * What differs between the local and Docker providers. Paths given to a backend are already
 * normalised by checkProjectPath; the backend adds the filesystem checks (symlinks) and does the I/O.
 */
export interface Backend {
  readonly kind: SandboxKind;
  readonly projectId: string;
  /** Absolute project root as the processes see it (for turning tool output into relative paths). */
  readonly root: string;
  /** Writes all or nothing; `too_many_files` when the project would exceed `maxFiles`. */
  writeFiles(files: { path: string; content: Buffer }[], maxFiles: number): Promise<void>;
  readFile(path: string): Promise<Buffer>;
  listFiles(): Promise<FileInfo[]>;
  deleteFile(path: string): Promise<void>;
  /** Starts a process; rejects (nothing started) when the working directory is not a real project directory. */
  spawn(req: SpawnRequest): Promise<Proc>;
  /** An interactive shell on a pseudo-terminal in the project root (size already checked). */
  openShell(req: ShellRequest): Promise<Shell>;
  /** argv prefix that runs Node (e.g. ['/opt/node22/bin/node']). */
  readonly node: string;
  /** argv that runs npm. */
  readonly npm: string[];
  /** The dev-server runner script's path as processes see it. */
  readonly devRunner: string;
  /** Where the dev server listens (as its process sees it) and the URL the host reaches it at. */
  devEndpoint(): Promise<{ listen: DevListen; url: string }>;
  /** Gives the project its own node_modules before a first install (the template store stays untouched). */
  prepareInstall(): Promise<void>;
  /** Removes the directory / container. Processes are already stopped. */
  remove(): Promise<void>;
  /** Releases what a live backend holds (ports, connections) without removing data. */
  release(): Promise<void>;
}
