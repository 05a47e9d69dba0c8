import type { AgentEvent, NewEvent } from '@lathe/protocol';
import type { AgentStore } from './store';

// file_chunk events are coalesced for this long before they are persisted, so a fast model
// costs a few inserts per second per file instead of one per token.
const CHUNK_FLUSH_MS = 40;
// Dev-server and install output is batched for this long: consecutive lines of one source and
// stream become one log event, so a chatty process costs a few transactions a second, not one a line.
export const LOG_FLUSH_MS = 250;
/** A batch of output is stored at once when it reaches this many lines… */
export const LOG_BATCH_LINES = 200;
/** …and one log event holds at most this many characters of joined lines. */
const LOG_EVENT_CHARS = 32_000;

type LogEvent = Extract<NewEvent, { type: 'log' }>;

/** Output lines that are batched (the agent's own log lines are few and go out at once). */
function isBatchedLog(event: NewEvent): event is LogEvent {
  return event.type === 'log' && event.payload.source !== 'agent';
}

/**
 * The agent's event outbox: events are persisted in order (getting their seq) and then delivered.
 * Consecutive chunks of one file are merged and flushed shortly after; output lines are merged
 * and flushed a little later; everything else flushes at once (with whatever is queued before it).
 */
export class EventOutbox {
  private queue: NewEvent[] = [];
  private flushing: Promise<void> = Promise.resolve();
  /** A flush chained but not started yet. */
  private nextFlush: Promise<void> | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private timerDue = 0;
  /** Output lines queued (for the batch size) and in the queue's last log event (for merging). */
  private queuedLines = 0;
  private tailLines = 0;
  private closed = false;

  constructor(
    private readonly store: AgentStore,
    private readonly projectId: string,
    /** Stored events, in order (after they have their seq). */
    private readonly deliver: (events: AgentEvent[]) => void,
    /** A flush in the background failed: the event log is unusable. */
    private readonly onError: (e: unknown) => void,
  ) {}

  emit(event: NewEvent): Promise<void> {
    if (this.closed) return Promise.resolve();
    const last = this.queue.at(-1);
    if (event.type === 'file_chunk') {
      if (last?.type === 'file_chunk' && last.payload.path === event.payload.path) {
        last.payload = { path: last.payload.path, chunk: last.payload.chunk + event.payload.chunk };
      } else {
        this.queue.push({ type: 'file_chunk', payload: { ...event.payload } });
      }
      this.schedule(CHUNK_FLUSH_MS);
      return Promise.resolve();
    }
    if (isBatchedLog(event)) {
      this.queueLog(event, last);
      if (this.queuedLines >= LOG_BATCH_LINES) return this.flush();
      this.schedule(LOG_FLUSH_MS);
      return Promise.resolve();
    }
    this.queue.push(event);
    return this.flush();
  }

  /** Stores what is queued now and resolves once everything emitted so far is stored and delivered (or failed). */
  settled(): Promise<void> {
    if (this.queue.length > 0) this.flush().catch((e: unknown) => this.onError(e));
    return this.flushing.catch(() => undefined);
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private queueLog(event: LogEvent, last: NewEvent | undefined): void {
    const { source, stream, text } = event.payload;
    this.queuedLines++;
    if (
      last?.type === 'log' &&
      last.payload.source === source &&
      last.payload.stream === stream &&
      this.tailLines < LOG_BATCH_LINES &&
      last.payload.text.length + text.length < LOG_EVENT_CHARS
    ) {
      last.payload = { source, stream, text: `${last.payload.text}\n${text}` };
      this.tailLines++;
      return;
    }
    this.queue.push({ type: 'log', payload: { source, stream, text } });
    this.tailLines = 1;
  }

  /** Flushes within `ms` (an earlier deadline already set stands). */
  private schedule(ms: number): void {
    const due = Date.now() + ms;
    if (this.timer && this.timerDue <= due) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerDue = due;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.flush().catch((e: unknown) => this.onError(e));
    }, ms);
  }

  private flush(): Promise<void> {
    // A flush that has not started yet will take everything queued by then: no need for another.
    if (this.nextFlush) return this.nextFlush;
    const run = this.flushing.then(async () => {
      this.nextFlush = null;
      if (this.timer) {
        clearTimeout(this.timer);
        this.timer = null;
      }
      const batch = this.queue;
      this.queue = [];
      this.queuedLines = 0;
      this.tailLines = 0;
      if (batch.length === 0 || this.closed) return;
      this.deliver(await this.store.appendEvents(this.projectId, batch));
    });
    this.nextFlush = run;
    this.flushing = run.catch(() => undefined);
    return run;
  }
}
