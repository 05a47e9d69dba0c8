import { randomUUID } from 'node:crypto';
import { existsSync, readlinkSync, realpathSync } from 'node:fs';
import { cp, lstat, mkdir, readdir, rename, rm, stat, symlink, unlink, writeFile } from 'node:fs/promises';
import { delimiter, dirname, join, sep } from 'node:path';
import { LatheError } from '@lathe/protocol';
import type { Backend, DevListen, Proc, ShellRequest, SpawnRequest } from '../backend';
import {
  type CreateOptions,
  type FileInfo,
  LIVE_DEV_SERVER_STATES,
  type Sandbox,
  type SandboxLimits,
  type SandboxProvider,
  type Shell,
} from '../contract';
import { type NpmSettings, sandboxEnv } from '../env';
import { findNode, findNpmCli, readNpmSettings } from '../host';
import { checkProjectId } from '../ids';
import { isPortFree, PortPool } from '../ports';
import type { RenderChecker } from '../render-check';
import { SandboxCore } from '../sandbox-core';
import { Slots } from '../slots';
import { DEV_RUNNER, TEMPLATE_DIR, templateKey } from '../template';
import { checkProjectDir, deleteProjectFile, listProjectFiles, readProjectFile, writeProjectFiles } from './files';
import { type Forwarder, forwardToSocket } from './forward';
import { type JailBind, type JailProbe, jailArgv, probeJail } from './jail';
import { reapOrphans, runToEnd, spawnGroup } from './process';
import { type RegistryProxy, registryTarget, startRegistryProxy } from './registry-proxy';

/** RLIMIT_NPROC counts every process of the user, not just the sandbox's, so it only stops runaway forks. */
const LOCAL_NPROC = 4096;
const LOCAL_NOFILE = 4096;
const LOCAL_NICE = 10;
const TEMPLATE_INSTALL_TIMEOUT_MS = 10 * 60_000;
/**
 * Where Vite writes a project's bundled vite.config, next to the nearest node_modules: in the
 * read-only store when the project still links to it. Jails mount the project's own scratch
 * folder over it, so it must exist in the store as a mount point.
 */
const VITE_TEMP = 'node_modules/.vite-temp';
/** Where a jailed dev server sees its socket directory, and the socket's name in it. */
const JAIL_DEV_DIR = '/run/lathe-dev';
const DEV_SOCKET = 'dev.sock';
const REGISTRY_SOCKET = 'registry.sock';
/** Runs a jailed install or shell with the registry proxy as its only network. */
const NET_BRIDGE = join(dirname(DEV_RUNNER), 'net-bridge.mjs');
/** Names for the jail's users (git, `whoami` and os.userInfo() need one), none of the host's. */
const JAIL_PASSWD =
  'root:x:0:0:root:/root:/bin/sh\nlathe:x:1000:1000:Lathe sandbox:/tmp:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n';
const JAIL_GROUP = 'root:x:0:\nlathe:x:1000:\nnogroup:x:65534:\n';
/**
 * Runs inside the jail: a loop applying "rows cols" lines from fd 3 to the pty, started twice
 * removed so that it is nobody's child but the jail's init (script(1) would wait for it), then
 * script(1) in the foreground (a background job would ignore Ctrl+C), giving the shell (bash when
 * the system has it) its pty. When the shell exits the jail ends, and the loop with it.
 */
const SHELL_LAUNCHER = [
  '( (while read -r r c; do stty -F /dev/pts/0 rows "$r" cols "$c" 2>/dev/null; done <&3) & )',
  `exec script -qfec 'stty rows "$LATHE_ROWS" cols "$LATHE_COLS" 2>/dev/null; if command -v bash >/dev/null 2>&1; then PS1="$ " exec bash --noprofile --norc -i; else PS1="$ " exec sh -i; fi' /dev/null 3<&-`,
].join('\n');

export interface LocalProviderOptions {
  dataDir: string;
  portRange: [number, number];
  limits: SandboxLimits;
  /** Address-space limit per process (bytes). */
  addressSpaceBytes: number;
  maxRestarts: number;
  /** How many installs, dev-server start-ups and type checks run at once across all sandboxes. */
  heavySlots: number;
  /** Package names whose install scripts may run (after an install, by `npm rebuild`). */
  installScripts: readonly string[];
  renderer: RenderChecker;
}

