import type { NewEvent } from '@lathe/protocol';
import { checkPackageSpec, type SkippedPackage } from '@lathe/sandbox';
import { createHeredocParser } from './parser';
import type { AgentSandbox } from './runner';
import type { AgentStore } from './store';

/**
 * Dependencies: installs into the sandbox that survive bad names (what the registry does not know
 * is skipped, shown and remembered for the fixer), the stored manifest kept in step, and a fresh
 * sandbox brought up to the stored files and dependencies.
 */

export interface InstallerPort {
  readonly projectId: string;
  readonly store: AgentStore;
  readonly sandbox: AgentSandbox;
  emit(event: NewEvent): Promise<void>;
}

export class Installer {
  /** Packages an install skipped this round: the fixer is told about them. */
  private skipped: SkippedPackage[] = [];
  /** Packages each implemented phase asked for, until they are installed. */
  private readonly planned = new Map<number, string[]>();

  constructor(private readonly port: InstallerPort) {}

  newRound(): void {
    this.skipped = [];
  }

  /** What the fixer should know about this round's installs. */
  notes(): string[] {
    return this.skipped.map(
      (s) => `The package ${s.spec} could not be installed: ${s.reason}. Do not use it; use an alternative or plain code.`,
    );
  }

  /**
   * The DB is the source of truth and the sandbox may be fresh: install the stored manifest's
   * dependencies the sandbox lacks, then write every stored file.
   */
  async sync(signal: AbortSignal): Promise<void> {
    const { store, sandbox, projectId } = this.port;
    const files = await store.readFiles(projectId);
    const manifest = files.find((f) => f.path === 'package.json');
    if (manifest) {
      const current = await sandbox.readFile('package.json').catch(() => '{}');
      const missing = missingDependencies(manifest.content, current);
      if (missing.length > 0) {
        const result = await sandbox.install(missing, { signal, onOutput: (stream, text) => void this.log(stream, text) });
        if (signal.aborted) return;
        await this.port.emit({ type: 'deps_installed', payload: { packages: result.installed, ok: result.skipped.length === 0 } });
        await this.reportSkipped(result.skipped);
      }
    }
    if (files.length > 0) await sandbox.writeFiles(files);
  }

  plan(phaseIndex: number, packages: string[]): void {
    this.planned.set(phaseIndex, packages);
  }

  /** Whether an install of this round already skipped the package (it is not tried again). */
  skippedThisRound(name: string): boolean {
    return this.skipped.some((s) => s.spec === name || s.spec.startsWith(`${name}@`));
  }

  /**
   * The phase's planned packages (after a restart: its design's install commands) and `extra`
   * (packages its code imports that nobody listed), installed once.
   */
  async installPlanned(phaseIndex: number, designed: string[], extra: string[], signal: AbortSignal): Promise<void> {
    const planned = this.planned.get(phaseIndex) ?? designed.flatMap(installsIn);
    // A package the phase installs already (maybe with a version) is not added again by name.
    const unplanned = extra.filter((name) => !planned.some((spec) => spec === name || spec.startsWith(`${name}@`)));
    const packages = [...new Set([...planned, ...unplanned])];
    await this.install(packages, phaseIndex, signal);
    if (!signal.aborted) this.planned.delete(phaseIndex);
  }

  /**
   * Installs packages (none: nothing to do), stores the new manifest and emits deps_installed
   * with what was installed. Packages the sandbox had to skip (unknown names, conflicts) are shown
   * to the user and kept for the fixer; the rest install all the same.
   */
  async install(packages: string[], phaseIndex: number, signal: AbortSignal): Promise<void> {
    let installed: string[] = [];
    let skipped: SkippedPackage[] = [];
    if (packages.length > 0) {
      const result = await this.port.sandbox.install(packages, { signal, onOutput: (stream, text) => void this.log(stream, text) });
      if (signal.aborted) return;
      installed = result.installed;
      skipped = result.skipped;
      if (installed.length > 0) {
        // The DB is the source of truth: a fresh sandbox must get the new dependencies too.
        const manifest = await this.port.sandbox.readFile('package.json');
        await this.port.store.upsertFile(this.port.projectId, { path: 'package.json', content: manifest, phase: phaseIndex });
      }
    }
    await this.port.emit({ type: 'deps_installed', payload: { packages: installed, ok: skipped.length === 0 } });
    await this.reportSkipped(skipped);
  }

  async reportSkipped(skipped: SkippedPackage[]): Promise<void> {
    if (skipped.length === 0) return;
    for (const s of skipped) if (!this.skipped.some((x) => x.spec === s.spec)) this.skipped.push(s);
    const list = skipped.map((s) => `${s.spec} (${s.reason})`).join(', ');
    await this.port.emit({
      type: 'error',
      payload: { code: 'package_skipped', message: `Not installed: ${list}. The other packages were installed; the fixer is told.` },
    });
  }

  private log(stream: 'stdout' | 'stderr', text: string): Promise<void> {
    return this.port.emit({ type: 'log', payload: { source: 'install', stream, text } });
  }
}

/** Packages of a designed install command: "npm install a b@1", or just "a b@1". */
export function installsIn(command: string): string[] {
  const line = /^\s*(npm|pnpm|yarn|bun)\s/.test(command) ? command : `npm install ${command}`;
  const items = createHeredocParser().push(`${line}\n`);
  return items.flatMap((i) => (i.type === 'install' ? i.packages : []));
}

/** `name@version` for each dependency in the stored manifest that the sandbox's manifest lacks. */
export function missingDependencies(stored: string, current: string): string[] {
  const deps = (text: string): Record<string, string> => {
    try {
      const m: unknown = JSON.parse(text);
      if (typeof m !== 'object' || m === null) return {};
      const { dependencies, devDependencies } = m as { dependencies?: unknown; devDependencies?: unknown };
      const pick = (d: unknown) => (typeof d === 'object' && d !== null ? (d as Record<string, unknown>) : {});
      return Object.fromEntries(
        Object.entries({ ...pick(dependencies), ...pick(devDependencies) }).filter((e): e is [string, string] => typeof e[1] === 'string'),
      );
    } catch {
      // A manifest broken by hand has nothing we can install; the review step reports it.
      return {};
    }
  };
  const have = deps(current);
  return Object.entries(deps(stored))
    .filter(([name, version]) => have[name] !== version)
    .map(([name, version]) => `${name}@${version}`)
    .filter((spec) => checkPackageSpec(spec).ok);
}
