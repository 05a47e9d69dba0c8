import type { EventsRepository } from '@lathe/db';
import { type AgentEvent, type ClientMessage, type ErrorInfo, parseClientMessage, type ServerFrame, toErrorInfo } from '@lathe/protocol';
import type { ServerWebSocket } from 'bun';
import type { Log } from './context';

/** What a project socket carries from the upgrade (authorization already done). */
export interface ProjectSocketData {
  kind: 'project';
  projectId: string;
  userId: string;
  /** The sign-in session that opened the socket; it is closed when that session ends. */
  sessionId: string;
  afterSeq: number;
}

/** The minimal socket the hub needs; Bun's ServerWebSocket satisfies it. */
export type HubSocket = Pick<ServerWebSocket<ProjectSocketData>, 'send' | 'close' | 'getBufferedAmount' | 'data'>;

export interface HubHandlers {
  snapshotFrame(projectId: string): Promise<ServerFrame>;
  /** generate / message / cancel from a client; throws a LatheError to answer with an `error` frame. */
  command(socket: ProjectSocketData, message: Exclude<ClientMessage, { type: 'get_state' } | { type: 'resume' }>): Promise<void>;
}

interface Client {
  ws: HubSocket;
  /** Highest seq handed to the socket. */
  lastSeq: number;
  /** Live events that arrive while the log is being replayed; null when live. */
  pending: AgentEvent[] | null;
  /** Bumped on every replay so a superseded replay stops. */
  replayId: number;
  closed: boolean;
}

/** Projects run by another API process: their events are read from the shared log. */
export interface RemoteFollow {
  /** True when this process runs the project's agent (its events arrive through publish). */
  isLocal(projectId: string): boolean;
  intervalMs: number;
}

const REPLAY_PAGE = 1000;
/** Application close code for "too slow, reconnect with the resume hint". */
export const CLOSE_SLOW_CONSUMER = 4008;
/** Application close code for "the session that opened this socket has ended (signed out or expired)". */
export const CLOSE_SIGNED_OUT = 4001;

/**
 * Fans a project's events out to all its sockets: snapshot, then the log after the client's seq,
 * then live events, each exactly once and in order. A socket whose send buffer passes the limit
 * gets a resume hint and is closed, so a slow client never holds the agent back.
 */
export class ProjectHub {
  readonly #clients = new Map<string, Set<Client>>();
  readonly #bySocket = new WeakMap<object, Client>();
  /** Highest seq published per watched project (where following the log resumes). */
  readonly #cursor = new Map<string, number>();
  #follower: ReturnType<typeof setInterval> | null = null;
  #following = false;

  constructor(
    private readonly events: Pick<EventsRepository, 'after'>,
    private readonly handlers: HubHandlers,
    private readonly maxBufferedBytes: number,
    private readonly log: Log,
    private readonly follow: RemoteFollow | null = null,
  ) {}

  viewerCount(projectId: string): number {
    return this.#clients.get(projectId)?.size ?? 0;
  }

