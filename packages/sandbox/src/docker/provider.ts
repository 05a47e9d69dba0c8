import { createHash, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Duplex, PassThrough, type Readable } from 'node:stream';
import { LatheError } from '@lathe/protocol';
import Docker from 'dockerode';
import { pack } from 'tar-stream';
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
import { PortPool } from '../ports';
import type { RenderChecker } from '../render-check';
import { SandboxCore } from '../sandbox-core';
import { Slots } from '../slots';

const LABEL_MANAGED = 'lathe.managed';
const LABEL_PROJECT = 'lathe.project';
/** Which Lathe installation (data dir) owns a container, so two servers on one engine never adopt each other's. */
const LABEL_INSTANCE = 'lathe.instance';
/** Marks short-lived helper containers (they carry no project label). */
const LABEL_ROLE = 'lathe.role';
const DEV_PORT = 5173;
const ROOT = '/app';
const PROC_DIR = '/tmp/.lathe';
const CA_IN_CONTAINER = '/etc/lathe/ca.crt';
/** The terminal's shell: bash when the image has it, else the image's sh (busybox ash in the local base). */
const SHELL_INIT = 'if command -v bash >/dev/null 2>&1; then PS1="$ " exec bash --noprofile --norc -i; else PS1="$ " exec sh -i; fi';
/**
 * Addresses no sandbox may reach: link-local, where clouds serve instance metadata and
 * credentials (169.254.169.254, and Alibaba's 100.100.100.200 outside that range).
 */
const BLOCKED_ROUTES = ['169.254.0.0/16', '100.100.100.200/32'];

export interface DockerProviderOptions {
  dataDir: string;
  portRange: [number, number];
  limits: SandboxLimits;
  maxRestarts: number;
  /** How many installs, dev-server start-ups and type checks run at once across all sandboxes. */
  heavySlots: number;
  /** Package names whose install scripts may run (after an install, by `npm rebuild`). */
  installScripts: readonly string[];
  renderer: RenderChecker;
  image: string;
}

/** One container per project from the sandbox image; every command runs with `docker exec`. */
export class DockerProvider implements SandboxProvider {
  readonly kind = 'docker' as const;
  private readonly docker = new Docker();
  private readonly sandboxes = new Map<string, SandboxCore>();
  private readonly ports: PortPool;
  private readonly heavy: Slots;
  private npmSettings: Promise<NpmSettings> | null = null;
  private readonly adopting = new Map<string, Promise<SandboxCore | null>>();
  /** Set once the engine has refused a writable-layer size (StorageOpt): later sandboxes go without. */
  private storageOptRefused = false;

  private readonly instance: string;

  constructor(private readonly opts: DockerProviderOptions) {
    this.ports = new PortPool(opts.portRange);
    this.heavy = new Slots(opts.heavySlots);
    this.instance = createHash('sha256').update(resolve(opts.dataDir)).digest('hex').slice(0, 10);
  }

  async create(projectId: string, _opts: CreateOptions = {}): Promise<Sandbox> {
    checkProjectId(projectId);
    if (await this.find(projectId)) throw new LatheError('sandbox_exists', `project ${projectId} already has a sandbox`);
    await this.ensureImage();
    const network = await this.createNetwork(projectId);
    // A host port can be taken between the check and the container start: try another one.
    for (let attempt = 1; ; attempt++) {
      const used = await this.publishedPorts();
      const port = await this.ports.take((p) => used.has(p));
      let container: Docker.Container | null = null;
      try {
        container = await this.createContainer(projectId, port, network);
        await container.start();
        await this.blockRoutes(container);
        return this.attach(projectId, container, port);
      } catch (e) {
        this.ports.release(port);
        if (container) await removeContainer(container).catch(() => undefined);
        const retry = attempt < 3 && /port is already allocated|address already in use/i.test(String((e as Error).message));
        if (!retry) {
          if (!container && (e as { statusCode?: number }).statusCode === 409) {
            throw new LatheError('sandbox_exists', `project ${projectId} already has a sandbox`);
          }
          await removeNetwork(this.docker, network).catch(() => undefined);
          throw dockerError(e);
        }
      }
    }
  }

