import type { AgentStore } from '@lathe/agent';
import type { ProjectRow, RecordOptions, Repositories, VersionChanges, VersionInput, VersionRow } from '@lathe/db';
import { type AgentEvent, LatheError, type RestoreResult, type Version } from '@lathe/protocol';
import type { SandboxProvider } from '@lathe/sandbox';
import type { Log } from './context';

/**
 * Version history (issue 15): records a version after every phase and for every burst of user
 * edits, restores a version into the database and the running sandbox (the preview follows by
 * HMR), and tells the project's sockets (`version_created`).
 *
 * An edit burst: saves that follow each other within `burstMs` (LATHE_EDIT_BURST_MS, 30 s) are
 * one version, which moves on with each save, for at most `burstMaxMs` (5 minutes) from its
 * first save. Any other version (a phase, a restore) ends the burst, so the agent's next round
 * always starts a new one.
 */

export interface HistoryOptions {
  repos: Repositories;
  sandboxes: SandboxProvider;
  /** True while a round runs on the project (a restore then waits: 409). */
  isBusy: (projectId: string) => boolean;
  /** Hands an event to the project's sockets. */
  publish: (event: AgentEvent) => void;
  burstMs: number;
  burstMaxMs: number;
  /** BURST_ANNOUNCE_MS unless given (tests). */
  burstAnnounceMs?: number;
  log: Log;
}

export const DEFAULT_EDIT_BURST_MS = 30_000;
export const DEFAULT_EDIT_BURST_MAX_MS = 5 * 60_000;
/**
 * An open burst moves on with every save (the editor saves 700 ms after typing stops), so its
 * `version_created` is told at most once per this many ms per project: the first at once, the
 * latest at the end of the window. New versions are always told at once (after a pending one).
 */
export const BURST_ANNOUNCE_MS = 5_000;

/** LATHE_EDIT_BURST_MS: a whole number of ms (0: every save is a version of its own). */
export function editBurstMsFromEnv(env: Record<string, string | undefined>): number {
  const raw = env.LATHE_EDIT_BURST_MS?.trim();
  if (raw === undefined || raw === '') return DEFAULT_EDIT_BURST_MS;
  if (!/^\d{1,9}$/.test(raw))
    throw new LatheError('bad_config', `LATHE_EDIT_BURST_MS must be a whole number of milliseconds (got "${raw}")`);
  return Number(raw);
}

/** "Edited src/App.tsx", "Edited src/a.ts, src/b.ts", "Edited 5 files". */
export function editLabel(changes: VersionChanges): string {
  const paths = [...changes.modified, ...changes.added, ...changes.deleted];
  if (paths.length === 0) return 'Edited files';
  if (paths.length <= 2) return `Edited ${paths.join(', ')}`;
  return `Edited ${paths.length} files`;
}

/** Told of every version made or moved on (e.g. to commit it to the project's git repository). */
export type VersionListener = (projectId: string, version: Version, files: { written: string[]; deleted: string[] }) => void;

export class History {
  readonly #restoring = new Set<string>();
  readonly #listeners = new Set<VersionListener>();
  /** Per project with an open announce window: the moved-on burst waiting for the window's end. */
  readonly #burstTold = new Map<string, { pending: VersionRow | null; timer: ReturnType<typeof setTimeout> }>();

  constructor(private readonly opts: HistoryOptions) {}

  /**
   * Records the project's current stored files as a version and tells its sockets. The one entry
   * point for other code (file operations, git) that wants a version recorded.
   */
  async record(projectId: string, input: VersionInput, options: RecordOptions = {}): Promise<Version> {
    const { version, outcome } = await this.opts.repos.versions.record(projectId, input, options);
    if (outcome === 'updated') this.#announceBurst(projectId, version);
    else if (outcome === 'created') {
      await this.#flushBurst(projectId, false);
      await this.#announce(projectId, version, [], []);
    }
    return version;
  }

  /** Tells any burst version still waiting for its window (shutdown, tests). */
  async flush(): Promise<void> {
    for (const projectId of [...this.#burstTold.keys()]) await this.#flushBurst(projectId, false);
  }

  #announceBurst(projectId: string, version: VersionRow): void {
    const told = this.#burstTold.get(projectId);
    if (told) {
      told.pending = version;
      return;
    }
    this.#openWindow(projectId);
    void this.#announce(projectId, version, [], []).catch((e: unknown) => this.#announceFailed(projectId, e));
  }

  /** For the next window, moved-on bursts wait; at its end the latest is told (and a new window opens). */
  #openWindow(projectId: string): void {
    const timer = setTimeout(
      () => void this.#flushBurst(projectId).catch((e: unknown) => this.#announceFailed(projectId, e)),
      this.opts.burstAnnounceMs ?? BURST_ANNOUNCE_MS,
    );
    timer.unref?.();
    this.#burstTold.set(projectId, { pending: null, timer });
  }

