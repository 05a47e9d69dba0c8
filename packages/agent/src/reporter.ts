import type { AgentEvent, LogSource, NewEvent } from '@lathe/protocol';
import { droppedLinesText, LogThrottle } from './log-throttle';
import { EventOutbox } from './outbox';
import type { AgentSandbox } from './runner';
import type { AgentStore } from './store';

export type AgentListener = (event: AgentEvent) => void;

/** Dev-server and install lines kept per project and second; the rest are counted and dropped. */
export const LOG_LINES_PER_SECOND = 200;

/**
 * Everything the agent tells the world: protocol events (persisted first, so each carries its
 * seq, then passed to subscribers, in order), chat messages, agent log lines and the dev server's
 * output. The runner decides what happens; the reporter only records and delivers it.
 */
export class Reporter {
  private readonly listeners = new Set<AgentListener>();
  private readonly outbox: EventOutbox;
  private readonly throttle = new LogThrottle(LOG_LINES_PER_SECOND);
  /** Set while dropped lines wait for their marker (at the end of the throttle's window). */
  private dropMarker: { timer: ReturnType<typeof setTimeout>; source: LogSource; stream: 'stdout' | 'stderr' } | null = null;
  private followingLogs = false;
  private closed = false;

  constructor(
    private readonly store: AgentStore,
    private readonly projectId: string,
    private readonly hooks: {
      /** The seq of the newest stored event (the runner keeps it in its snapshot). */
      delivered(lastSeq: number): void;
      /** Storing events failed in the background: the event log is unusable. */
      failed(e: unknown): void;
    },
  ) {
    this.outbox = new EventOutbox(store, projectId, (events) => this.deliver(events), hooks.failed);
  }

  subscribe(listener: AgentListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Queues an event: persisted first, then passed to subscribers. Process output (dev server,
   * installs) is throttled per project: lines over the cap are dropped and one marker says how many.
   */
  emit(event: NewEvent): Promise<void> {
    if (event.type === 'log' && event.payload.source !== 'agent' && !this.throttle.admit(Date.now())) {
      this.markDropped(event.payload.source, event.payload.stream);
      return Promise.resolve();
    }
    return this.outbox.emit(event);
  }

  /** An assistant chat message, stored and announced. */
  async say(content: string): Promise<void> {
    const { id } = await this.store.appendMessage(this.projectId, 'assistant', content);
    await this.emit({ type: 'message', payload: { id, role: 'assistant', content } });
  }

  /** The user's request, stored and announced. */
  async heard(content: string): Promise<void> {
    const { id } = await this.store.appendMessage(this.projectId, 'user', content);
    await this.emit({ type: 'message', payload: { id, role: 'user', content } });
  }

  log(text: string): Promise<void> {
    return this.emit({ type: 'log', payload: { source: 'agent', stream: 'stdout', text } });
  }

  /** Forwards the dev server's output as `log` events, once per agent, until closed. */
  followDevLogs(sandbox: Pick<AgentSandbox, 'logs'>): void {
    if (this.followingLogs) return;
    this.followingLogs = true;
    void (async () => {
      for await (const line of sandbox.logs()) {
        if (this.closed) return;
        if (line.source !== 'dev' || line.text.trim() === '') continue;
        await this.emit({ type: 'log', payload: { source: 'dev', stream: line.stream, text: line.text } }).catch((e: unknown) =>
          this.hooks.failed(e),
        );
      }
    })().catch(() => {
      // The sandbox was destroyed under us: there is nothing left to follow.
    });
  }

  /** Resolves once everything emitted so far is stored and delivered (or failed). */
  settled(): Promise<void> {
    return this.outbox.settled();
  }

  close(): void {
    this.closed = true;
    if (this.dropMarker) clearTimeout(this.dropMarker.timer);
    this.dropMarker = null;
    this.outbox.close();
    this.listeners.clear();
  }

  private markDropped(source: LogSource, stream: 'stdout' | 'stderr'): void {
    if (this.dropMarker || this.closed) return;
    const timer = setTimeout(
      () => {
        const marker = this.dropMarker;
        this.dropMarker = null;
        const count = this.throttle.takeDropped();
        if (!marker || count === 0 || this.closed) return;
        const text = droppedLinesText(count, this.throttle.perSecond);
        this.outbox
          .emit({ type: 'log', payload: { source: marker.source, stream: marker.stream, text } })
          .catch((e: unknown) => this.hooks.failed(e));
      },
      Math.max(0, this.throttle.windowEnd - Date.now()),
    );
    this.dropMarker = { timer, source, stream };
  }

  private deliver(stored: AgentEvent[]): void {
    const lastSeq = stored.at(-1)?.seq;
    if (lastSeq !== undefined) this.hooks.delivered(lastSeq);
    for (const e of stored) {
      for (const listener of this.listeners) {
        try {
          listener(e);
        } catch {
          // A failing subscriber must not stop the agent or the other subscribers.
        }
      }
    }
  }
}
