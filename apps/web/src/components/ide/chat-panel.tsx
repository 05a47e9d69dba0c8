import { type AgentStateName, type Blueprint, isActiveState, LIMITS, type Message, type PhaseStatus } from '@lathe/protocol';
import { type FormEvent, type KeyboardEvent, useEffect, useRef, useState } from 'react';
import type { PhaseView, StreamMessage } from '../../lib/reducer';
import { type UsageSum, usageLine, usageTitle } from '../../lib/usage';
import { IconCheck, IconSend, IconStop, IconX } from '../icons';
import { cx, Spinner } from '../ui';

export interface ChatItem {
  id: string;
  role: 'user' | 'assistant' | 'system';
  content: string;
  at: string;
}

/** REST history and live stream messages, merged by id and ordered by time. */
export function mergeMessages(history: readonly Message[], live: readonly StreamMessage[]): ChatItem[] {
  const byId = new Map<string, ChatItem>();
  for (const m of history) byId.set(m.id, { id: m.id, role: m.role, content: m.content, at: m.createdAt });
  for (const m of live) if (!byId.has(m.id)) byId.set(m.id, { id: m.id, role: m.role, content: m.content, at: m.at });
  return [...byId.values()].sort((a, b) => a.at.localeCompare(b.at));
}

const STATE_TEXT: Record<AgentStateName, string> = {
  IDLE: 'Idle',
  DESIGNING_PHASE: 'Planning the next phase',
  IMPLEMENTING_PHASE: 'Writing code',
  INSTALLING_DEPS: 'Installing dependencies',
  STARTING_SERVER: 'Starting the dev server',
  REVIEWING: 'Checking for errors',
  COMPLETE: 'Done',
  ERROR: 'Failed',
  CANCELLED: 'Stopped',
};
export const stateText = (s: AgentStateName) => STATE_TEXT[s];

const PHASE_TEXT: Record<PhaseStatus, string> = {
  designing: 'Planning',
  implementing: 'Writing',
  installing: 'Installing',
  starting: 'Starting',
  reviewing: 'Reviewing',
  done: 'Done',
  failed: 'Failed',
  cancelled: 'Stopped',
};

function PhaseIcon({ status }: { status: PhaseStatus }) {
  if (status === 'done')
    return (
      <span className="grid size-5 place-items-center rounded-full bg-ok/15 text-ok">
        <IconCheck width={12} height={12} />
      </span>
    );
  if (status === 'failed' || status === 'cancelled')
    return (
      <span
        className={cx('grid size-5 place-items-center rounded-full', status === 'failed' ? 'bg-bad/15 text-bad' : 'bg-warn/15 text-warn')}
      >
        <IconX width={12} height={12} />
      </span>
    );
  return (
    <span className="grid size-5 place-items-center rounded-full bg-accent/15 text-accent">
      <Spinner className="size-3" />
    </span>
  );
}

export function PhaseTimeline({ phases, onOpenFile }: { phases: readonly PhaseView[]; onOpenFile: (path: string) => void }) {
  if (phases.length === 0) return null;
  return (
    <section aria-label="Build plan" className="rounded-xl border border-line bg-canvas/60 p-3">
      <h3 className="mb-2 px-1 text-xs font-semibold uppercase tracking-wider text-faint">Build plan</h3>
      <ol className="space-y-1" data-testid="phase-timeline">
        {phases.map((p) => (
          <li
            key={p.index}
            data-phase-status={p.status}
            aria-current={p.current ? 'step' : undefined}
            className={cx('rounded-lg px-2 py-2', p.current && p.status !== 'done' && 'bg-accent-soft ring-1 ring-accent/40')}
          >
            <div className="flex items-center gap-2.5">
              <PhaseIcon status={p.status} />
              <span className="min-w-0 flex-1 truncate text-sm font-medium">{p.name}</span>
              <span className={cx('text-xs', p.status === 'failed' ? 'text-bad' : 'text-faint')}>{PHASE_TEXT[p.status]}</span>
            </div>
            {p.files.length > 0 && (
              <ul className="mt-1.5 ml-7.5 space-y-0.5">
                {p.files.map((f) => (
                  <li key={f.path}>
                    <button
                      type="button"
                      onClick={() => onOpenFile(f.path)}
                      title={f.path}
                      className={cx(
                        'flex w-full items-center gap-1.5 truncate rounded px-1 text-left font-mono text-xs hover:bg-raised',
                        f.done ? 'text-muted' : 'text-faint',
                      )}
                    >
                      <span
                        className={cx(
                          'size-1.5 shrink-0 rounded-full',
                          f.done ? 'bg-ok' : p.current && p.status === 'implementing' ? 'animate-pulse bg-accent' : 'bg-line',
                        )}
                      />
                      {f.path}
                    </button>
                  </li>
                ))}
              </ul>
            )}
            {p.thumbnail && (
              <img
                src={p.thumbnail}
                alt={`The preview after ${p.name}`}
                data-testid="phase-thumbnail"
                className="mt-2 ml-7.5 w-40 rounded border border-line"
              />
            )}
          </li>
        ))}
      </ol>
    </section>
  );
}

