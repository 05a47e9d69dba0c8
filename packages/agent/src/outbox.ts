import type { AgentEvent, NewEvent } from '@lathe/protocol';
import type { AgentStore } from './store';

// file_chunk events are coalesced for this long before they are persisted, so a fast model
// costs a few inserts per second per file instead of one per token.
const CHUNK_FLUSH_MS = 40;

/**
 * The agent's event outbox: events are persisted in order (getting their seq) and then delivered.
 * Consecutive chunks of one file are merged and flushed shortly after; everything else flushes
 * at once.
 */
export class EventOutbox {
  private queue: NewEvent[] = [];
  private flushing: Promise<void> = Promise.resolve();
  private chunkTimer: ReturnType<typeof setTimeout> | null = null;
  private closed = false;

  constructor(
    private readonly store: AgentStore,
    private readonly projectId: string,
    /** Stored events, in order (after they have their seq). */
    private readonly deliver: (events: AgentEvent[]) => void,
    /** A chunk flush in the background failed: the event log is unusable. */
    private readonly onError: (e: unknown) => void,
  ) {}

  emit(event: NewEvent): Promise<void> {
    if (this.closed) return Promise.resolve();
    const last = this.queue.at(-1);
    if (event.type === 'file_chunk' && last?.type === 'file_chunk' && last.payload.path === event.payload.path) {
      last.payload = { path: last.payload.path, chunk: last.payload.chunk + event.payload.chunk };
    } else {
      this.queue.push(event.type === 'file_chunk' ? { type: 'file_chunk', payload: { ...event.payload } } : event);
    }
    if (event.type === 'file_chunk') {
      this.chunkTimer ??= setTimeout(() => {
        this.chunkTimer = null;
        this.flush().catch((e: unknown) => this.onError(e));
      }, CHUNK_FLUSH_MS);
      return Promise.resolve();
    }
    return this.flush();
  }

  /** Resolves once everything queued so far is stored and delivered (or failed). */
  settled(): Promise<void> {
    return this.flushing.catch(() => undefined);
  }

  close(): void {
    this.closed = true;
    if (this.chunkTimer) clearTimeout(this.chunkTimer);
  }

  private flush(): Promise<void> {
    const run = this.flushing.then(async () => {
      if (this.chunkTimer) {
        clearTimeout(this.chunkTimer);
        this.chunkTimer = null;
      }
      const batch = this.queue;
      this.queue = [];
      if (batch.length === 0 || this.closed) return;
      this.deliver(await this.store.appendEvents(this.projectId, batch));
    });
    this.flushing = run.catch(() => undefined);
    return run;
  }
}