  async get(projectId: string): Promise<Sandbox | null> {
    checkProjectId(projectId);
    const live = this.sandboxes.get(projectId);
    if (live) return live;
    // Two callers adopting at once must share one adoption (one restart, one sandbox object).
    let adopting = this.adopting.get(projectId);
    if (!adopting) {
      adopting = this.adopt(projectId).finally(() => this.adopting.delete(projectId));
      this.adopting.set(projectId, adopting);
    }
    return adopting;
  }

  private async adopt(projectId: string): Promise<SandboxCore | null> {
    const found = await this.find(projectId);
    if (!found) return null;
    // Adopt a container a previous server process created.
    const container = this.docker.getContainer(found.Id);
    const info = await container.inspect().catch((e) => {
      throw dockerError(e);
    });
    // Adopting after a restart: a restart ends whatever the previous server left running (its
    // dev server would hold the port), and keeps the files.
    await (info.State.Running ? container.restart({ t: 0 }) : container.start()).catch((e) => {
      throw dockerError(e);
    });
    // A (re)started container has a fresh network namespace: the blocked routes go in again.
    await this.blockRoutes(container).catch(async (e: unknown) => {
      await container.stop({ t: 0 }).catch(() => undefined);
      throw e;
    });
    const binding = info.HostConfig.PortBindings?.[`${DEV_PORT}/tcp`]?.[0]?.HostPort;
    const port = Number(binding);
    if (!Number.isInteger(port)) throw new LatheError('sandbox_error', `container of ${projectId} has no published dev port`);
    this.ports.hold(port);
    return this.attach(projectId, container, port);
  }

  async open(projectId: string, opts: CreateOptions = {}): Promise<Sandbox> {
    return (await this.get(projectId)) ?? this.create(projectId, opts);
  }

  live(): string[] {
    return [...this.sandboxes].filter(([, s]) => LIVE_DEV_SERVER_STATES.has(s.status().state)).map(([id]) => id);
  }

  async list(): Promise<string[]> {
    const all = await this.managed();
    return all
      .map((c) => c.Labels[LABEL_PROJECT])
      .filter((id): id is string => typeof id === 'string')
      .sort();
  }

  async destroy(projectId: string): Promise<void> {
    checkProjectId(projectId);
    const live = this.sandboxes.get(projectId);
    if (live) {
      await live.destroy();
      return;
    }
    const found = await this.find(projectId);
    if (found) await removeContainer(this.docker.getContainer(found.Id));
    await removeNetwork(this.docker, this.networkName(projectId));
  }

  /** Stops every command and dev server, then the containers themselves (their files stay for `get`). */
  async shutdown(): Promise<void> {
    await Promise.all([...this.sandboxes.values()].map((s) => s.shutdown()));
    this.sandboxes.clear();
    await this.opts.renderer.close();
  }

