import { type AgentStateName, type Diagnostic, isActiveState } from '@lathe/protocol';
import { useEffect, useMemo, useRef, useState } from 'react';
import { api } from '../../lib/api';
import { IconExternal, IconMonitor, IconPhone, IconRefresh, IconTablet } from '../icons';
import { cx, IconButton, Spinner } from '../ui';
import { stateText } from './chat-panel';
import { type Problem, ProblemsList, problemKey } from './problems-list';

/** Errors the open preview reports (its dev server injects the reporter); at most this many are kept. */
const MAX_LIVE_ERRORS = 30;

function liveError(data: unknown): Diagnostic | null {
  if (typeof data !== 'object' || data === null) return null;
  const d = data as { type?: unknown; kind?: unknown; message?: unknown };
  if (d.type !== 'lathe:runtime-error' || typeof d.message !== 'string' || d.message.trim() === '') return null;
  const prefix = d.kind === 'console' ? 'console.error: ' : d.kind === 'load' ? '' : 'Uncaught: ';
  return { source: 'runtime', file: null, line: null, column: null, message: `${prefix}${d.message.slice(0, 2000)}` };
}

/** The words of an error message without the reporter's prefixes and error class names. */
function gist(message: string): string {
  return message
    .replace(/^(Uncaught|console\.error)( in the browser)?:\s*/i, '')
    .replace(/\b(Uncaught\s+)?[A-Z]\w*Error:\s*/g, '')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 160);
}

/** A live report the agent's check already lists (worded by the dev server, not the page). */
function sameProblem(checked: string, live: string): boolean {
  const a = gist(checked);
  const b = gist(live);
  return a !== '' && b !== '' && (a.includes(b) || b.includes(a));
}

const WIDTHS = [
  { id: 'mobile', label: 'Mobile (375 px)', width: 375, Icon: IconPhone },
  { id: 'tablet', label: 'Tablet (768 px)', width: 768, Icon: IconTablet },
  { id: 'desktop', label: 'Desktop (full width)', width: null, Icon: IconMonitor },
] as const;

interface PreviewPaneProps {
  projectId: string;
  url: string | null;
  /** Changes when the dev server (re)starts during this session: the frame then loads afresh. */
  serverVersion: number;
  agentState: AgentStateName;
  error: { code: string; message: string } | null;
  /** The agent's open problems (its latest check). */
  problems: readonly Diagnostic[];
  /** Starts a round with this request ("Fix with AI"). */
  onFix: (text: string) => Promise<void>;
}

