import { parseTerminalClientMessage, type TerminalExitReason, type TerminalServerFrame, toErrorInfo } from '@lathe/protocol';
import type { Shell } from '@lathe/sandbox';
import type { ServerWebSocket } from 'bun';
import type { Log } from './context';

/** What a terminal socket carries from the upgrade (authorization already done). */
export interface TerminalSocketData {
  kind: 'terminal';
  projectId: string;
  userId: string;
  /** The sign-in session that opened the socket; it is closed when that session ends. */
  sessionId: string;
  cols: number;
  rows: number;
}

export type TerminalSocket = Pick<ServerWebSocket<TerminalSocketData>, 'send' | 'close' | 'getBufferedAmount' | 'data'>;

export interface TerminalHubOptions {
  /** The project's shell, inside its sandbox (re-created from the stored files when needed). */
  openShell(projectId: string, size: { cols: number; rows: number }, onOutput: (text: string) => void): Promise<Shell>;
  /** A command line the user ran: it goes to the project's logs. */
  command(projectId: string, line: string): void;
  /** Close a session nothing was typed into or printed by for this long; null = never. */
  idleMs: number | null;
  /** Output is left out (and counted) while the socket has more than this queued. */
  maxBufferedBytes: number;
  log: Log;
}

/** Output kept for a window that takes the terminal over (the tail of the screen). */
const REPLAY_CHARS = 64 * 1024;
/** A typed line longer than this is logged cut. */
const MAX_LOGGED_LINE = 1000;
export const CLOSE_TERMINAL_TAKEN_OVER = 4009;
export const CLOSE_TERMINAL_IDLE = 4010;
export const CLOSE_TERMINAL_FAILED = 4011;

interface Session {
  projectId: string;
  socket: TerminalSocket;
  shell: Shell | null;
  /** Whether the current socket got its `ready` (output before that is only kept for the replay). */
  live: boolean;
  recent: string;
  dropped: number;
  idle: ReturnType<typeof setTimeout> | null;
  typed: LineRecorder;
  ended: boolean;
}

/**
 * One shell per project, attached to at most one socket: a second window takes the terminal over
 * (the first is told so and closed), and the shell ends with its socket, on `exit`, when idle, on
 * sign-out and when the project goes away.
 */
export class TerminalHub {
  readonly #sessions = new Map<string, Session>();

  constructor(private readonly opts: TerminalHubOptions) {}

  /** Projects with a terminal open (they count as watched). */
  has(projectId: string): boolean {
    return this.#sessions.has(projectId);
  }

