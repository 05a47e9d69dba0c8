import { availableParallelism } from 'node:os';
import { LatheError, LIMITS } from '@lathe/protocol';
import type { SandboxConfig, SandboxKind, SandboxLimits, SandboxProvider } from './contract';
import { DockerProvider } from './docker/provider';
import { DEFAULT_INSTALL_SCRIPTS } from './install';
import { LocalProvider } from './local/provider';
import { checkPackageSpec } from './packages';
import { chromiumFromEnv, RenderChecker } from './render-check';

const GiB = 1024 ** 3;
export const DEFAULT_PORT_RANGE: [number, number] = [41000, 41999];
export const DEFAULT_IMAGE = 'lathe/sandbox:local';

export const DEFAULT_LIMITS: SandboxLimits = {
  fileBytes: LIMITS.fileBytes,
  filesPerProject: LIMITS.filesPerProject,
  memoryBytes: 2 * GiB,
  cpus: 1,
  pids: 512,
  diskBytes: 4 * GiB,
};

/** Local address-space limit: Vite, esbuild/rolldown and tsc reserve far more than they use. */
const LOCAL_ADDRESS_SPACE = 8 * GiB;

export function createSandboxProvider(config: SandboxConfig): SandboxProvider {
  if (!config || typeof config.dataDir !== 'string' || config.dataDir === '')
    throw new LatheError('sandbox_error', 'sandbox config needs a dataDir');
  const limits: SandboxLimits = { ...DEFAULT_LIMITS, ...config.limits };
  const portRange = config.portRange ?? DEFAULT_PORT_RANGE;
  const [lo, hi] = portRange;
  if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo < 1024 || hi > 65535 || lo > hi) {
    throw new LatheError('sandbox_error', `invalid port range ${lo}-${hi}`);
  }
  const maxRestarts = config.maxRestarts ?? 3;
  const heavySlots = config.heavySlots ?? defaultHeavySlots();
  if (!Number.isInteger(heavySlots) || heavySlots < 1 || heavySlots > 1024) {
    throw new LatheError('sandbox_error', `heavySlots must be an integer from 1 to 1024 (got ${heavySlots})`);
  }
  const installScripts = config.installScripts ?? DEFAULT_INSTALL_SCRIPTS;
  for (const name of installScripts) {
    const c = checkPackageSpec(name);
    if (!c.ok || c.range !== null) throw new LatheError('sandbox_error', `installScripts needs package names, not ${JSON.stringify(name)}`);
  }
  const renderer = new RenderChecker(config.renderCheck ?? { executablePath: null });
  if (config.kind === 'local') {
    return new LocalProvider({
      renderer,
      installScripts,
      dataDir: config.dataDir,
      portRange,
      limits,
      maxRestarts,
      heavySlots,
      addressSpaceBytes: Math.max(LOCAL_ADDRESS_SPACE, limits.memoryBytes),
    });
  }
  if (config.kind === 'docker') {
    return new DockerProvider({
      renderer,
      installScripts,
      dataDir: config.dataDir,
      portRange,
      limits,
      maxRestarts,
      heavySlots,
      image: config.image ?? DEFAULT_IMAGE,
    });
  }
  throw new LatheError('sandbox_error', `unknown sandbox kind ${String(config.kind)}`);
}

/** One heavy sandbox step per CPU core but one (which stays free for the server), at least one. */
export function defaultHeavySlots(): number {
  return Math.max(1, availableParallelism() - 1);
}

/**
 * Reads the provider settings from the environment (LATHE_SANDBOX, LATHE_SANDBOX_IMAGE,
 * LATHE_SANDBOX_PORT_RANGE, LATHE_SANDBOX_MEMORY_MB, LATHE_SANDBOX_CPUS, LATHE_SANDBOX_PIDS, LATHE_SANDBOX_DISK_MB,
 * LATHE_SANDBOX_CONCURRENCY, LATHE_SANDBOX_INSTALL_SCRIPTS, LATHE_CHROMIUM_PATH, LATHE_RENDER_CHECK_MS).
 */
export function sandboxConfigFromEnv(env: Record<string, string | undefined>, dataDir: string): SandboxConfig {
  const kind = (env.LATHE_SANDBOX ?? 'local') as SandboxKind;
  if (kind !== 'local' && kind !== 'docker') throw new LatheError('sandbox_error', `LATHE_SANDBOX must be local or docker, not ${kind}`);
  const config: SandboxConfig = { kind, dataDir };
  if (env.LATHE_SANDBOX_IMAGE) config.image = env.LATHE_SANDBOX_IMAGE;
  if (env.LATHE_SANDBOX_PORT_RANGE) {
    const m = /^(\d+)-(\d+)$/.exec(env.LATHE_SANDBOX_PORT_RANGE);
    if (!m) throw new LatheError('sandbox_error', 'LATHE_SANDBOX_PORT_RANGE must look like 41000-41999');
    config.portRange = [Number(m[1]), Number(m[2])];
  }
  const limits: Partial<SandboxLimits> = {};
  const num = (name: string): number | undefined => {
    const v = env[name];
    if (v === undefined || v === '') return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new LatheError('sandbox_error', `${name} must be a positive number`);
    return n;
  };
  const mem = num('LATHE_SANDBOX_MEMORY_MB');
  if (mem) limits.memoryBytes = Math.round(mem * 1024 * 1024);
  const cpus = num('LATHE_SANDBOX_CPUS');
  if (cpus) limits.cpus = cpus;
  const concurrency = num('LATHE_SANDBOX_CONCURRENCY');
  if (concurrency !== undefined) {
    if (!Number.isInteger(concurrency) || concurrency > 1024)
      throw new LatheError('sandbox_error', 'LATHE_SANDBOX_CONCURRENCY must be a whole number from 1 to 1024');
    config.heavySlots = concurrency;
  }
  const pids = num('LATHE_SANDBOX_PIDS');
  if (pids) limits.pids = Math.round(pids);
  const disk = env.LATHE_SANDBOX_DISK_MB?.trim();
  if (disk) {
    const mb = Number(disk);
    if (!Number.isInteger(mb) || mb < 0)
      throw new LatheError('sandbox_error', 'LATHE_SANDBOX_DISK_MB must be a whole number of MiB (0: no limit)');
    limits.diskBytes = mb * 1024 * 1024;
  }
  config.limits = limits;
  const renderMs = num('LATHE_RENDER_CHECK_MS');
  config.renderCheck = { executablePath: chromiumFromEnv(env), ...(renderMs ? { timeoutMs: Math.round(renderMs) } : {}) };
  const scripts = env.LATHE_SANDBOX_INSTALL_SCRIPTS?.trim();
  if (scripts)
    config.installScripts =
      scripts === 'none'
        ? []
        : scripts
            .split(',')
            .map((n) => n.trim())
            .filter((n) => n !== '');
  return config;
}