export function PreviewPane({ projectId, url, serverVersion, agentState, error, problems, onFix }: PreviewPaneProps) {
  const [width, setWidth] = useState<(typeof WIDTHS)[number]['id']>('desktop');
  // Cross-origin frames cannot be told to reload; a new key remounts the iframe instead.
  const [reloadKey, setReloadKey] = useState(0);
  const frameWidth = WIDTHS.find((w) => w.id === width)?.width ?? null;
  const frameKey = `${serverVersion}:${reloadKey}:${url ?? ''}`;
  // Previews are private: every (re)load of the frame goes through a fresh one-time sign-in link.
  const [frame, setFrame] = useState<{ key: string; src: string } | { key: string; error: string } | null>(null);
  useEffect(() => {
    if (!url) return;
    let current = true;
    api.previewTicket(projectId).then(
      (ticket) => current && setFrame({ key: frameKey, src: ticket.url }),
      (e: unknown) => current && setFrame({ key: frameKey, error: e instanceof Error ? e.message : String(e) }),
    );
    return () => {
      current = false;
    };
  }, [projectId, url, frameKey]);
  const ready = frame && frame.key === frameKey ? frame : null;

  // Errors the open preview reports, for as long as this frame lives.
  const frameRef = useRef<HTMLIFrameElement>(null);
  const [live, setLive] = useState<{ key: string; errors: Diagnostic[] }>({ key: '', errors: [] });
  useEffect(() => {
    const onMessage = (e: MessageEvent) => {
      if (!frameRef.current || e.source !== frameRef.current.contentWindow) return;
      const found = liveError(e.data);
      if (!found) return;
      setLive((now) => {
        const errors = now.key === frameKey ? now.errors : [];
        if (errors.length >= MAX_LIVE_ERRORS || errors.some((x) => x.message === found.message)) return now;
        return { key: frameKey, errors: [...errors, found] };
      });
    };
    window.addEventListener('message', onMessage);
    return () => window.removeEventListener('message', onMessage);
  }, [frameKey]);
  // A round that starts (a fix among them) is answered by the agent's own checks: earlier live reports are dropped.
  const running = isActiveState(agentState);
  useEffect(() => {
    if (running) setLive({ key: '', errors: [] });
  }, [running]);
  const shown: Problem[] = useMemo(() => {
    const own = problems.map((p) => ({ ...p, live: false }));
    const fromFrame = (live.key === frameKey ? live.errors : [])
      .filter((l) => !problems.some((p) => sameProblem(p.message, l.message)))
      .map((p) => ({ ...p, live: true }));
    const all = [...own, ...fromFrame];
    return all.filter((p, i) => all.findIndex((q) => problemKey(q) === problemKey(p)) === i);
  }, [problems, live, frameKey]);

  const openInNewTab = () => {
    // Opened at once, while the click still counts as a user gesture; the link follows.
    const tab = window.open('about:blank', '_blank');
    if (!tab) return;
    tab.opener = null;
    api.previewTicket(projectId).then(
      (ticket) => tab.location.replace(ticket.url),
      () => tab.close(),
    );
  };

  return (
    <div className="flex h-full min-h-0 flex-col bg-surface">
      <div className="flex h-9 shrink-0 items-center gap-1 border-b border-line px-2">
        <IconButton label="Reload preview" onClick={() => setReloadKey((k) => k + 1)} disabled={!url}>
          <IconRefresh width={14} height={14} />
        </IconButton>
        <div
          className="mx-1 min-w-0 flex-1 truncate rounded-md bg-canvas px-2.5 py-1 font-mono text-xs text-faint"
          title={url ?? undefined}
        >
          {url ?? 'Preview not running yet'}
        </div>
        <fieldset className="flex items-center rounded-md border border-line p-0.5">
          <legend className="sr-only">Preview width</legend>
          {WIDTHS.map(({ id, label, Icon }) => (
            <button
              key={id}
              type="button"
              aria-label={label}
              title={label}
              aria-pressed={width === id}
              onClick={() => setWidth(id)}
              className={cx('grid size-6 place-items-center rounded', width === id ? 'bg-raised text-fg' : 'text-faint hover:text-fg')}
            >
              <Icon width={13} height={13} />
            </button>
          ))}
        </fieldset>
        <IconButton label="Open preview in a new tab" onClick={openInNewTab} disabled={!url}>
          <IconExternal width={14} height={14} />
        </IconButton>
      </div>
      <div className="relative min-h-0 flex-1 overflow-auto bg-[repeating-conic-gradient(var(--raised)_0_25%,var(--canvas)_0_50%)] bg-[length:16px_16px]">
        {url && ready && 'error' in ready ? (
          <div className="grid h-full place-items-center p-6">
            <div role="alert" className="max-w-sm rounded-xl border border-bad/30 bg-surface p-5 text-center shadow-lg">
              <p className="font-medium text-bad">The preview cannot be opened</p>
              <p className="mt-2 text-sm text-muted">{ready.error}</p>
            </div>
          </div>
        ) : url && !ready ? (
          <div className="grid h-full place-items-center p-6" data-testid="preview-connecting">
            <Spinner className="size-5 text-accent" />
          </div>
        ) : url && ready && 'src' in ready ? (
          <div className="mx-auto h-full bg-white" style={{ width: frameWidth ?? '100%' }}>
            <iframe
              ref={frameRef}
              key={ready.key}
              src={ready.src}
              title="App preview"
              data-testid="preview-frame"
              className="block h-full w-full border-0"
              sandbox="allow-scripts allow-same-origin allow-forms allow-modals allow-popups"
            />
          </div>
        ) : error ? (
          <div className="grid h-full place-items-center p-6">
            <div role="alert" className="max-w-sm rounded-xl border border-bad/30 bg-surface p-5 text-center shadow-lg">
              <p className="font-medium text-bad">The preview could not start</p>
              <p className="mt-2 text-sm text-muted">{error.message}</p>
              <p className="mt-3 text-xs text-faint">See Logs below for the full output.</p>
            </div>
          </div>
        ) : !isActiveState(agentState) ? (
          <div className="grid h-full place-items-center p-6">
            <div className="max-w-xs rounded-xl border border-line bg-surface px-6 py-5 text-center shadow-lg">
              <p className="text-sm font-medium">Preview not running</p>
              <p className="mt-1 text-xs text-muted">It starts once Lathe has built the app. Ask for a change to continue.</p>
            </div>
          </div>
        ) : (
          <div className="grid h-full place-items-center p-6" data-testid="preview-starting">
            <div className="flex flex-col items-center gap-3 rounded-xl border border-line bg-surface px-6 py-5 text-center shadow-lg">
              <Spinner className="size-5 text-accent" />
              <p className="text-sm font-medium">Starting your app</p>
              <p className="text-xs text-muted">{stateText(agentState)}…</p>
            </div>
          </div>
        )}
      </div>
      <ProblemsList problems={shown} busy={isActiveState(agentState)} onFix={onFix} />
    </div>
  );
}