  private attach(projectId: string, container: Docker.Container, port: number): SandboxCore {
    const network = this.networkName(projectId);
    const backend = new DockerBackend(
      projectId,
      container,
      port,
      this.opts.limits,
      () => this.ports.release(port),
      () => removeNetwork(this.docker, network),
    );
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

  private async managed(): Promise<Docker.ContainerInfo[]> {
    try {
      return await this.docker.listContainers({
        all: true,
        filters: { label: [`${LABEL_MANAGED}=true`, `${LABEL_INSTANCE}=${this.instance}`] },
      });
    } catch (e) {
      throw dockerError(e);
    }
  }

  private async find(projectId: string): Promise<Docker.ContainerInfo | undefined> {
    return (await this.managed()).find((c) => c.Labels[LABEL_PROJECT] === projectId);
  }

  /** Host ports any container on the engine publishes (stopped ones keep their bindings). */
  private async publishedPorts(): Promise<Set<number>> {
    const used = new Set<number>();
    const all = await this.docker.listContainers({ all: true, filters: { label: [`${LABEL_MANAGED}=true`] } }).catch((e) => {
      throw dockerError(e);
    });
    for (const c of all) {
      const info = await this.docker
        .getContainer(c.Id)
        .inspect()
        .catch(() => null);
      for (const b of Object.values(info?.HostConfig.PortBindings ?? {}))
        for (const h of (b as { HostPort?: string }[] | null) ?? []) used.add(Number(h.HostPort));
    }
    return used;
  }

  private async ensureImage(): Promise<void> {
    try {
      await this.docker.getImage(this.opts.image).inspect();
    } catch (e) {
      if ((e as { statusCode?: number }).statusCode === 404) {
        throw new LatheError('docker_unavailable', `sandbox image ${this.opts.image} is missing; build it with scripts/docker-images.sh`);
      }
      throw dockerError(e);
    }
  }

  private networkName(projectId: string): string {
    return `lathe-${this.instance}-${projectId}`;
  }

  /**
   * Each sandbox gets a bridge network of its own: Docker drops traffic between bridge networks,
   * so no sandbox reaches another's dev server (on the shared default bridge any container could).
   * A network left by a crash is reused.
   */
  private async createNetwork(projectId: string): Promise<string> {
    const name = this.networkName(projectId);
    try {
      await this.docker.createNetwork({
        Name: name,
        Driver: 'bridge',
        CheckDuplicate: true,
        Labels: { [LABEL_MANAGED]: 'true', [LABEL_INSTANCE]: this.instance, [LABEL_PROJECT]: projectId },
        Options: { 'com.docker.network.bridge.enable_icc': 'false' },
      });
    } catch (e) {
      if ((e as { statusCode?: number }).statusCode === 409) return name;
      if (/non-overlapping|address pool/i.test(String((e as Error).message))) {
        throw new LatheError(
          'sandbox_error',
          'Docker has no address range left for another sandbox network: raise "default-address-pools" in the engine\'s daemon.json (see README)',
        );
      }
      throw dockerError(e);
    }
    return name;
  }

  /**
   * Creates the sandbox container with a writable-layer size limit where the engine supports one
   * (overlay2 on xfs with pquota, btrfs, zfs…). An engine that refuses it is remembered and told
   * about once; its sandboxes are then bounded only by the per-user storage quota of their files
   * and by the host's disk (see README).
   */
  private async createContainer(projectId: string, port: number, network: string): Promise<Docker.Container> {
    const spec = await this.containerSpec(projectId, port, network);
    const sized = spec.HostConfig?.StorageOpt !== undefined;
    try {
      return await this.docker.createContainer(spec);
    } catch (e) {
      if (!sized || !/storage-opt|storage opt/i.test(String((e as Error).message))) throw e;
      this.storageOptRefused = true;
      console.warn(
        `lathe: this Docker engine cannot limit a container's disk (${(e as Error).message.trim()}); sandboxes run without a disk limit (LATHE_SANDBOX_DISK_MB). See the README's security model.`,
      );
      delete spec.HostConfig?.StorageOpt;
      return this.docker.createContainer(spec);
    }
  }

  /**
   * Makes link-local and metadata addresses unreachable from a sandbox. The sandbox itself has
   * no capabilities, so a short-lived helper joins its network namespace with NET_ADMIN alone
   * and adds `unreachable` routes the sandbox cannot remove (no host firewall needed). A sandbox
   * whose routes cannot be set is not used.
   */
  private async blockRoutes(container: Docker.Container): Promise<void> {
    let helper: Docker.Container;
    try {
      helper = await this.docker.createContainer({
        Image: this.opts.image,
        User: '0:0',
        Cmd: ['sh', '-c', BLOCKED_ROUTES.map((r) => `ip route replace unreachable ${r}`).join(' && ')],
        Labels: { [LABEL_MANAGED]: 'true', [LABEL_INSTANCE]: this.instance, [LABEL_ROLE]: 'routes' },
        HostConfig: {
          NetworkMode: `container:${container.id}`,
          CapDrop: ['ALL'],
          CapAdd: ['NET_ADMIN'],
          SecurityOpt: ['no-new-privileges'],
          Memory: 64 * 1024 * 1024,
          PidsLimit: 16,
          RestartPolicy: { Name: 'no' },
        },
      });
    } catch (e) {
      throw dockerError(e);
    }
    try {
      await helper.start();
      const { StatusCode } = (await helper.wait()) as { StatusCode: number };
      if (StatusCode !== 0) {
        const output = (await helper.logs({ stdout: true, stderr: true }))
          .toString('utf8')
          .replace(/[^\x20-\x7e\n]/g, '')
          .trim();
        throw new LatheError(
          'sandbox_error',
          `could not make link-local and metadata addresses unreachable in the sandbox (exit ${StatusCode}: ${output}); the sandbox image needs the ip tool (iproute2 or busybox)`,
        );
      }
    } catch (e) {
      throw dockerError(e);
    } finally {
      await removeContainer(helper).catch(() => undefined);
    }
  }

  private async containerSpec(projectId: string, port: number, network: string): Promise<Docker.ContainerCreateOptions> {
    const { limits } = this.opts;
    // No shared npm cache: one project could poison another's installs through it. The image's
    // /npm-cache lives in the container's own layer and goes with it.
    const binds: string[] = [];
    const ca = hostCaBundle();
    if (ca) binds.push(`${ca}:${CA_IN_CONTAINER}:ro`);
    this.npmSettings ??= readNpmSettings(findNode(), findNpmCli());
    const { registry } = await this.npmSettings;
    const env = sandboxEnv(
      process.env,
      {
        HOME: ROOT,
        npm_config_cache: '/npm-cache',
        ...(ca ? { NODE_EXTRA_CA_CERTS: CA_IN_CONTAINER, npm_config_cafile: CA_IN_CONTAINER } : {}),
      },
      { registry, cafile: null },
    );
    // The address-space workaround is for the local provider's rlimits; cgroups limit real memory here.
    delete env.NODE_OPTIONS;
    return {
      name: `lathe-${this.instance}-${projectId}`,
      Image: this.opts.image,
      WorkingDir: ROOT,
      Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
      Labels: { [LABEL_MANAGED]: 'true', [LABEL_INSTANCE]: this.instance, [LABEL_PROJECT]: projectId },
      ExposedPorts: { [`${DEV_PORT}/tcp`]: {} },
      HostConfig: {
        Init: true,
        Memory: limits.memoryBytes,
        MemorySwap: limits.memoryBytes,
        NanoCpus: Math.round(limits.cpus * 1e9),
        PidsLimit: limits.pids,
        CapDrop: ['ALL'],
        SecurityOpt: ['no-new-privileges'],
        PortBindings: { [`${DEV_PORT}/tcp`]: [{ HostIp: '127.0.0.1', HostPort: String(port) }] },
        Binds: binds,
        NetworkMode: network,
        RestartPolicy: { Name: 'no' },
        ...(limits.diskBytes > 0 && !this.storageOptRefused ? { StorageOpt: { size: String(limits.diskBytes) } } : {}),
      },
    };
  }
}

class DockerBackend implements Backend {
  readonly kind = 'docker' as const;
  readonly root = ROOT;
  readonly node = 'node';
  readonly npm = ['npm'];
  readonly devRunner = '/opt/lathe/dev-server.mjs';

