import type { Diagnostic, NewEvent } from '@lathe/protocol';
import { checkPackageSpec } from '@lathe/sandbox';
import { packageImportsOf } from './operations/context';
import type { AgentSandbox } from './runner';
import type { AgentStore } from './store';

/**
 * What the agent checks once code has landed, without a model: the type checker and Vite's
 * errors, the preview in a browser (runtime errors, a blank page, a thumbnail), and packages the
 * code imports that package.json lacks (installed before any model is asked to fix anything).
 */

export interface CheckerPort {
  readonly projectId: string;
  readonly store: AgentStore;
  readonly sandbox: AgentSandbox;
  emit(event: NewEvent): Promise<void>;
  log(text: string): Promise<void>;
}

// Imports that are not npm packages: Node's built-ins and Vite's virtual modules.
const NOT_PACKAGES = /^(node:|virtual:|\/|~|#)/;
const NODE_BUILTINS = new Set([
  'fs',
  'path',
  'os',
  'crypto',
  'http',
  'https',
  'url',
  'util',
  'stream',
  'events',
  'buffer',
  'child_process',
]);

export class Checker {
  private skipNoted = false;

  constructor(private readonly port: CheckerPort) {}

  /** Type, build and runtime errors: the sandbox's diagnostics, then the preview in a browser. */
  async all(phaseIndex: number, signal: AbortSignal): Promise<Diagnostic[]> {
    const found = await this.port.sandbox.diagnostics({ signal });
    if (signal.aborted) return found;
    return [...found, ...(await this.render(phaseIndex, signal))];
  }

  /** Loads the preview in headless Chromium; its runtime errors, reported with the phase's thumbnail. */
  async render(phaseIndex: number, signal: AbortSignal): Promise<Diagnostic[]> {
    const result = await this.port.sandbox.renderCheck({ signal });
    if (signal.aborted) return [];
    if (result.status === 'skipped') {
      if (!this.skipNoted && result.note) await this.port.log(result.note);
      this.skipNoted = true;
      return [];
    }
    await this.port.emit({
      type: 'render_checked',
      payload: {
        phaseIndex,
        status: result.status,
        note: result.note,
        blank: result.blank,
        errors: result.diagnostics,
        screenshot: result.screenshot,
        ms: result.ms,
      },
    });
    return result.diagnostics;
  }

  /**
   * Packages the project's code imports that package.json does not list (valid registry names
   * only, none that `skip` names, e.g. one an install of this round skipped already); logged.
   */
  async missingPackages(skip: (name: string) => boolean): Promise<string[]> {
    const missing = (await this.unlisted()).filter((name) => !skip(name));
    if (missing.length > 0) await this.port.log(`The code imports ${missing.join(', ')}, which package.json lacks: installing.`);
    return missing;
  }

  private async unlisted(): Promise<string[]> {
    const files = await this.port.store.readFiles(this.port.projectId);
    // An unchanged template manifest is not stored with the project's files: the sandbox has it.
    const manifest =
      files.find((f) => f.path === 'package.json')?.content ?? (await this.port.sandbox.readFile('package.json').catch(() => null));
    if (manifest === null) return [];
    let listed: string[] = [];
    try {
      const m = JSON.parse(manifest) as { dependencies?: object; devDependencies?: object };
      listed = [...Object.keys(m.dependencies ?? {}), ...Object.keys(m.devDependencies ?? {})];
    } catch {
      // A manifest broken by hand: nothing is known to be listed; the review reports the manifest.
      return [];
    }
    const wanted = new Set<string>();
    for (const file of files) {
      if (!file.path.startsWith('src/')) continue;
      for (const name of packageImportsOf(file)) {
        if (NOT_PACKAGES.test(name) || NODE_BUILTINS.has(name) || listed.includes(name)) continue;
        if (checkPackageSpec(name).ok) wanted.add(name);
      }
    }
    return [...wanted].sort();
  }
}