interface ChatPanelProps {
  items: readonly ChatItem[];
  /** Each round's tokens and cost, by the id of the round's last item. */
  usage: ReadonlyMap<string, UsageSum>;
  phases: readonly PhaseView[];
  agentState: AgentStateName;
  error: { code: string; message: string } | null;
  onSend: (text: string) => Promise<void>;
  onStop: () => void;
  stopping: boolean;
  onOpenFile: (path: string) => void;
  /** The project's plan, once the first design made one. */
  blueprint?: Blueprint | null;
}

/** The project's blueprint as a collapsible plan at the top of the chat. */
function BlueprintCard({ blueprint }: { blueprint: Blueprint }) {
  return (
    <details className="rounded-xl border border-line bg-raised px-3.5 py-2 text-sm" data-testid="blueprint">
      <summary className="cursor-pointer font-medium">Plan: {blueprint.title}</summary>
      <div className="mt-2 space-y-2 text-muted">
        <p>{blueprint.description}</p>
        {blueprint.style.palette.length > 0 && (
          <p>
            <span className="font-medium text-fg">Style:</span> {blueprint.style.palette.join(', ')}
            {blueprint.style.layout ? `; ${blueprint.style.layout}` : ''}
          </p>
        )}
        {blueprint.views.length > 0 && (
          <p>
            <span className="font-medium text-fg">Views:</span> {blueprint.views.map((v) => v.name).join(', ')}
          </p>
        )}
        {blueprint.dataModel && (
          <p>
            <span className="font-medium text-fg">Data:</span> {blueprint.dataModel}
          </p>
        )}
        {blueprint.roadmap.length > 0 && (
          <ol className="list-decimal pl-5">
            {blueprint.roadmap.map((r) => (
              <li key={r.name}>
                {r.name}
                {r.description ? `: ${r.description}` : ''}
              </li>
            ))}
          </ol>
        )}
      </div>
    </details>
  );
}

