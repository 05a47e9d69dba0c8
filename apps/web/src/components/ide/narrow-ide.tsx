import type { AgentStateName } from '@lathe/protocol';
import { isActiveState } from '@lathe/protocol';
import { type KeyboardEvent, type ReactNode, useRef } from 'react';
import type { PhaseView } from '../../lib/reducer';
import { IconStop } from '../icons';
import { cx } from '../ui';

export type IdeTab = 'chat' | 'code' | 'preview' | 'logs';
export const IDE_TABS: readonly { id: IdeTab; label: string }[] = [
  { id: 'chat', label: 'Chat' },
  { id: 'code', label: 'Code' },
  { id: 'preview', label: 'Preview' },
  { id: 'logs', label: 'Logs' },
];

/** "Phase 1 of 2 · Core" while a round runs: the strip every tab shows. */
export function progressText(phases: readonly PhaseView[], state: AgentStateName): string | null {
  if (!isActiveState(state)) return null;
  const current = phases.find((p) => p.current) ?? phases.at(-1);
  if (!current) return 'Planning…';
  return `Phase ${current.index + 1} of ${Math.max(phases.length, current.index + 1)} · ${current.name}`;
}

interface NarrowIdeProps {
  tab: IdeTab;
  onTab: (tab: IdeTab) => void;
  statePill: ReactNode;
  progress: string | null;
  busy: boolean;
  stopping: boolean;
  onStop: () => void;
  badges: Partial<Record<IdeTab, number>>;
  panels: Record<IdeTab, ReactNode>;
}

/**
 * Below 1024 px the IDE is one panel at a time behind ARIA tabs (arrows, Home and End move between
 * them), with the agent's progress in a strip above them, whichever tab is shown. Every panel
 * stays mounted (hidden), so the preview keeps running and the editor keeps its text.
 */
export function NarrowIde({ tab, onTab, statePill, progress, busy, stopping, onStop, badges, panels }: NarrowIdeProps) {
  const buttons = useRef<Partial<Record<IdeTab, HTMLButtonElement | null>>>({});
  function onKeyDown(e: KeyboardEvent<HTMLButtonElement>) {
    const at = IDE_TABS.findIndex((t) => t.id === tab);
    const next =
      e.key === 'ArrowRight'
        ? (at + 1) % IDE_TABS.length
        : e.key === 'ArrowLeft'
          ? (at + IDE_TABS.length - 1) % IDE_TABS.length
          : e.key === 'Home'
            ? 0
            : e.key === 'End'
              ? IDE_TABS.length - 1
              : -1;
    const target = IDE_TABS[next];
    if (!target) return;
    e.preventDefault();
    onTab(target.id);
    buttons.current[target.id]?.focus();
  }
  return (
    <div className="flex min-h-0 flex-1 flex-col">
      <div className="flex min-h-11 shrink-0 items-center gap-2 border-b border-line bg-surface px-2" data-testid="status-strip">
        {statePill}
        {progress && <span className="min-w-0 flex-1 truncate text-xs text-muted">{progress}</span>}
        {busy && (
          <button
            type="button"
            onClick={onStop}
            disabled={stopping}
            aria-label="Stop the agent"
            className="ml-auto inline-flex min-h-10 shrink-0 items-center gap-1.5 rounded-lg border border-line px-3 text-xs font-medium hover:border-bad hover:text-bad disabled:opacity-50"
          >
            <IconStop width={12} height={12} /> {stopping ? 'Stopping…' : 'Stop'}
          </button>
        )}
      </div>
      <div role="tablist" aria-label="IDE panels" className="grid shrink-0 grid-cols-4 border-b border-line bg-surface">
        {IDE_TABS.map((t) => {
          const selected = t.id === tab;
          const badge = badges[t.id] ?? 0;
          return (
            <button
              key={t.id}
              ref={(el) => {
                buttons.current[t.id] = el;
              }}
              type="button"
              role="tab"
              id={`ide-tab-${t.id}`}
              aria-selected={selected}
              aria-controls={`ide-panel-${t.id}`}
              tabIndex={selected ? 0 : -1}
              onClick={() => onTab(t.id)}
              onKeyDown={onKeyDown}
              className={cx(
                'relative flex min-h-11 items-center justify-center gap-1.5 text-sm font-medium outline-offset-[-2px]',
                selected ? 'text-fg' : 'text-muted hover:text-fg',
              )}
            >
              {t.label}
              {badge > 0 && (
                <span className="rounded-full bg-bad/15 px-1.5 text-[10px] text-bad">
                  {badge}
                  <span className="sr-only"> problems</span>
                </span>
              )}
              {selected && <span aria-hidden="true" className="absolute inset-x-3 bottom-0 h-0.5 rounded-full bg-accent" />}
            </button>
          );
        })}
      </div>
      {IDE_TABS.map((t) => (
        <div
          key={t.id}
          role="tabpanel"
          id={`ide-panel-${t.id}`}
          aria-labelledby={`ide-tab-${t.id}`}
          hidden={t.id !== tab}
          className="flex min-h-0 flex-1 flex-col"
        >
          {panels[t.id]}
        </div>
      ))}
    </div>
  );
}