  constructor(
    readonly projectId: string,
    private readonly container: Docker.Container,
    private readonly hostPort: number,
    private readonly limits: SandboxLimits,
    private readonly releasePort: () => void,
    private readonly removeNetwork: () => Promise<void>,
  ) {}

  async writeFiles(files: { path: string; content: Buffer }[], maxFiles: number): Promise<void> {
    const stageName = `stage-${randomUUID()}`;
    const tar = pack();
    // Directories are listed explicitly so they belong to the sandbox user, not to root.
    const dirs = new Set<string>([stageName]);
    for (const f of files) {
      const parts = f.path.split('/').slice(0, -1);
      for (let i = 1; i <= parts.length; i++) dirs.add(`${stageName}/${parts.slice(0, i).join('/')}`);
    }
    for (const d of [...dirs].sort()) tar.entry({ name: d, type: 'directory', mode: 0o755, uid: 1000, gid: 1000 });
    for (const f of files) tar.entry({ name: `${stageName}/${f.path}`, mode: 0o644, uid: 1000, gid: 1000 }, f.content);
    tar.finalize();
    await this.container.putArchive(tar as unknown as NodeJS.ReadableStream, { path: PROC_DIR }).catch((e) => {
      throw dockerError(e);
    });
    await this.fsop('write', { stage: `${PROC_DIR}/${stageName}`, paths: files.map((f) => f.path), maxFiles });
  }

  async readFile(path: string): Promise<Buffer> {
    return this.fsop('read', { path, maxBytes: this.limits.fileBytes });
  }

  async listFiles(): Promise<FileInfo[]> {
    return JSON.parse((await this.fsop('list', {})).toString('utf8')) as FileInfo[];
  }

  async deleteFile(path: string): Promise<void> {
    await this.fsop('delete', { path });
  }