  async open(ws: HubSocket): Promise<void> {
    const client: Client = { ws, lastSeq: ws.data.afterSeq, pending: [], replayId: 0, closed: false };
    this.#bySocket.set(ws, client);
    let set = this.#clients.get(ws.data.projectId);
    if (!set) {
      set = new Set();
      this.#clients.set(ws.data.projectId, set);
    }
    set.add(client);
    if (!this.#cursor.has(ws.data.projectId)) this.#cursor.set(ws.data.projectId, ws.data.afterSeq);
    this.#startFollowing();
    try {
      this.#send(client, await this.handlers.snapshotFrame(ws.data.projectId));
      await this.#replay(client, ws.data.afterSeq);
    } catch (e) {
      this.#fail(client, e);
    }
  }

  close(ws: HubSocket): void {
    const client = this.#bySocket.get(ws);
    if (client) this.#drop(client);
  }

  /** Live event from an agent of this process (already persisted with its seq). */
  publish(event: AgentEvent): void {
    const set = this.#clients.get(event.projectId);
    if (!set) return;
    if (event.seq > (this.#cursor.get(event.projectId) ?? 0)) this.#cursor.set(event.projectId, event.seq);
    let frame: string | null = null;
    for (const client of set) {
      if (client.pending) {
        client.pending.push(event);
      } else if (event.seq > client.lastSeq) {
        frame ??= JSON.stringify({ frame: 'event', event } satisfies ServerFrame);
        this.#sendRaw(client, frame, event.seq);
      }
    }
  }

  async message(ws: HubSocket, raw: string | Buffer): Promise<void> {
    const client = this.#bySocket.get(ws);
    if (!client || client.closed) return;
    const parsed = parseClientMessage(typeof raw === 'string' ? raw : raw.toString('utf8'));
    if (!parsed.ok) {
      this.#sendError(client, { code: 'bad_message', message: parsed.error });
      return;
    }
    const msg = parsed.value;
    try {
      if (msg.type === 'get_state') {
        this.#send(client, await this.handlers.snapshotFrame(ws.data.projectId));
      } else if (msg.type === 'resume') {
        client.pending ??= [];
        client.lastSeq = msg.afterSeq;
        await this.#replay(client, msg.afterSeq);
      } else {
        await this.handlers.command(ws.data, msg);
      }
    } catch (e) {
      this.#sendError(client, toErrorInfo(e));
    }
  }

  /** Closes every socket (server shutdown); clients reconnect with their last seq. */
  closeAll(code: number, reason: string): void {
    for (const set of [...this.#clients.values()]) {
      for (const client of [...set]) {
        client.ws.close(code, reason);
        this.#drop(client);
      }
    }
  }

  /** The sign-in sessions (with their users) that hold sockets open now. */
  sessions(): { sessionId: string; userId: string }[] {
    const seen = new Map<string, { sessionId: string; userId: string }>();
    for (const set of this.#clients.values()) {
      for (const { ws } of set)
        seen.set(`${ws.data.sessionId}\u0000${ws.data.userId}`, { sessionId: ws.data.sessionId, userId: ws.data.userId });
    }
    return [...seen.values()];
  }

  /** Closes every socket a session opened (it ended). */
  closeSession(sessionId: string, code: number, reason: string): void {
    for (const set of [...this.#clients.values()]) {
      for (const client of [...set]) {
        if (client.ws.data.sessionId !== sessionId) continue;
        client.ws.close(code, reason);
        this.#drop(client);
      }
    }
  }

  /** Closes the sockets of one project (it was deleted). */
  closeProject(projectId: string, code: number, reason: string): void {
    for (const client of [...(this.#clients.get(projectId) ?? [])]) {
      client.ws.close(code, reason);
      this.#drop(client);
    }
  }

  async #replay(client: Client, afterSeq: number): Promise<void> {
    const replayId = ++client.replayId;
    let cursor = afterSeq;
    for (;;) {
      const page = await this.events.after(client.ws.data.projectId, cursor, REPLAY_PAGE);
      if (client.closed || replayId !== client.replayId) return;
      for (const event of page) {
        if (!this.#sendEvent(client, event)) return;
      }
      const last = page.at(-1);
      if (page.length < REPLAY_PAGE || !last) break;
      cursor = last.seq;
    }
    // Events published during the replay that the log read did not include.
    const pending = client.pending ?? [];
    client.pending = null;
    for (const event of pending) {
      if (!this.#sendEvent(client, event)) return;
    }
  }

  #sendEvent(client: Client, event: AgentEvent): boolean {
    if (event.seq <= client.lastSeq) return true;
    return this.#sendRaw(client, JSON.stringify({ frame: 'event', event } satisfies ServerFrame), event.seq);
  }

  #send(client: Client, frame: ServerFrame): boolean {
    return this.#sendRaw(client, JSON.stringify(frame), null);
  }

  #sendError(client: Client, error: ErrorInfo): void {
    this.#send(client, { frame: 'error', error });
  }

  #sendRaw(client: Client, data: string, seq: number | null): boolean {
    if (client.closed) return false;
    const status = client.ws.send(data);
    if (status === 0) {
      this.#drop(client);
      return false;
    }
    if (seq !== null) client.lastSeq = seq;
    if (client.ws.getBufferedAmount() > this.maxBufferedBytes) {
      // What is already buffered still reaches the client; it resumes after that.
      client.ws.send(JSON.stringify({ frame: 'resume_hint', afterSeq: client.lastSeq } satisfies ServerFrame));
      client.ws.close(CLOSE_SLOW_CONSUMER, 'client too slow; reconnect with the resume hint');
      this.#drop(client);
      return false;
    }
    return true;
  }

  #fail(client: Client, e: unknown): void {
    this.log(`socket for project ${client.ws.data.projectId} failed: ${toErrorInfo(e).message}`);
    this.#sendError(client, { code: 'internal_error', message: 'the event stream failed; reconnect to resume' });
    client.ws.close(1011, 'internal error');
    this.#drop(client);
  }

  #drop(client: Client): void {
    client.closed = true;
    const projectId = client.ws.data.projectId;
    const set = this.#clients.get(projectId);
    set?.delete(client);
    if (set?.size === 0) {
      this.#clients.delete(projectId);
      this.#cursor.delete(projectId);
    }
    if (this.#clients.size === 0 && this.#follower) {
      clearInterval(this.#follower);
      this.#follower = null;
    }
  }

  #startFollowing(): void {
    if (!this.follow || this.#follower) return;
    this.#follower = setInterval(() => void this.#followRemote(), this.follow.intervalMs);
  }

  /** Publishes what other processes appended for watched projects this process does not run. */
  async #followRemote(): Promise<void> {
    if (this.#following || !this.follow) return;
    this.#following = true;
    try {
      for (const projectId of [...this.#clients.keys()]) {
        if (this.follow.isLocal(projectId)) continue;
        const page = await this.events.after(projectId, this.#cursor.get(projectId) ?? 0, REPLAY_PAGE);
        for (const event of page) this.publish(event);
      }
    } catch (e) {
      this.log(`following the event log failed: ${toErrorInfo(e).message}`);
    } finally {
      this.#following = false;
    }
  }
}
