import { useEffect, useRef, useState } from 'react';
import type { LogLine, Review } from '../../lib/reducer';
import { IconChevron, IconTerminal } from '../icons';
import { cx } from '../ui';

const FILTERS = ['all', 'install', 'dev', 'agent', 'errors'] as const;
type Filter = (typeof FILTERS)[number];

interface LogsPaneProps {
  logs: readonly LogLine[];
  reviews: readonly Review[];
  open: boolean;
  onToggle: () => void;
}

export function LogsPane({ logs, reviews, open, onToggle }: LogsPaneProps) {
  const [filter, setFilter] = useState<Filter>('all');
  const scroller = useRef<HTMLElement>(null);
  const diagnostics = reviews.at(-1)?.errors ?? [];
  const errorCount = logs.filter((l) => l.stream === 'stderr').length + diagnostics.length;
  const shown = logs.filter((l) => (filter === 'all' ? true : filter === 'errors' ? l.stream === 'stderr' : l.source === filter));

  const last = shown.at(-1)?.seq ?? 0;
  useEffect(() => {
    const el = scroller.current;
    if (el && last) el.scrollTop = el.scrollHeight;
  }, [last]);

  return (
    <section aria-label="Logs" className="flex h-full min-h-0 flex-col bg-surface">
      <div className="flex h-8 shrink-0 items-center gap-2 border-b border-line px-2">
        <button
          type="button"
          onClick={onToggle}
          aria-expanded={open}
          className="flex items-center gap-1.5 rounded px-1.5 py-0.5 text-xs font-medium text-muted hover:text-fg"
        >
          <IconChevron width={12} height={12} className={cx('transition-transform', open ? 'rotate-90' : '-rotate-90')} />
          <IconTerminal width={13} height={13} /> Logs
          {errorCount > 0 && <span className="rounded-full bg-bad/15 px-1.5 text-[10px] text-bad">{errorCount}</span>}
        </button>
        {open && (
          <fieldset className="ml-2 flex gap-1">
            <legend className="sr-only">Show</legend>
            {FILTERS.map((f) => (
              <button
                key={f}
                type="button"
                aria-pressed={filter === f}
                onClick={() => setFilter(f)}
                className={cx(
                  'rounded px-2 py-0.5 text-[11px] capitalize',
                  filter === f ? 'bg-raised text-fg' : 'text-faint hover:text-fg',
                )}
              >
                {f}
              </button>
            ))}
          </fieldset>
        )}
      </div>
      {open && (
        <section
          ref={scroller}
          aria-label="Log output"
          // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard (WCAG 2.1.1)
          tabIndex={0}
          className="min-h-0 flex-1 overflow-auto bg-canvas px-3 py-2 font-mono text-xs leading-5 outline-offset-[-2px]"
          data-testid="logs"
        >
          {diagnostics.length > 0 && (filter === 'all' || filter === 'errors') && (
            <div className="mb-2 rounded border border-bad/30 bg-bad/5 p-2">
              {diagnostics.map((d) => (
                <p key={`${d.source}:${d.file}:${d.line}:${d.message}`} className="text-bad">
                  [{d.source}] {d.file ? `${d.file}${d.line ? `:${d.line}` : ''} ` : ''}
                  {d.message}
                </p>
              ))}
            </div>
          )}
          {shown.length === 0 ? (
            <p className="text-faint">No output yet.</p>
          ) : (
            shown.map((l) => (
              <div
                key={l.seq}
                className={cx('flex gap-3 whitespace-pre-wrap break-all', l.stream === 'stderr' ? 'text-bad' : 'text-muted')}
              >
                <span className="w-12 shrink-0 select-none text-faint">{l.source}</span>
                <span>{l.text}</span>
              </div>
            ))
          )}
        </section>
      )}
    </section>
  );
}