export function ChatPanel({ items, usage, phases, agentState, error, onSend, onStop, stopping, onOpenFile, blueprint }: ChatPanelProps) {
  const [text, setText] = useState('');
  const [sending, setSending] = useState(false);
  const [sendError, setSendError] = useState<string | null>(null);
  const scroller = useRef<HTMLElement>(null);
  const input = useRef<HTMLTextAreaElement>(null);
  // Arriving from the project list, the focused prompt box is gone and the focus would be lost
  // somewhere in the page: it starts in the chat box instead, next to the Stop button and the plan.
  useEffect(() => {
    if (!document.activeElement || document.activeElement === document.body) input.current?.focus();
  }, []);
  const busy = isActiveState(agentState);

  // Stick to the bottom as the conversation and the plan grow, unless the user scrolled up.
  const stick = useRef(true);
  const contentKey = `${items.length}:${phases.map((p) => `${p.status}${p.files.filter((f) => f.done).length}`).join()}`;
  useEffect(() => {
    const el = scroller.current;
    if (el && stick.current && contentKey) el.scrollTop = el.scrollHeight;
  }, [contentKey]);

  async function submit(e?: FormEvent) {
    e?.preventDefault();
    const value = text.trim();
    if (!value || busy || sending) return;
    setSending(true);
    setSendError(null);
    try {
      await onSend(value);
      setText('');
    } catch (err) {
      setSendError(err instanceof Error ? err.message : 'Could not send');
    } finally {
      setSending(false);
    }
  }
  function onKeyDown(e: KeyboardEvent<HTMLTextAreaElement>) {
    if (e.key === 'Enter' && !e.shiftKey) void submit(e);
  }

  return (
    <div className="flex h-full min-h-0 flex-col bg-surface">
      <section
        ref={scroller}
        onScroll={(e) => {
          const el = e.currentTarget;
          stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
        }}
        className="min-h-0 flex-1 space-y-3 overflow-y-auto p-4 outline-offset-[-2px]"
        // Not a live region: progress is announced by the Announcer, where a live log would read
        // out every file of the plan as it lands.
        aria-label="Conversation"
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard (WCAG 2.1.1)
        tabIndex={0}
        data-testid="chat-log"
      >
        {blueprint && <BlueprintCard blueprint={blueprint} />}
        {items.map((m) => {
          const spent = usage.get(m.id);
          return (
            <div key={m.id} className={cx('flex flex-col', m.role === 'user' ? 'items-end' : 'items-start')}>
              <div
                className={cx(
                  'max-w-[88%] whitespace-pre-wrap break-words rounded-2xl px-3.5 py-2 text-sm leading-relaxed',
                  m.role === 'user' && 'rounded-br-md bg-accent-solid text-accent-fg',
                  m.role === 'assistant' && 'rounded-bl-md border border-line bg-raised',
                  m.role === 'system' && 'w-full max-w-full rounded-md bg-transparent px-0 text-xs text-faint',
                )}
              >
                {m.content}
              </div>
              {spent && (
                <p className="mt-1 px-1 text-[11px] text-faint" data-testid="round-usage" title={usageTitle(spent)}>
                  {usageLine(spent)}
                </p>
              )}
            </div>
          );
        })}
        <PhaseTimeline phases={phases} onOpenFile={onOpenFile} />
        {busy && (
          <p className="flex items-center gap-2 px-1 text-xs text-muted" data-testid="agent-activity">
            <Spinner className="text-accent" /> {stateText(agentState)}…
          </p>
        )}
        {error && (
          <div role="alert" className="rounded-xl border border-bad/30 bg-bad/10 p-3 text-sm">
            <p className="font-medium text-bad">The build failed</p>
            <p className="mt-1 text-muted">{error.message}</p>
            <p className="mt-2 text-xs text-faint">Describe what to change below and Lathe will try again.</p>
          </div>
        )}
      </section>
      <form onSubmit={submit} className="border-t border-line p-3">
        <div className="rounded-xl border border-line bg-canvas transition focus-within:border-accent focus-within:ring-2 focus-within:ring-accent/20">
          <label htmlFor="follow-up" className="sr-only">
            Ask for a change
          </label>
          <textarea
            ref={input}
            id="follow-up"
            value={text}
            onChange={(e) => setText(e.target.value)}
            onKeyDown={onKeyDown}
            rows={2}
            maxLength={LIMITS.messageChars}
            placeholder={busy ? 'Lathe is working…' : 'Ask for a change…'}
            className="block w-full resize-none bg-transparent px-3 pt-2.5 text-sm outline-none placeholder:text-faint"
          />
          <div className="flex items-center justify-end gap-2 px-2 pb-2">
            {busy ? (
              <button
                type="button"
                onClick={onStop}
                disabled={stopping}
                className="inline-flex items-center gap-1.5 rounded-lg border border-line bg-surface px-3 py-1.5 text-xs font-medium hover:border-bad hover:text-bad disabled:opacity-50"
              >
                <IconStop width={12} height={12} /> {stopping ? 'Stopping…' : 'Stop'}
              </button>
            ) : (
              <button
                type="submit"
                aria-label="Send"
                disabled={!text.trim() || sending}
                className="inline-flex items-center gap-1.5 rounded-lg bg-accent-solid px-3 py-1.5 text-xs font-medium text-accent-fg hover:brightness-110 disabled:opacity-40"
              >
                {sending ? <Spinner /> : <IconSend width={14} height={14} />} Send
              </button>
            )}
          </div>
        </div>
        {sendError && (
          <p role="alert" className="mt-2 text-xs text-bad">
            {sendError}
          </p>
        )}
      </form>
    </div>
  );
}
