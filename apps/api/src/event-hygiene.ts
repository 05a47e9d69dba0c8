import type { EventsRepository } from '@lathe/db';
import { type AgentEvent, isActiveState } from '@lathe/protocol';
import type { Log } from './context';

/**
 * Keeps each project's event log small while replay still works:
 * - when a round stops (complete, failed or cancelled) its file_chunk events are deleted: the
 *   files and phase snapshots hold the same text, and a client that missed the chunks reads the
 *   file over REST (the file_end it replays carries the hash and size to check against);
 * - log events form a ring: every so often all but the newest `logRing` are deleted.
 * Seqs are never reused, so resuming after a seq stays exact; the log just has holes.
 */
export class EventHygiene {
  /** Log events appended per project since its last trim. */
  readonly #sinceTrim = new Map<string, number>();
  /** One clean-up at a time per project, in the order they were asked for. */
  readonly #running = new Map<string, Promise<void>>();
  readonly #trimEvery: number;

  constructor(
    private readonly events: Pick<EventsRepository, 'compactFileChunks' | 'trimLogs'>,
    private readonly logRing: number,
    private readonly log: Log,
  ) {
    // Trimming on every batch would cost a delete per batch; the ring may overshoot by a tenth.
    this.#trimEvery = Math.max(1, Math.floor(logRing / 10));
  }

  /** Sees every event an agent of this process stored. */
  onEvent(event: AgentEvent): void {
    const { projectId } = event;
    if (event.type === 'log') {
      const n = (this.#sinceTrim.get(projectId) ?? 0) + 1;
      if (n < this.#trimEvery) {
        this.#sinceTrim.set(projectId, n);
        return;
      }
      this.#sinceTrim.delete(projectId);
      this.#run(projectId, async () => {
        await this.events.trimLogs(projectId, this.logRing);
      });
      return;
    }
    if (event.type === 'state_change' && !isActiveState(event.payload.to)) {
      this.#sinceTrim.delete(projectId);
      this.#run(projectId, async () => {
        await this.events.compactFileChunks(projectId, event.seq);
        await this.events.trimLogs(projectId, this.logRing);
      });
    }
  }

  /** Resolves when the clean-ups asked for so far are done (tests, shutdown). */
  async idle(): Promise<void> {
    await Promise.all([...this.#running.values()]);
  }

  #run(projectId: string, work: () => Promise<void>): void {
    const next = (this.#running.get(projectId) ?? Promise.resolve())
      .then(work)
      .catch((e: unknown) => this.log(`cleaning the event log of project ${projectId} failed: ${(e as Error).message}`));
    this.#running.set(projectId, next);
    void next.then(() => {
      if (this.#running.get(projectId) === next) this.#running.delete(projectId);
    });
  }
}