  async #flushBurst(projectId: string, reopen = true): Promise<void> {
    const told = this.#burstTold.get(projectId);
    if (!told) return;
    clearTimeout(told.timer);
    this.#burstTold.delete(projectId);
    if (!told.pending) return;
    if (reopen) this.#openWindow(projectId);
    await this.#announce(projectId, told.pending, [], []);
  }

  #announceFailed(projectId: string, e: unknown): void {
    this.opts.log(`telling ${projectId}'s sockets of an edit version failed: ${(e as Error).message}`);
  }

  /** Calls `listener` after each version is recorded; returns the unsubscribe. */
  onVersion(listener: VersionListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** A user saved a file: the edit joins the open burst or starts a new one. */
  async userEdited(projectId: string): Promise<Version> {
    const burstMs = this.opts.burstMs > 0 ? this.opts.burstMs : -1;
    return this.record(projectId, { kind: 'edit', label: editLabel }, { burstMs, burstMaxMs: this.opts.burstMaxMs, skipUnchanged: true });
  }

  /** A phase's snapshot was saved: its version is named after the phase's design. */
  async phaseSaved(projectId: string, round: number, phaseIndex: number): Promise<Version> {
    const stored = await this.opts.repos.agentStates.load(projectId);
    const name = stored?.snapshot.phases.find((p) => p.index === phaseIndex)?.spec?.name;
    return this.record(projectId, { kind: 'phase', label: name ?? `Phase ${phaseIndex + 1}`, round, phaseIndex });
  }

  /**
   * A round ended: the review's fixes came after its last phase's version, so the files as the
   * round left them are a version of that phase too, when they differ.
   */
  async roundEnded(projectId: string, round: number): Promise<Version> {
    const stored = await this.opts.repos.agentStates.load(projectId);
    const last = stored?.snapshot.phases.filter((p) => p.round === round).at(-1);
    const name = last?.spec?.name ?? 'Round';
    return this.record(
      projectId,
      { kind: 'phase', label: `${name} (after review)`, round, phaseIndex: last?.index ?? null },
      { skipUnchanged: true },
    );
  }

  /** True while a restore of the project is being written (a round may not start meanwhile). */
  isRestoring(projectId: string): boolean {
    return this.#restoring.has(projectId);
  }

  /**
   * Writes version `seq`'s files back (database, then the sandbox, so the preview updates by
   * HMR), deleting files it did not have; the restore is itself a new version. 409 `busy` while
   * a round runs; `not_found` for an unknown version.
   */
  async restore(project: ProjectRow, seq: number): Promise<RestoreResult> {
    const id = project.id;
    if (this.#restoring.has(id) || this.opts.isBusy(id)) {
      throw new LatheError('busy', 'the agent is working on this project: wait for it to finish (or stop it), then restore');
    }
    this.#restoring.add(id);
    try {
      const outcome = await this.opts.repos.versions.restore(id, seq);
      await this.#syncSandbox(id, outcome.written, outcome.deleted);
      await this.#flushBurst(id, false);
      if (outcome.checkpoint) await this.#announce(id, outcome.checkpoint, [], []);
      await this.#announce(id, outcome.version, outcome.written, outcome.deleted);
      return { version: outcome.version, written: outcome.written, deleted: outcome.deleted };
    } finally {
      this.#restoring.delete(id);
    }
  }

  /** A running sandbox gets the restored files; a stopped one is re-created from the database anyway. */
  async #syncSandbox(projectId: string, written: string[], deleted: string[]): Promise<void> {
    const sandbox = await this.opts.sandboxes.get(projectId);
    if (!sandbox) return;
    const files = await this.opts.repos.files.readMany(projectId, written);
    // Written first: a deleted module's importers are already restored when it goes.
    if (files.length > 0) await sandbox.writeFiles(files.map((f) => ({ path: f.path, content: f.content, encoding: f.encoding })));
    for (const path of deleted) await sandbox.deleteFile(path);
  }

  async #announce(projectId: string, version: VersionRow, written: string[], deleted: string[]): Promise<void> {
    const event = await this.opts.repos.events.append(projectId, { type: 'version_created', payload: { version, written, deleted } });
    this.opts.publish(event);
    for (const listener of this.#listeners) {
      try {
        listener(projectId, version, { written, deleted });
      } catch (e) {
        this.opts.log(`a version listener failed for ${projectId}: ${(e as Error).message}`);
      }
    }
  }
}

/**
 * The agent's store, with a version recorded after each phase snapshot and at the end of each
 * round (when review fixes changed files). A failure to record is logged, not the round's: the
 * files are stored and the snapshot saved either way.
 */
export function withVersionHistory(store: AgentStore, history: Pick<History, 'phaseSaved' | 'roundEnded'>, log: Log): AgentStore {
  return {
    ...store,
    async appendEvents(projectId, events) {
      const stored = await store.appendEvents(projectId, events);
      for (const e of stored) {
        if (e.type !== 'generation_complete') continue;
        await history.roundEnded(projectId, e.payload.round).catch((err: unknown) => {
          log(`recording the version at the end of round ${e.payload.round} of ${projectId} failed: ${(err as Error).message}`);
        });
      }
      return stored;
    },
    async savePhaseSnapshot(projectId, round, phaseIndex, files) {
      await store.savePhaseSnapshot(projectId, round, phaseIndex, files);
      await history.phaseSaved(projectId, round, phaseIndex).catch((e: unknown) => {
        log(`recording the version of phase ${phaseIndex} of ${projectId} failed: ${(e as Error).message}`);
      });
    },
  };
}