/** Projects as directories under `<dataDir>/projects`, processes as limited process groups on this host. */
export class LocalProvider implements SandboxProvider {
  readonly kind = 'local' as const;
  private readonly sandboxes = new Map<string, SandboxCore>();
  private readonly ports: PortPool;
  private readonly heavy: Slots;
  private readonly node = findNode();
  private readonly npmCli = findNpmCli();
  private npmSettings: Promise<NpmSettings> | null = null;
  private store: Promise<string> | null = null;
  private jail: Promise<JailProbe> | null = null;
  private etc: Promise<string> | null = null;
  private script: boolean | null = null;
  readonly projectsDir: string;
  readonly templatesDir: string;
  readonly npmCacheDir: string;
  /**
   * What jailed projects write outside their directory, one folder each: their own npm cache (a
   * shared one would let one project poison another's installs) and Vite's config scratch.
   */
  readonly scratchDir: string;

  constructor(private readonly opts: LocalProviderOptions) {
    this.ports = new PortPool(opts.portRange);
    this.heavy = new Slots(opts.heavySlots);
    this.projectsDir = join(opts.dataDir, 'projects');
    this.templatesDir = join(opts.dataDir, 'templates');
    this.npmCacheDir = join(opts.dataDir, 'npm-cache');
    this.scratchDir = join(opts.dataDir, 'scratch');
  }

  /** Whether script(1), which gives a jailed shell its terminal, is installed. */
  hasScript(): boolean {
    this.script ??= (process.env.PATH ?? '').split(delimiter).some((dir) => dir !== '' && existsSync(join(dir, 'script')));
    return this.script;
  }

  /** Whether this provider's processes run inside bubblewrap (probed once). */
  confinement(): Promise<JailProbe> {
    this.jail ??= probeJail();
    return this.jail;
  }

