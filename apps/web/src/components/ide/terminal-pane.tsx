import type { ErrorInfo, TerminalExitReason } from '@lathe/protocol';
import { useEffect, useRef, useState } from 'react';
import { connectTerminal, inputMessages, type TerminalConnection } from '../../lib/terminal-socket';
import { IconTerminal, IconX } from '../icons';
import { cx, IconButton, Spinner } from '../ui';

type Status =
  | { kind: 'connecting' }
  | { kind: 'open' }
  | { kind: 'ended'; reason: TerminalExitReason | 'disconnected'; code: number | null }
  | { kind: 'failed'; error: ErrorInfo };

const ENDED: Record<TerminalExitReason | 'disconnected', string> = {
  exited: 'The shell exited.',
  idle: 'The terminal was closed after a while without use.',
  taken_over: 'The terminal was opened in another window.',
  closed: 'The terminal was closed.',
  disconnected: 'The connection to the terminal was lost.',
};

/** The terminal's colours follow the IDE's theme (its CSS variables). */
function themeFromCss(): { background: string; foreground: string; cursor: string; selectionBackground: string } {
  const css = getComputedStyle(document.documentElement);
  const v = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback;
  return {
    background: v('--canvas', '#0b0d12'),
    foreground: v('--fg', '#e7e9ee'),
    cursor: v('--accent', '#9479ff'),
    selectionBackground: v('--accent-soft', '#231c45'),
  };
}

/**
 * A shell in the project's sandbox (xterm.js, loaded when the panel first opens). Copy with
 * Ctrl+Shift+C (Cmd+C), paste with Ctrl+Shift+V (Cmd+V) or the browser's paste.
 */
export function TerminalPane({ projectId, onClose }: { projectId: string; onClose: () => void }) {
  const host = useRef<HTMLDivElement>(null);
  const [status, setStatus] = useState<Status>({ kind: 'connecting' });
  const [session, setSession] = useState(0);

  // biome-ignore lint/correctness/useExhaustiveDependencies: `session` is how "New shell" asks for a fresh connection
  useEffect(() => {
    let disposed = false;
    let cleanup = () => {};
    setStatus({ kind: 'connecting' });
    void import('./xterm').then(({ Terminal, FitAddon }) => {
      const el = host.current;
      if (disposed || !el) return;
      const term = new Terminal({
        cursorBlink: true,
        fontFamily: 'JetBrains Mono, ui-monospace, SFMono-Regular, Menlo, Consolas, monospace',
        fontSize: 13,
        scrollback: 5000,
        theme: themeFromCss(),
        screenReaderMode: false,
      });
      const fit = new FitAddon();
      term.loadAddon(fit);
      term.open(el);
      fit.fit();
      let connection: TerminalConnection | null = null;
      let ended = false;
      connection = connectTerminal(
        projectId,
        { cols: term.cols, rows: term.rows },
        {
          onFrame: (frame) => {
            if (frame.type === 'ready') {
              term.reset();
              if (frame.replay) term.write(frame.replay);
              setStatus({ kind: 'open' });
              term.focus();
            } else if (frame.type === 'output') term.write(frame.data);
            else if (frame.type === 'dropped') term.write(`\r\n\x1b[33m[${frame.chars} characters of output left out]\x1b[0m\r\n`);
            else if (frame.type === 'error') {
              if (frame.error.code !== 'bad_message') {
                ended = true;
                setStatus({ kind: 'failed', error: frame.error });
              }
            } else {
              ended = true;
              setStatus({ kind: 'ended', reason: frame.reason, code: frame.code });
            }
          },
          onClose: () => {
            if (!ended && !disposed) setStatus({ kind: 'ended', reason: 'disconnected', code: null });
          },
        },
      );
      const input = term.onData((data) => {
        for (const m of inputMessages(data)) connection?.send(m);
      });
      const resized = term.onResize(({ cols, rows }) => connection?.send({ type: 'resize', cols, rows }));
      term.attachCustomKeyEventHandler((e) => {
        // Ctrl+C is the shell's interrupt; copying takes Shift (as in other terminals) or Cmd.
        if (e.type === 'keydown' && e.ctrlKey && e.shiftKey && e.code === 'KeyC') {
          const text = term.getSelection();
          if (text) void navigator.clipboard?.writeText(text);
          e.preventDefault();
          return false;
        }
        // Ctrl+Shift+V: the browser pastes into xterm's input, which sends it on.
        if (e.ctrlKey && e.shiftKey && e.code === 'KeyV') return false;
        return true;
      });
      const observer = new ResizeObserver(() => {
        if (el.clientWidth > 0 && el.clientHeight > 0) fit.fit();
      });
      observer.observe(el);
      const themed = new MutationObserver(() => {
        term.options.theme = themeFromCss();
      });
      themed.observe(document.documentElement, { attributes: true, attributeFilter: ['class'] });
      cleanup = () => {
        observer.disconnect();
        themed.disconnect();
        input.dispose();
        resized.dispose();
        connection?.close();
        term.dispose();
      };
    });
    return () => {
      disposed = true;
      cleanup();
    };
  }, [projectId, session]);

  return (
    <section aria-label="Terminal" className="flex h-full min-h-0 flex-col bg-surface" data-testid="terminal">
      <div className="flex h-8 shrink-0 items-center gap-2 border-b border-line px-2 max-lg:h-11">
        <span className="flex items-center gap-1.5 px-1.5 text-xs font-medium text-muted">
          <IconTerminal width={13} height={13} /> Terminal
        </span>
        <span className="truncate text-[11px] text-faint" data-testid="terminal-status" data-status={status.kind}>
          {status.kind === 'connecting' ? (
            <span className="inline-flex items-center gap-1.5">
              <Spinner className="size-3" /> Starting a shell…
            </span>
          ) : status.kind === 'open' ? (
            'Shell in the project sandbox'
          ) : null}
        </span>
        <IconButton label="Close terminal" onClick={onClose} className="ml-auto size-6 max-lg:size-10">
          <IconX width={12} height={12} />
        </IconButton>
      </div>
      {(status.kind === 'ended' || status.kind === 'failed') && (
        <div
          role={status.kind === 'failed' ? 'alert' : 'status'}
          className={cx(
            'flex shrink-0 flex-wrap items-center gap-2 border-b border-line px-3 py-1.5 text-xs',
            status.kind === 'failed' ? 'bg-bad/10 text-bad' : 'text-muted',
          )}
        >
          <span className="min-w-0 flex-1">
            {status.kind === 'failed'
              ? status.error.message
              : `${ENDED[status.reason]}${status.code !== null && status.code !== 0 ? ` (exit code ${status.code})` : ''}`}
          </span>
          {status.kind === 'ended' && (
            <button
              type="button"
              onClick={() => setSession((n) => n + 1)}
              className="rounded-md border border-line bg-surface px-2.5 py-1 font-medium text-fg hover:border-accent max-lg:min-h-10"
            >
              New shell
            </button>
          )}
        </div>
      )}
      <div ref={host} className="min-h-0 flex-1 overflow-hidden bg-canvas p-1" />
    </section>
  );
}