  private async fsop(op: string, arg: object): Promise<Buffer> {
    const r = await this.collect(['node', '/opt/lathe/fsops.mjs', op, JSON.stringify(arg)]);
    if (r.exitCode === 0) return r.stdout;
    let err: { code?: string; message?: string } = {};
    try {
      err = JSON.parse(r.stderr.toString('utf8'));
    } catch {
      err = { message: r.stderr.toString('utf8').slice(0, 2000) };
    }
    throw new LatheError(err.code ?? 'sandbox_error', err.message ?? `file operation ${op} failed`);
  }

  /** Runs a short helper command and buffers its output. */
  private async collect(argv: string[]): Promise<{ exitCode: number | null; stdout: Buffer; stderr: Buffer }> {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const { stream, exec } = await this.startExec(argv, '', {});
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    stdout.on('data', (c: Buffer) => out.push(c));
    stderr.on('data', (c: Buffer) => err.push(c));
    this.container.modem.demuxStream(stream, stdout, stderr);
    await ended(stream);
    // The exec is gone when the container restarted meanwhile.
    const info = await exec.inspect().catch(() => null);
    return { exitCode: info?.ExitCode ?? null, stdout: Buffer.concat(out), stderr: Buffer.concat(err) };
  }

  private async startExec(argv: string[], cwd: string, env: Record<string, string>, pidFile?: string) {
    // Each exec is its own session and process group in the container: recording `$$` lets a
    // later exec kill the whole group (docker has no "kill exec" call).
    const cmd = pidFile ? ['sh', '-c', `echo $$ > ${pidFile}; exec "$@"`, 'sh', ...argv] : argv;
    try {
      const exec = await this.container.exec({
        Cmd: cmd,
        AttachStdout: true,
        AttachStderr: true,
        WorkingDir: cwd ? `${ROOT}/${cwd}` : ROOT,
        Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
      });
      const stream = (await exec.start({ hijack: true, stdin: false })) as Readable;
      return { exec, stream };
    } catch (e) {
      throw dockerError(e);
    }
  }

  async spawn(req: SpawnRequest): Promise<Proc> {
    if (req.cwd) await this.fsop('cwd', { path: req.cwd });
    const pidFile = `${PROC_DIR}/${randomUUID()}.pid`;
    const { exec, stream } = await this.startExec(req.argv, req.cwd, req.env, pidFile);
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    stdout.setEncoding('utf8').on('data', req.onStdout);
    stderr.setEncoding('utf8').on('data', req.onStderr);
    this.container.modem.demuxStream(stream, stdout, stderr);
    let killedByUs = false;
    // Kills the group. An exec that cannot start (exit 126: the container is out of pids, e.g. a
    // fork bomb) is retried, then the container is restarted, which ends everything in it. A
    // container that is gone or restarting has nothing left to kill.
    const killGroup = async (): Promise<void> => {
      for (let attempt = 0; attempt < 3; attempt++) {
        const r = await this.collect([
          'sh',
          '-c',
          `[ -f ${pidFile} ] && kill -9 -- -$(cat ${pidFile}) 2>/dev/null; rm -f ${pidFile}; true`,
        ]).catch(() => null);
        if (r === null || r.exitCode !== 126) return;
      }
      await this.container.restart({ t: 0 }).catch(() => undefined);
    };
    const exited = ended(stream).then(async () => {
      const info = await exec.inspect().catch(() => null);
      // What the command left running in its group goes with it: no orphans.
      await killGroup();
      return killedByUs ? null : (info?.ExitCode ?? null);
    });
    let killing: Promise<void> | null = null;
    const kill = (): Promise<void> => {
      killedByUs = true;
      killing ??= killGroup().then(() => exited.then(() => undefined));
      return killing;
    };
    return { exited, kill };
  }

