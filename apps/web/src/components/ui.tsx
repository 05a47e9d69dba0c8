import type { ProjectStatus } from '@lathe/protocol';
import type { ButtonHTMLAttributes, ReactNode } from 'react';

export function cx(...parts: (string | false | null | undefined)[]): string {
  return parts.filter(Boolean).join(' ');
}

export function IconButton({
  label,
  children,
  className,
  ...rest
}: ButtonHTMLAttributes<HTMLButtonElement> & { label: string; children: ReactNode }) {
  return (
    <button
      type="button"
      aria-label={label}
      title={label}
      className={cx(
        'grid size-8 shrink-0 place-items-center rounded-md text-muted max-lg:size-10 transition hover:bg-raised hover:text-fg disabled:pointer-events-none disabled:opacity-40',
        className,
      )}
      {...rest}
    >
      {children}
    </button>
  );
}

export function Spinner({ className }: { className?: string }) {
  return (
    <span
      aria-hidden="true"
      className={cx('inline-block size-3.5 animate-spin rounded-full border-2 border-current border-t-transparent', className)}
    />
  );
}

const STATUS_STYLE: Record<ProjectStatus, { label: string; dot: string; text: string }> = {
  idle: { label: 'Idle', dot: 'bg-faint', text: 'text-muted' },
  generating: { label: 'Building', dot: 'bg-accent animate-pulse', text: 'text-accent' },
  ready: { label: 'Ready', dot: 'bg-ok', text: 'text-ok' },
  problems: { label: 'Has problems', dot: 'bg-warn', text: 'text-warn' },
  error: { label: 'Failed', dot: 'bg-bad', text: 'text-bad' },
  cancelled: { label: 'Stopped', dot: 'bg-warn', text: 'text-warn' },
};

export function StatusPill({ status }: { status: ProjectStatus }) {
  const s = STATUS_STYLE[status];
  return (
    <span
      className={cx('inline-flex items-center gap-1.5 rounded-full border border-line bg-canvas px-2 py-0.5 text-xs font-medium', s.text)}
    >
      <span className={cx('size-1.5 rounded-full', s.dot)} />
      {s.label}
    </span>
  );
}

/** "3 min ago" style times, recomputed on render. */
export function relativeTime(iso: string, now = Date.now()): string {
  const seconds = Math.round((now - new Date(iso).getTime()) / 1000);
  if (!Number.isFinite(seconds)) return '';
  if (seconds < 45) return 'just now';
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 24) return `${hours} h ago`;
  const days = Math.round(hours / 24);
  if (days < 30) return `${days} d ago`;
  return new Date(iso).toLocaleDateString();
}
