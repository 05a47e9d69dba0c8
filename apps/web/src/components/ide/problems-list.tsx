import type { Diagnostic } from '@lathe/protocol';
import { useEffect, useState } from 'react';
import { IconChevron } from '../icons';
import { cx } from '../ui';

/** A problem as the list shows it: the agent's checks' errors, and errors the open preview reported live. */
export interface Problem extends Diagnostic {
  /** Reported by the preview the user has open (not by a review). */
  live: boolean;
}

export function problemKey(p: Diagnostic): string {
  return `${p.source}|${p.file ?? ''}|${p.line ?? ''}|${p.message}`;
}

function where(p: Diagnostic): string | null {
  if (!p.file) return null;
  return p.line !== null ? `${p.file}:${p.line}` : p.file;
}

/** The request a "Fix with AI" round starts with. */
export function fixRequest(problems: readonly Diagnostic[]): string {
  const lines = problems.map((p) => `- [${p.source}]${where(p) ? ` ${where(p)}` : ''} ${p.message.slice(0, 1500)}`);
  return `Fix these problems in the app:\n${lines.join('\n')}`;
}

interface ProblemsListProps {
  problems: readonly Problem[];
  /** A round is running: fixing waits for it. */
  busy: boolean;
  onFix: (text: string) => Promise<void>;
}

/**
 * Type, build and runtime errors, newest checks first, each chosen by default; "Fix with AI"
 * starts a round for the chosen ones. Collapsed to its header while there are none.
 */
export function ProblemsList({ problems, busy, onFix }: ProblemsListProps) {
  const [open, setOpen] = useState(true);
  const [skipped, setSkipped] = useState<ReadonlySet<string>>(new Set());
  const [sending, setSending] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);
  const keys = problems.map(problemKey).join('\n');
  // A new set of problems starts with all of them chosen.
  useEffect(() => {
    void keys;
    setSkipped(new Set());
  }, [keys]);
  const chosen = problems.filter((p) => !skipped.has(problemKey(p)));

  const fix = async () => {
    setSending(true);
    setFailure(null);
    try {
      await onFix(fixRequest(chosen));
    } catch (e) {
      setFailure(e instanceof Error ? e.message : String(e));
    } finally {
      setSending(false);
    }
  };

  return (
    <section aria-label="Problems" data-testid="problems" className="shrink-0 border-t border-line bg-surface">
      <div className="flex h-9 items-center gap-2 px-2">
        <button
          type="button"
          onClick={() => setOpen((o) => !o)}
          aria-expanded={open}
          className="flex items-center gap-1.5 rounded px-1.5 py-0.5 text-xs font-medium text-muted hover:text-fg"
        >
          <IconChevron width={12} height={12} className={cx('transition-transform', open ? 'rotate-90' : '-rotate-90')} />
          Problems
          <span
            data-testid="problem-count"
            className={cx('rounded-full px-1.5 text-[10px]', problems.length > 0 ? 'bg-bad/15 text-bad' : 'bg-raised text-faint')}
          >
            {problems.length}
          </span>
        </button>
        {problems.length > 0 && (
          <button
            type="button"
            onClick={() => void fix()}
            disabled={busy || sending || chosen.length === 0}
            title={busy ? 'Wait for the running round to finish' : undefined}
            className="ml-auto rounded-md bg-accent-solid px-2.5 py-1 text-xs font-medium text-white disabled:opacity-50"
          >
            {sending ? 'Starting…' : `Fix with AI${chosen.length < problems.length ? ` (${chosen.length})` : ''}`}
          </button>
        )}
      </div>
      {failure && (
        <p role="alert" className="px-3 pb-2 text-xs text-bad">
          {failure}
        </p>
      )}
      {open && problems.length > 0 && (
        <ul className="max-h-40 overflow-auto px-2 pb-2" data-testid="problem-list">
          {problems.map((p) => {
            const key = problemKey(p);
            const id = `problem-${key.length}-${problems.indexOf(p)}`;
            return (
              <li key={key} className="flex items-start gap-2 rounded px-1 py-1 text-xs hover:bg-raised">
                <input
                  id={id}
                  type="checkbox"
                  className="mt-0.5 size-4 shrink-0"
                  checked={!skipped.has(key)}
                  onChange={(e) => {
                    const next = new Set(skipped);
                    if (e.target.checked) next.delete(key);
                    else next.add(key);
                    setSkipped(next);
                  }}
                />
                <label htmlFor={id} className="min-w-0 flex-1 cursor-pointer">
                  <span className="mr-1.5 rounded bg-bad/15 px-1 font-mono text-[10px] text-bad uppercase">
                    {p.live ? 'preview' : p.source}
                  </span>
                  {where(p) && <span className="mr-1.5 font-mono text-faint">{where(p)}</span>}
                  <span className="break-words text-fg">{p.message.split('\n')[0]}</span>
                </label>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