  /**
   * A `docker exec` with a TTY: the engine gives the shell a real pty in the container (resized
   * through the API). It leads a session of its own; ending it ends every process of that session.
   */
  async openShell(req: ShellRequest): Promise<Shell> {
    const pidFile = `${PROC_DIR}/${randomUUID()}.pid`;
    let exec: Docker.Exec;
    let stream: Duplex;
    try {
      exec = await this.container.exec({
        Cmd: ['sh', '-c', `echo $$ > ${pidFile}; exec sh -c '${SHELL_INIT}'`],
        AttachStdin: true,
        AttachStdout: true,
        AttachStderr: true,
        Tty: true,
        WorkingDir: ROOT,
        Env: Object.entries(req.env).map(([k, v]) => `${k}=${v}`),
      });
      stream = (await exec.start({ hijack: true, stdin: true, Tty: true })) as Duplex;
    } catch (e) {
      throw dockerError(e);
    }
    stream.setEncoding('utf8');
    stream.on('data', (text: string) => req.onOutput(text));
    stream.on('error', () => undefined);
    let size = { h: req.rows, w: req.cols };
    const resize = (cols: number, rows: number) => {
      size = { h: rows, w: cols };
      void exec.resize(size).catch(() => undefined);
    };
    // The engine refuses a resize until the exec's process has started (a race the docker CLI
    // retries too): the shell is handed over once its first size is set (tried for about a
    // second), and the size is set again once the shell has spoken.
    for (let attempt = 1; attempt <= 10; attempt++) {
      const set = await exec.resize(size).then(
        () => true,
        () => false,
      );
      if (set) break;
      await new Promise((r) => setTimeout(r, 20 * attempt));
    }
    stream.once('data', () => void exec.resize(size).catch(() => undefined));
    const killSession = async () => {
      // busybox has no pkill -s: find the session's processes in /proc (field 6 of stat, after the name).
      const script = `[ -f ${pidFile} ] || exit 0; sid=$(cat ${pidFile}); rm -f ${pidFile}; awk -v sid="$sid" '{ l = $0; sub(/^.*) /, "", l); split(l, f, " "); if (f[4] == sid) { split(FILENAME, p, "/"); print p[3] } }' /proc/[0-9]*/stat 2>/dev/null | xargs -r kill -9 2>/dev/null; true`;
      await this.collect(['sh', '-c', script]).catch(() => undefined);
    };
    let killedByUs = false;
    const exited = ended(stream).then(async () => {
      const info = await exec.inspect().catch(() => null);
      await killSession();
      return killedByUs ? null : (info?.ExitCode ?? null);
    });
    let killing: Promise<void> | null = null;
    return {
      write: (data) => {
        if (!stream.destroyed) stream.write(data);
      },
      resize,
      exited,
      kill: () => {
        killedByUs = true;
        killing ??= killSession().then(async () => {
          stream.destroy();
          await exited;
        });
        return killing;
      },
    };
  }

  async devEndpoint(): Promise<{ listen: DevListen; url: string }> {
    return { listen: { port: DEV_PORT, host: '0.0.0.0' }, url: `http://127.0.0.1:${this.hostPort}` };
  }

  /** The container's writable layer is the project's own: installing never touches the image. */
  async prepareInstall(): Promise<void> {}

  async remove(): Promise<void> {
    await removeContainer(this.container);
    this.releasePort();
    await this.removeNetwork();
  }

  async release(): Promise<void> {
    await this.container.stop({ t: 0 }).catch(() => undefined);
    this.releasePort();
  }
}

async function removeNetwork(docker: Docker, name: string): Promise<void> {
  try {
    await docker.getNetwork(name).remove();
  } catch (e) {
    if ((e as { statusCode?: number }).statusCode !== 404) throw dockerError(e);
  }
}

async function removeContainer(container: Docker.Container): Promise<void> {
  try {
    await container.remove({ force: true, v: true });
  } catch (e) {
    if ((e as { statusCode?: number }).statusCode !== 404) throw dockerError(e);
  }
}

function ended(stream: Readable): Promise<void> {
  return new Promise((resolve) => {
    if (stream.readableEnded || stream.destroyed) return resolve();
    stream.once('end', () => resolve());
    stream.once('close', () => resolve());
    stream.once('error', () => resolve());
  });
}

function hostCaBundle(): string | null {
  for (const f of [process.env.NODE_EXTRA_CA_CERTS, process.env.npm_config_cafile, '/etc/ssl/certs/ca-certificates.crt']) {
    if (f && existsSync(f)) return f;
  }
  return null;
}

function dockerError(e: unknown): LatheError {
  if (e instanceof LatheError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  if (/ECONNREFUSED|ENOENT.*docker\.sock|connect EACCES/.test(msg))
    return new LatheError('docker_unavailable', `the Docker engine is not reachable: ${msg}`);
  return new LatheError('sandbox_error', `docker: ${msg}`);
}
