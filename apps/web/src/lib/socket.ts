import { parseServerFrame, type ServerFrame } from '@lathe/protocol';

export type SocketStatus = 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface ProjectSocketOptions {
  projectId: string;
  /** The last seq already folded in: every (re)connect resumes after it. */
  lastSeq: () => number;
  onFrame: (frame: ServerFrame) => void;
  onStatus: (status: SocketStatus) => void;
  onInvalidFrame: (error: string) => void;
}

const BASE_DELAY_MS = 500;
const MAX_DELAY_MS = 10_000;

/** Reconnect delay: exponential with full jitter, so many tabs do not reconnect in lockstep. */
export function backoffDelay(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** attempt);
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

export function socketUrl(location: Pick<Location, 'protocol' | 'host'>, projectId: string, afterSeq: number): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/api/projects/${encodeURIComponent(projectId)}/ws?after=${afterSeq}`;
}

/**
 * One project's live stream: reconnects with backoff and resumes from the last seq it folded in.
 * Commands (follow-ups, cancel) go over REST, whose answers carry errors per request.
 */
export class ProjectSocket {
  private ws: WebSocket | null = null;
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;
  /** Set by a resume_hint: where the server asked us to pick up. */
  private resumeFrom: number | null = null;

  constructor(private readonly options: ProjectSocketOptions) {}

  start(): void {
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const ws = this.ws;
    this.ws = null;
    ws?.close(1000);
    this.options.onStatus('closed');
  }

  private connect(): void {
    const after = Math.min(this.resumeFrom ?? Number.POSITIVE_INFINITY, this.options.lastSeq());
    this.resumeFrom = null;
    this.options.onStatus(this.attempt === 0 ? 'connecting' : 'reconnecting');
    const ws = new WebSocket(socketUrl(window.location, this.options.projectId, after));
    this.ws = ws;
    ws.onopen = () => {
      if (this.ws === ws) this.options.onStatus('open');
    };
    ws.onmessage = (msg) => {
      if (this.ws !== ws || typeof msg.data !== 'string') return;
      const parsed = parseServerFrame(msg.data);
      if (!parsed.ok) {
        this.options.onInvalidFrame(parsed.error);
        return;
      }
      // Only a connection that delivers data counts as healthy; a flapping one keeps backing off.
      this.attempt = 0;
      if (parsed.value.frame === 'resume_hint') {
        this.resumeFrom = parsed.value.afterSeq;
        ws.close(1000);
        return;
      }
      this.options.onFrame(parsed.value);
    };
    ws.onclose = () => {
      if (this.ws !== ws || this.stopped) return;
      this.ws = null;
      this.scheduleReconnect();
    };
  }

  private scheduleReconnect(): void {
    const delay = this.resumeFrom !== null ? 0 : backoffDelay(this.attempt);
    this.attempt += 1;
    this.options.onStatus('reconnecting');
    this.timer = setTimeout(() => {
      this.timer = null;
      if (!this.stopped) this.connect();
    }, delay);
  }
}
