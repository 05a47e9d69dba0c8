import { parseTerminalServerFrame, TERMINAL_INPUT_CHARS, type TerminalClientMessage, type TerminalServerFrame } from '@lathe/protocol';

export function terminalUrl(location: Pick<Location, 'protocol' | 'host'>, projectId: string, cols: number, rows: number): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/api/projects/${encodeURIComponent(projectId)}/terminal?cols=${cols}&rows=${rows}`;
}

/** Splits typed or pasted text into messages the server accepts (a large paste becomes several). */
export function inputMessages(data: string): TerminalClientMessage[] {
  const out: TerminalClientMessage[] = [];
  for (let i = 0; i < data.length; i += TERMINAL_INPUT_CHARS) out.push({ type: 'input', data: data.slice(i, i + TERMINAL_INPUT_CHARS) });
  return out;
}

export interface TerminalConnection {
  send(message: TerminalClientMessage): void;
  close(): void;
}

/** One terminal socket: frames in, messages out; no reconnect (a new shell is the user's choice). */
export function connectTerminal(
  projectId: string,
  size: { cols: number; rows: number },
  handlers: { onFrame(frame: TerminalServerFrame): void; onClose(code: number): void },
): TerminalConnection {
  const ws = new WebSocket(terminalUrl(window.location, projectId, size.cols, size.rows));
  const queue: string[] = [];
  ws.onopen = () => {
    for (const m of queue.splice(0)) ws.send(m);
  };
  ws.onmessage = (msg) => {
    if (typeof msg.data !== 'string') return;
    const parsed = parseTerminalServerFrame(msg.data);
    if (parsed.ok) handlers.onFrame(parsed.value);
  };
  ws.onclose = (e) => handlers.onClose(e.code);
  return {
    send: (message) => {
      const text = JSON.stringify(message);
      if (ws.readyState === WebSocket.OPEN) ws.send(text);
      else if (ws.readyState === WebSocket.CONNECTING) queue.push(text);
    },
    close: () => ws.close(1000),
  };
}