  async open(ws: TerminalSocket): Promise<void> {
    const { projectId, cols, rows } = ws.data;
    const existing = this.#sessions.get(projectId);
    if (existing) {
      const previous = existing.socket;
      existing.socket = ws;
      existing.live = false;
      send(previous, { type: 'exit', reason: 'taken_over', code: null });
      previous.close(CLOSE_TERMINAL_TAKEN_OVER, 'the terminal was opened in another window');
      if (existing.shell) {
        existing.shell.resize(cols, rows);
        this.#goLive(existing);
      }
      return;
    }
    const session: Session = {
      projectId,
      socket: ws,
      shell: null,
      live: false,
      recent: '',
      dropped: 0,
      idle: null,
      typed: new LineRecorder(),
      ended: false,
    };
    this.#sessions.set(projectId, session);
    try {
      const shell = await this.opts.openShell(projectId, { cols, rows }, (text) => this.#output(session, text));
      if (session.ended) {
        await shell.kill();
        return;
      }
      session.shell = shell;
      // The idle clock starts once the shell runs (re-creating a sandbox can take a while).
      this.#touch(session);
      void shell.exited.then((code) => this.#end(session, 'exited', code));
      this.#goLive(session);
    } catch (e) {
      if (session.ended) return;
      this.#sessions.delete(projectId);
      session.ended = true;
      if (session.idle) clearTimeout(session.idle);
      const error = toErrorInfo(e);
      if (error.code !== 'shell_unavailable') this.opts.log(`terminal of ${projectId} failed to start: ${error.message}`);
      send(session.socket, { type: 'error', error });
      session.socket.close(CLOSE_TERMINAL_FAILED, error.code);
    }
  }

  message(ws: TerminalSocket, raw: string | Buffer): void {
    const session = this.#sessions.get(ws.data.projectId);
    if (!session || session.socket !== ws || session.ended) return;
    const parsed = parseTerminalClientMessage(typeof raw === 'string' ? raw : raw.toString('utf8'));
    if (!parsed.ok) {
      send(ws, { type: 'error', error: { code: 'bad_message', message: parsed.error } });
      return;
    }
    const msg = parsed.value;
    if (!session.shell) return;
    this.#touch(session);
    if (msg.type === 'resize') {
      session.shell.resize(msg.cols, msg.rows);
      return;
    }
    session.shell.write(msg.data);
    for (const line of session.typed.feed(msg.data)) this.opts.command(session.projectId, line);
  }

  /** The socket closed: its shell ends, unless another window has taken the terminal over. */
  close(ws: TerminalSocket): void {
    const session = this.#sessions.get(ws.data.projectId);
    if (session && session.socket === ws) void this.#end(session, 'closed', null);
  }

  /** The sign-in sessions (with their users) that hold terminals open now. */
  sessions(): { sessionId: string; userId: string }[] {
    return [...this.#sessions.values()].map((s) => ({ sessionId: s.socket.data.sessionId, userId: s.socket.data.userId }));
  }

  /** Ends the terminals a sign-in session opened (it ended). */
  closeSession(sessionId: string, code: number, reason: string): void {
    for (const session of [...this.#sessions.values()]) {
      if (session.socket.data.sessionId !== sessionId) continue;
      void this.#end(session, 'closed', null, code, reason);
    }
  }

  /** Ends a project's terminal (it is being deleted). */
  closeProject(projectId: string, code: number, reason: string): void {
    const session = this.#sessions.get(projectId);
    if (session) void this.#end(session, 'closed', null, code, reason);
  }

  /** Ends every terminal (server shutdown) and waits for their shells. */
  async closeAll(code: number, reason: string): Promise<void> {
    await Promise.all([...this.#sessions.values()].map((s) => this.#end(s, 'closed', null, code, reason)));
  }

  #goLive(session: Session): void {
    send(session.socket, { type: 'ready', replay: session.recent });
    session.live = true;
    session.dropped = 0;
  }

  #output(session: Session, text: string): void {
    if (session.ended) return;
    session.recent = (session.recent + text).slice(-REPLAY_CHARS);
    if (session.shell) this.#touch(session);
    if (!session.live) return;
    // A client that reads slower than the shell prints does not make the server hold its output.
    if (session.socket.getBufferedAmount() > this.opts.maxBufferedBytes) {
      session.dropped += text.length;
      return;
    }
    if (session.dropped > 0) {
      send(session.socket, { type: 'dropped', chars: session.dropped });
      session.dropped = 0;
    }
    send(session.socket, { type: 'output', data: text });
  }

  #touch(session: Session): void {
    const { idleMs } = this.opts;
    if (idleMs === null || session.ended) return;
    if (session.idle) clearTimeout(session.idle);
    session.idle = setTimeout(() => void this.#end(session, 'idle', null, CLOSE_TERMINAL_IDLE, 'idle'), idleMs);
  }

  async #end(
    session: Session,
    reason: TerminalExitReason,
    code: number | null,
    closeCode = 1000,
    closeReason: string = reason,
  ): Promise<void> {
    if (session.ended) return;
    session.ended = true;
    if (session.idle) clearTimeout(session.idle);
    if (this.#sessions.get(session.projectId) === session) this.#sessions.delete(session.projectId);
    send(session.socket, { type: 'exit', reason, code });
    session.socket.close(closeCode, closeReason);
    await session.shell?.kill().catch((e: unknown) => this.opts.log(`ending the terminal of ${session.projectId} failed: ${String(e)}`));
  }
}

function send(ws: TerminalSocket, frame: TerminalServerFrame): void {
  ws.send(JSON.stringify(frame));
}

/**
 * Rebuilds the command lines a user types from the keystrokes a terminal sends: printable text is
 * kept, Backspace removes, Ctrl+C and Ctrl+U drop the line, escape sequences (arrows, function
 * keys) are skipped, Enter completes the line. What the shell's own history or completion inserts
 * is not seen: the log shows what was typed.
 */
export class LineRecorder {
  #line = '';
  #escape: 'none' | 'start' | 'csi' | 'ss3' = 'none';

  feed(data: string): string[] {
    const done: string[] = [];
    for (const ch of data) {
      if (this.#escape !== 'none') {
        this.#skipEscape(ch);
        continue;
      }
      if (ch === '\x1b') this.#escape = 'start';
      else if (ch === '\r' || ch === '\n') {
        const line = this.#line.trim();
        this.#line = '';
        if (line !== '') done.push(line.length > MAX_LOGGED_LINE ? `${line.slice(0, MAX_LOGGED_LINE)}…` : line);
      } else if (ch === '\x7f' || ch === '\b') this.#line = [...this.#line].slice(0, -1).join('');
      else if (ch === '\x03' || ch === '\x15') this.#line = '';
      else if (ch === '\t' || ch >= ' ') {
        if (this.#line.length <= MAX_LOGGED_LINE) this.#line += ch;
      }
    }
    return done;
  }

  #skipEscape(ch: string): void {
    if (this.#escape === 'start') this.#escape = ch === '[' ? 'csi' : ch === 'O' ? 'ss3' : 'none';
    else if (this.#escape === 'ss3') this.#escape = 'none';
    // A CSI sequence ends with a byte from @ to ~.
    else if (ch >= '@' && ch <= '~') this.#escape = 'none';
  }
}