  async create(projectId: string, _opts: CreateOptions = {}): Promise<Sandbox> {
    checkProjectId(projectId);
    const root = join(this.projectsDir, projectId);
    if (await exists(root)) throw new LatheError('sandbox_exists', `project ${projectId} already has a sandbox`);
    const store = await this.templateStore();
    const tmp = join(this.projectsDir, `.tmp-${randomUUID()}`);
    await mkdir(tmp, { recursive: true });
    try {
      await cp(TEMPLATE_DIR, tmp, {
        recursive: true,
        filter: (src) => !/[/\\](node_modules|\.vite|dist)([/\\]|$)/.test(src.slice(TEMPLATE_DIR.length - 1)),
      });
      // Dependencies come from the shared store by reference; the first install gives the project its own copy.
      await symlink(join(store, 'node_modules'), join(tmp, 'node_modules'), 'dir');
      await rename(tmp, root);
    } catch (e) {
      await rm(tmp, { recursive: true, force: true });
      if ((e as NodeJS.ErrnoException).code === 'ENOTEMPTY' || (e as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new LatheError('sandbox_exists', `project ${projectId} already has a sandbox`);
      }
      throw e;
    }
    return this.attach(projectId);
  }

  async get(projectId: string): Promise<Sandbox | null> {
    checkProjectId(projectId);
    const live = this.sandboxes.get(projectId);
    if (live) return live;
    const root = join(this.projectsDir, projectId);
    if (!(await exists(root))) return null;
    // A concurrent caller may have adopted it meanwhile.
    const adopted = this.sandboxes.get(projectId);
    if (adopted) return adopted;
    // Adopting after a restart: nothing from the previous server may keep running unsupervised.
    reapOrphans(root);
    return this.attach(projectId);
  }

  async open(projectId: string, opts: CreateOptions = {}): Promise<Sandbox> {
    return (await this.get(projectId)) ?? this.create(projectId, opts);
  }

  live(): string[] {
    return [...this.sandboxes].filter(([, s]) => LIVE_DEV_SERVER_STATES.has(s.status().state)).map(([id]) => id);
  }

  async list(): Promise<string[]> {
    try {
      return (await readdir(this.projectsDir)).filter((n) => !n.startsWith('.')).sort();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
  }

  async destroy(projectId: string): Promise<void> {
    checkProjectId(projectId);
    const live = this.sandboxes.get(projectId);
    if (live) await live.destroy();
    else {
      await rm(join(this.projectsDir, projectId), { recursive: true, force: true });
      await rm(join(this.scratchDir, projectId), { recursive: true, force: true });
    }
  }

  async shutdown(): Promise<void> {
    await Promise.all([...this.sandboxes.values()].map((s) => s.shutdown()));
    this.sandboxes.clear();
    await this.opts.renderer.close();
  }

  /** The installed template dependencies, installed once per template version (npm, shared cache). */
  templateStore(): Promise<string> {
    if (!this.store) {
      this.store = this.installStore().catch((e) => {
        this.store = null;
        throw e;
      });
    }
    return this.store;
  }

  private async installStore(): Promise<string> {
    const dir = join(this.templatesDir, `react-vite-${templateKey()}`);
    if (await exists(join(dir, '.ready'))) {
      await mkdir(join(dir, VITE_TEMP), { recursive: true });
      return dir;
    }
    const tmp = join(this.templatesDir, `.tmp-${randomUUID()}`);
    await mkdir(tmp, { recursive: true });
    try {
      await cp(join(TEMPLATE_DIR, 'package.json'), join(tmp, 'package.json'));
      await cp(join(TEMPLATE_DIR, 'package-lock.json'), join(tmp, 'package-lock.json'));
      await runToEnd(
        // The template needs no install scripts; none run on the host.
        [this.node, this.npmCli, 'install', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline'],
        tmp,
        await this.env(tmp),
        TEMPLATE_INSTALL_TIMEOUT_MS,
      );
      await mkdir(join(tmp, VITE_TEMP), { recursive: true });
      await writeFile(join(tmp, '.ready'), new Date().toISOString());
      await rename(tmp, dir);
    } catch (e) {
      await rm(tmp, { recursive: true, force: true });
      // Another process finished the same store first: use it.
      if (await exists(join(dir, '.ready'))) return dir;
      throw new LatheError('sandbox_error', `installing the template's dependencies failed: ${(e as Error).message}`);
    }
    return dir;
  }

  private async env(home: string, npmCache = this.npmCacheDir): Promise<Record<string, string>> {
    this.npmSettings ??= readNpmSettings(this.node, this.npmCli);
    const path = [dirname(this.node), ...(process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin').split(delimiter)].join(delimiter);
    return sandboxEnv(process.env, { PATH: path, HOME: home, npm_config_cache: npmCache }, await this.npmSettings);
  }

  private attach(projectId: string): SandboxCore {
    const root = join(this.projectsDir, projectId);
    const backend = new LocalBackend(projectId, root, this, this.ports, this.opts);
    const core = new SandboxCore(backend, {
      limits: this.opts.limits,
      maxRestarts: this.opts.maxRestarts,
      heavy: this.heavy,
      installScripts: this.opts.installScripts,
      renderer: this.opts.renderer,
      onDestroyed: () => this.sandboxes.delete(projectId),
    });
    this.sandboxes.set(projectId, core);
    return core;
  }

  /** For the backend: the scrubbed environment, node and npm. */
  processEnv(home: string, npmCache?: string): Promise<Record<string, string>> {
    return this.env(home, npmCache);
  }

  /**
   * For the backend: what a jailed process of the project at `root` may see besides the system's
   * files: Node, npm and the dev runner read-only, the template store its node_modules links to
   * read-only, the project and its own scratch folder read-write. Nothing else of the data dir.
   */
  async jailBinds(root: string, scratch: string, env: Record<string, string>): Promise<JailBind[]> {
    const ro = (path: string): JailBind => ({ from: path, to: path, writable: false });
    // Node's directory as PATH names it (under Bun, often a bin/ of links) and its real install
    // prefix; npm's package; the dev-server runner.
    const nodeDirs = [dirname(this.node), dirname(dirname(realpathSync(this.node)))];
    const binds = [...nodeDirs, dirname(dirname(this.npmCli)), dirname(DEV_RUNNER)].map(ro);
    for (const name of ['NODE_EXTRA_CA_CERTS', 'SSL_CERT_FILE', 'npm_config_cafile']) {
      const file = env[name];
      if (file?.startsWith('/')) binds.push(ro(file));
    }
    const etc = await this.jailEtc();
    binds.push(
      { from: join(etc, 'passwd'), to: '/etc/passwd', writable: false },
      { from: join(etc, 'group'), to: '/etc/group', writable: false },
    );
    binds.push(
      { from: root, to: root, writable: true },
      { from: join(scratch, 'npm'), to: join(scratch, 'npm'), writable: true },
      // Where the dev server puts its socket (the jail's only way to be reached).
      { from: join(scratch, 'dev'), to: JAIL_DEV_DIR, writable: true },
    );
    const store = this.storeLinkedFrom(root);
    if (store) {
      binds.push(ro(store), { from: join(scratch, 'vite-temp'), to: join(dirname(store), VITE_TEMP), writable: true });
    }
    return binds;
  }

  private jailEtc(): Promise<string> {
    this.etc ??= (async () => {
      const dir = join(this.opts.dataDir, 'jail-etc');
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, 'passwd'), JAIL_PASSWD);
      await writeFile(join(dir, 'group'), JAIL_GROUP);
      return dir;
    })().catch((e) => {
      this.etc = null;
      throw e;
    });
    return this.etc;
  }

  /**
   * The store directory a project's node_modules link names, only when it is one of ours: the link
   * is writable by the project's own commands, and must never bind an arbitrary host path.
   */
  private storeLinkedFrom(root: string): string | null {
    let target: string;
    try {
      target = readlinkSync(join(root, 'node_modules'));
    } catch {
      return null;
    }
    const rest = target.startsWith(this.templatesDir + sep) ? target.slice(this.templatesDir.length + 1) : '';
    return /^react-vite-[0-9a-f]{12}\/node_modules$/.test(rest) ? target : null;
  }
  get nodePath(): string {
    return this.node;
  }
  get npmArgv(): string[] {
    return [this.node, this.npmCli];
  }
}

class LocalBackend implements Backend {
  readonly kind = 'local' as const;
  readonly node: string;
  readonly npm: string[];
  readonly devRunner = DEV_RUNNER;
  private port: number | null = null;
  /** Jailed: the host's port carried to the dev server's socket. */
  private forwarder: Forwarder | null = null;
  /** Jailed: installs' and the terminal's only way out, to the npm registry. */
  private proxy: Promise<RegistryProxy> | null = null;
  /** The project's own writable folder outside its directory (used when jailed). */
  private readonly scratch: string;

  constructor(
    readonly projectId: string,
    readonly root: string,
    private readonly provider: LocalProvider,
    private readonly ports: PortPool,
    private readonly opts: LocalProviderOptions,
  ) {
    this.node = provider.nodePath;
    this.npm = provider.npmArgv;
    this.scratch = join(provider.scratchDir, projectId);
  }

  writeFiles(files: { path: string; content: Buffer }[], maxFiles: number): Promise<void> {
    return writeProjectFiles(this.root, files, maxFiles);
  }
  readFile(path: string): Promise<Buffer> {
    return readProjectFile(this.root, path, this.opts.limits.fileBytes);
  }
  listFiles(): Promise<FileInfo[]> {
    return listProjectFiles(this.root);
  }
  deleteFile(path: string): Promise<void> {
    return deleteProjectFile(this.root, path);
  }

  async spawn(req: SpawnRequest): Promise<Proc> {
    const cwd = await checkProjectDir(this.root, req.cwd);
    const { prefix, env } = await this.confine(cwd, req.network === true, req.cpuSeconds);
    return spawnGroup({ argv: [...prefix, ...req.argv], cwd, env: { ...env, ...req.env }, onStdout: req.onStdout, onStderr: req.onStderr });
  }

  /**
   * A shell on a pseudo-terminal that `script(1)` opens inside the jail (its devpts is the jail's
   * own, so the terminal is /dev/pts/0 there). Resizes arrive as "rows cols" lines on fd 3 and are
   * applied with stty. Without bubblewrap there is no confined shell to give: `shell_unavailable`.
   */
  async openShell(req: ShellRequest): Promise<Shell> {
    const probe = await this.provider.confinement();
    if (!probe.confined) {
      throw new LatheError(
        'shell_unavailable',
        `the terminal needs bubblewrap to confine its shell to the project, and this server has none (${probe.reason}); use the Docker sandbox or install bubblewrap`,
      );
    }
    if (!this.provider.hasScript()) {
      throw new LatheError('shell_unavailable', 'the terminal needs script(1) from util-linux on the server to give the shell a terminal');
    }
    const cwd = await checkProjectDir(this.root, '');
    // The template store is read-only in the jail: the project gets its own node_modules first, so
    // an `npm install` typed in the terminal works (as before the agent's first install).
    await this.prepareInstall();
    // Network on, as for installs: the terminal is where a user runs the install the agent missed.
    const { prefix, env } = await this.confine(cwd, true, undefined);
    const proc = spawnGroup({
      argv: [...prefix, 'sh', '-c', SHELL_LAUNCHER, 'lathe-shell'],
      cwd,
      env: { ...env, ...req.env, LATHE_ROWS: String(req.rows), LATHE_COLS: String(req.cols) },
      onStdout: req.onOutput,
      onStderr: req.onOutput,
      interactive: true,
    });
    return {
      write: (data) => {
        proc.stdin?.write(data);
      },
      resize: (cols, rows) => {
        proc.control?.write(`${rows} ${cols}\n`);
      },
      exited: proc.exited,
      kill: () => proc.kill(),
    };
  }

  /** The argv prefix (priority, limits, the jail where there is one) and environment of a project process. */
  private async confine(cwd: string, network: boolean, cpuSeconds: number | undefined) {
    const limits = [`--as=${this.opts.addressSpaceBytes}`, `--nofile=${LOCAL_NOFILE}`, `--nproc=${LOCAL_NPROC}`];
    if (cpuSeconds) limits.push(`--cpu=${cpuSeconds}`);
    const probe = await this.provider.confinement();
    let jail: string[] = [];
    let env: Record<string, string>;
    if (probe.confined) {
      const npmCache = join(this.scratch, 'npm');
      await mkdir(npmCache, { recursive: true });
      await mkdir(join(this.scratch, 'vite-temp'), { recursive: true });
      await mkdir(join(this.scratch, 'dev'), { recursive: true });
      env = await this.provider.processEnv(this.root, npmCache);
      jail = jailArgv(probe.jail, {
        // From the operator's environment only: a command's own variables never choose what is bound.
        binds: await this.provider.jailBinds(this.root, this.scratch, env),
        cwd,
        // No jail shares the host's network: one that needs the registry reaches it through the
        // registry proxy, by way of the bridge that starts its command.
        network: false,
      });
      if (network) {
        await this.registryProxy(env);
        jail.push(this.node, NET_BRIDGE, `${JAIL_DEV_DIR}/${REGISTRY_SOCKET}`, '--');
      }
    } else {
      env = await this.provider.processEnv(this.root);
    }
    // Lower priority: installs, tsc and Vite of generated apps must never starve the API's relay.
    // The limits are set outside the jail and inherited by everything in it.
    return { prefix: ['nice', '-n', String(LOCAL_NICE), 'prlimit', ...limits, '--', ...jail], env };
  }

  /**
   * Jailed, the dev server gets no network (`--unshare-net`): it listens on a unix socket in the
   * project's scratch dir, and a port on the host's loopback is forwarded to it. Unconfined, it
   * listens on that loopback port itself.
   */
  async devEndpoint(): Promise<{ listen: DevListen; url: string }> {
    if ((await this.provider.confinement()).confined) {
      if (!this.forwarder) {
        await this.release();
        const port = await this.ports.take();
        await mkdir(join(this.scratch, 'dev'), { recursive: true });
        try {
          this.forwarder = await forwardToSocket(port, join(this.scratch, 'dev'), DEV_SOCKET);
        } catch (e) {
          this.ports.release(port);
          throw e;
        }
        this.port = port;
      }
      return { listen: { socket: `${JAIL_DEV_DIR}/${DEV_SOCKET}` }, url: `http://127.0.0.1:${this.port}` };
    }
    if (this.port === null || !(await isPortFree(this.port))) {
      if (this.port !== null) this.ports.release(this.port);
      this.port = await this.ports.take();
    }
    return { listen: { port: this.port, host: '127.0.0.1' }, url: `http://127.0.0.1:${this.port}` };
  }

  async prepareInstall(): Promise<void> {
    const link = join(this.root, 'node_modules');
    const st = await lstat(link).catch(() => null);
    if (!st?.isSymbolicLink()) return;
    const store = realpathSync(link);
    const tmp = join(this.root, `.node_modules.${randomUUID()}.lathe-tmp`);
    try {
      await runToEnd(['cp', '-a', '--reflink=auto', store, tmp], this.root, await this.provider.processEnv(this.root), 5 * 60_000);
      await unlink(link);
      await rename(tmp, link);
    } catch (e) {
      await rm(tmp, { recursive: true, force: true });
      throw new LatheError('sandbox_error', `could not give the project its own node_modules: ${(e as Error).message}`);
    }
  }

  async remove(): Promise<void> {
    await this.release();
    await rm(this.root, { recursive: true, force: true });
    await rm(this.scratch, { recursive: true, force: true });
  }

  /** The project's registry proxy (started at its first install or terminal). */
  private registryProxy(env: Record<string, string>): Promise<RegistryProxy> {
    this.proxy ??= startRegistryProxy(
      join(this.scratch, 'dev'),
      REGISTRY_SOCKET,
      registryTarget(env.npm_config_registry ?? null),
      process.env.HTTPS_PROXY ?? process.env.https_proxy ?? null,
    ).catch((e) => {
      this.proxy = null;
      throw e;
    });
    return this.proxy;
  }

  async release(): Promise<void> {
    const proxy = this.proxy;
    this.proxy = null;
    await (await proxy?.catch(() => null))?.close();
    const forwarder = this.forwarder;
    this.forwarder = null;
    await forwarder?.close();
    if (this.port !== null) this.ports.release(this.port);
    this.port = null;
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}
