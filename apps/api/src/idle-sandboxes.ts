import type { SandboxProvider } from '@lathe/sandbox';
import type { Log } from './context';

export interface IdleSandboxesOptions {
  sandboxes: Pick<SandboxProvider, 'live' | 'get'>;
  /** A dev server nobody watched for this long is stopped by sweep(). */
  idleMs: number;
  /** Whether someone watches the project now: an open IDE socket, a preview socket, a running round. */
  watched: (projectId: string) => boolean;
  log: Log;
  now?: () => number;
}

/**
 * Stops the dev servers nobody watches, so idle projects give back their memory; the next
 * preview request starts the server again (AgentManager.devServer). The sandbox and its files
 * stay. Time counts from the last preview request or the last moment someone watched.
 */
export class IdleSandboxes {
  readonly #lastSeen = new Map<string, number>();
  readonly #now: () => number;

  constructor(private readonly opts: IdleSandboxesOptions) {
    this.#now = opts.now ?? Date.now;
  }

  /** The project was just used (a preview request). */
  touch(projectId: string): void {
    this.#lastSeen.set(projectId, this.#now());
  }

  /**
   * Makes room under a quota: stops up to `count` of these projects' dev servers that nobody
   * watches, the longest unused first. Returns how many it stopped.
   */
  async release(projectIds: readonly string[], count: number): Promise<number> {
    const candidates = projectIds
      .filter((id) => !this.opts.watched(id))
      .sort((a, b) => (this.#lastSeen.get(a) ?? 0) - (this.#lastSeen.get(b) ?? 0))
      .slice(0, count);
    let stopped = 0;
    for (const projectId of candidates) {
      const sandbox = await this.opts.sandboxes.get(projectId);
      if (!sandbox) continue;
      await sandbox.stopDevServer();
      this.#lastSeen.delete(projectId);
      stopped++;
    }
    return stopped;
  }

  /** Stops every live dev server idle for longer than idleMs; returns the projects stopped. */
  async sweep(): Promise<string[]> {
    const now = this.#now();
    const live = new Set(this.opts.sandboxes.live());
    for (const projectId of this.#lastSeen.keys()) if (!live.has(projectId)) this.#lastSeen.delete(projectId);
    const stopped: string[] = [];
    for (const projectId of live) {
      const seen = this.#lastSeen.get(projectId);
      // A server first seen now (started by a round, or before this process knew it) starts its clock.
      if (seen === undefined || this.opts.watched(projectId)) {
        this.#lastSeen.set(projectId, now);
        continue;
      }
      if (now - seen < this.opts.idleMs) continue;
      try {
        const sandbox = await this.opts.sandboxes.get(projectId);
        // One starting (or restarting) was asked for just now; its clock starts once it runs.
        if (sandbox?.status().state !== 'running') {
          this.#lastSeen.set(projectId, now);
          continue;
        }
        this.#lastSeen.delete(projectId);
        await sandbox.stopDevServer();
        stopped.push(projectId);
      } catch (e) {
        this.opts.log(`cannot stop the idle dev server of ${projectId}: ${(e as Error).message}`);
      }
    }
    if (stopped.length > 0) this.opts.log(`stopped ${stopped.length} idle dev server(s)`);
    return stopped;
  }
}
