import type { FileEncoding, Version, VersionFile } from '@lathe/protocol';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { lazy, Suspense, type SVGProps, useEffect, useId, useMemo, useRef, useState } from 'react';
import { ApiError, api } from '../../lib/api';
import { versionFileQuery, versionQuery, versionsQuery } from '../../lib/queries';
import { IconDownload, IconX } from '../icons';
import { cx, IconButton, relativeTime, Spinner } from '../ui';
import { BinaryFile } from './binary-file';

const DiffView = lazy(() => import('./monaco-diff'));

export const IconHistory = (p: SVGProps<SVGSVGElement>) => (
  <svg
    width="16"
    height="16"
    viewBox="0 0 24 24"
    fill="none"
    stroke="currentColor"
    strokeWidth="2"
    strokeLinecap="round"
    strokeLinejoin="round"
    aria-hidden="true"
    {...p}
  >
    <path d="M3 12a9 9 0 1 0 3-6.7L3 8" />
    <path d="M3 3v5h5" />
    <path d="M12 7v5l3 2" />
  </svg>
);

const KIND_TEXT: Record<Version['kind'], string> = { phase: 'Phase', edit: 'Your edits', restore: 'Restore', checkpoint: 'Before restore' };
const KIND_STYLE: Record<Version['kind'], string> = {
  phase: 'border-accent/40 text-accent',
  edit: 'border-ok/40 text-ok',
  restore: 'border-warn/40 text-warn',
  checkpoint: 'border-line text-muted',
};
const STATUS_TEXT: Record<VersionFile['status'], string> = {
  unchanged: 'same',
  modified: 'changed since',
  deleted: 'deleted since',
  added: 'added since',
};

function changeCount(v: Version): number {
  return v.changes.added.length + v.changes.modified.length + v.changes.deleted.length;
}

/**
 * The timeline's entries, newest first, with a heading where a round's phases begin: rounds →
 * phases, and the user's edits and restores between them.
 */
export function timelineRows(versions: readonly Version[]): ({ heading: string } | { version: Version })[] {
  const rows: ({ heading: string } | { version: Version })[] = [];
  let round: number | null = null;
  for (const version of versions) {
    if (version.kind === 'phase' && version.round !== null && version.round !== round) {
      round = version.round;
      rows.push({ heading: `Round ${round}` });
    }
    rows.push({ version });
  }
  return rows;
}

/**
 * Keeps the IDE in step with the history: a new version refreshes the timeline; a restore
 * (here or in another tab) refreshes the file tree and every open file's text.
 */
export function useHistorySync(projectId: string, versionSeq: number, restoredSeq: number): void {
  const queryClient = useQueryClient();
  useEffect(() => {
    if (versionSeq > 0) void queryClient.invalidateQueries({ queryKey: versionsQuery(projectId).queryKey });
  }, [versionSeq, projectId, queryClient]);
  useEffect(() => {
    if (restoredSeq === 0) return;
    for (const part of ['files', 'file', 'history-current']) void queryClient.invalidateQueries({ queryKey: ['project', projectId, part] });
  }, [restoredSeq, projectId, queryClient]);
}

interface HistoryDialogProps {
  open: boolean;
  onClose: () => void;
  projectId: string;
  /** A round is running: restores wait. */
  busy: boolean;
}

/** The History panel: the timeline, a version's files against the current ones (Monaco diff), restore, ZIP. */
export function HistoryDialog({ open, onClose, projectId, busy }: HistoryDialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const title = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);
  return (
    <dialog
      ref={ref}
      onClose={onClose}
      aria-labelledby={title}
      data-testid="history-dialog"
      className="m-auto h-[min(86vh,900px)] w-[min(1280px,calc(100vw-1.5rem))] overflow-hidden rounded-2xl border border-line bg-surface p-0 text-fg shadow-2xl backdrop:bg-black/60 backdrop:backdrop-blur-sm"
    >
      {open && (
        <div className="flex h-full min-h-0 flex-col">
          <header className="flex shrink-0 items-center justify-between border-b border-line px-5 py-3">
            <h2 id={title} className="text-base font-semibold">
              History
            </h2>
            <IconButton label="Close history" onClick={onClose}>
              <IconX />
            </IconButton>
          </header>
          <HistoryBody projectId={projectId} busy={busy} />
        </div>
      )}
    </dialog>
  );
}

function HistoryBody({ projectId, busy }: { projectId: string; busy: boolean }) {
  const versions = useQuery(versionsQuery(projectId));
  const [picked, setPicked] = useState<number | null>(null);
  const list = versions.data ?? [];
  const selected = list.find((v) => v.seq === picked) ?? list[0] ?? null;
  const rows = useMemo(() => timelineRows(list), [list]);
  const listLabel = useId();
  // Outlives the version view: the restore's own version appears at the top of the timeline.
  const [notice, setNotice] = useState<string | null>(null);

  if (versions.isPending)
    return (
      <div className="grid flex-1 place-items-center">
        <Spinner className="size-5 text-accent" />
      </div>
    );
  if (versions.error)
    return (
      <p role="alert" className="p-5 text-sm text-bad">
        Could not load the history: {versions.error.message}
      </p>
    );
  if (list.length === 0)
    return (
      <p className="p-5 text-sm text-muted" data-testid="history-empty">
        No versions yet. Lathe keeps one after every phase, for every burst of your edits, and for every restore.
      </p>
    );

  return (
    <div className="flex min-h-0 flex-1 max-lg:flex-col">
      <nav
        aria-labelledby={listLabel}
        className="w-80 shrink-0 overflow-y-auto border-r border-line max-lg:max-h-[35%] max-lg:w-full max-lg:border-r-0 max-lg:border-b"
      >
        <h3 id={listLabel} className="sr-only">
          Versions, newest first
        </h3>
        <ol className="py-1" data-testid="history-timeline">
          {rows.map((row) =>
            'heading' in row ? (
              <li key={`h-${row.heading}`} className="px-4 pt-3 pb-1 text-[11px] font-semibold uppercase tracking-wider text-faint">
                {row.heading}
              </li>
            ) : (
              <li key={row.version.seq}>
                <button
                  type="button"
                  onClick={() => setPicked(row.version.seq)}
                  aria-current={row.version.seq === selected?.seq ? 'true' : undefined}
                  data-testid="version-item"
                  data-seq={row.version.seq}
                  data-kind={row.version.kind}
                  className={cx(
                    'flex w-full flex-col gap-0.5 px-4 py-2 text-left text-sm hover:bg-raised max-lg:min-h-11',
                    row.version.seq === selected?.seq && 'bg-accent-soft',
                  )}
                >
                  <span className="flex items-center gap-2">
                    <span className={cx('shrink-0 rounded-full border px-1.5 text-[11px] font-medium', KIND_STYLE[row.version.kind])}>
                      {KIND_TEXT[row.version.kind]}
                    </span>
                    <span className="min-w-0 truncate font-medium">{row.version.label}</span>
                  </span>
                  <span className="text-xs text-muted">
                    v{row.version.seq} · {relativeTime(row.version.updatedAt)} · {changeCount(row.version)} file
                    {changeCount(row.version) === 1 ? '' : 's'} changed
                  </span>
                </button>
              </li>
            ),
          )}
        </ol>
      </nav>
      <div className="flex min-h-0 min-w-0 flex-1 flex-col">
        <div role="status" className="border-b border-line px-5 py-2 text-sm text-ok empty:hidden" data-testid="restore-status">
          {notice}
        </div>
        {selected && (
          <VersionView
            key={selected.seq}
            projectId={projectId}
            version={selected}
            busy={busy}
            onRestored={(message) => {
              setNotice(message);
              setPicked(selected.seq);
            }}
          />
        )}
      </div>
    </div>
  );
}

function VersionView({
  projectId,
  version,
  busy,
  onRestored,
}: {
  projectId: string;
  version: Version;
  busy: boolean;
  onRestored: (message: string) => void;
}) {
  const queryClient = useQueryClient();
  const detail = useQuery(versionQuery(projectId, version.seq));
  const files = detail.data?.files ?? [];
  const firstChanged = files.find((f) => f.status !== 'unchanged') ?? files[0] ?? null;
  const [picked, setPicked] = useState<string | null>(null);
  const file = files.find((f) => f.path === picked) ?? firstChanged;
  const changed = files.filter((f) => f.status !== 'unchanged').length;
  const [confirming, setConfirming] = useState(false);
  const confirmRef = useRef<HTMLButtonElement>(null);
  const restoreRef = useRef<HTMLButtonElement>(null);
  const headingId = useId();
  const confirmId = useId();

  const restore = useMutation({
    mutationFn: () => api.restoreVersion(projectId, version.seq),
    onSuccess: async (result) => {
      setConfirming(false);
      const n = result.written.length + result.deleted.length;
      onRestored(
        `Restored version ${version.seq} as version ${result.version.seq}: ${n} file${n === 1 ? '' : 's'} changed. The files before it stay in the history.`,
      );
      await queryClient.invalidateQueries({ queryKey: ['project', projectId] });
    },
  });
  useEffect(() => {
    if (confirming) confirmRef.current?.focus();
  }, [confirming]);

  return (
    <section aria-labelledby={headingId} className="flex min-h-0 min-w-0 flex-1 flex-col" data-testid="version-view">
      <div className="flex shrink-0 flex-wrap items-center gap-3 border-b border-line px-5 py-3">
        <div className="min-w-0 flex-1">
          <h3 id={headingId} className="truncate text-sm font-semibold">
            Version {version.seq}: {version.label}
          </h3>
          <p className="text-xs text-muted">
            {KIND_TEXT[version.kind]}
            {version.round !== null && version.kind === 'phase' ? ` · round ${version.round}` : ''}
            {version.restoredFrom !== null ? ` · brought back version ${version.restoredFrom}` : ''} ·{' '}
            {new Date(version.updatedAt).toLocaleString()} · {version.fileCount} files
            {detail.data ? ` · ${changed === 0 ? 'same as now' : `${changed} differ from now`}` : ''}
          </p>
        </div>
        <a
          href={api.versionDownloadUrl(projectId, version.seq)}
          download
          className="inline-flex min-h-8 items-center gap-1.5 rounded-md border border-line px-2.5 py-1 text-xs font-medium text-muted hover:border-accent hover:text-fg"
          data-testid="version-download"
        >
          <IconDownload width={13} height={13} /> Download ZIP
        </a>
        <button
          ref={restoreRef}
          type="button"
          disabled={busy || restore.isPending}
          title={busy ? 'Lathe is working on this project: restore when it is done' : undefined}
          aria-expanded={confirming}
          aria-controls={confirmId}
          onClick={() => setConfirming(true)}
          className="inline-flex min-h-8 items-center gap-1.5 rounded-md bg-accent-solid px-3 py-1 text-xs font-medium text-accent-fg disabled:opacity-50"
          data-testid="version-restore"
        >
          Restore this version
        </button>
      </div>
      <div id={confirmId}>
        {confirming && (
          <fieldset
            aria-label={`Confirm restoring version ${version.seq}`}
            className="flex min-w-0 flex-wrap items-center gap-3 border-0 border-b border-warn/30 bg-warn/10 px-5 py-2 text-sm"
          >
            <span className="min-w-0 flex-1">
              Restore version {version.seq}? Files are written back and files it did not have are deleted. Your current files are kept in
              the history, so you can go back.
            </span>
            <button
              ref={confirmRef}
              type="button"
              disabled={restore.isPending}
              onClick={() => restore.mutate()}
              className="inline-flex min-h-8 items-center gap-1.5 rounded-md bg-accent-solid px-3 py-1 text-xs font-medium text-accent-fg"
              data-testid="version-restore-confirm"
            >
              {restore.isPending && <Spinner className="size-3" />} Restore version {version.seq}
            </button>
            <button
              type="button"
              onClick={() => {
                setConfirming(false);
                restoreRef.current?.focus();
              }}
              className="min-h-8 rounded-md px-2 text-xs font-medium text-muted hover:text-fg"
            >
              Cancel
            </button>
          </fieldset>
        )}
      </div>
      {restore.error && (
        <p role="alert" className="border-b border-line px-5 py-2 text-sm text-bad">
          {restore.error instanceof ApiError && restore.error.code === 'busy'
            ? 'Lathe is working on this project: restore when it is done.'
            : restore.error.message}
        </p>
      )}
      <div className="flex min-h-0 flex-1 max-lg:flex-col">
        <ul
          aria-label={`Files of version ${version.seq}, compared with now`}
          className="w-64 shrink-0 overflow-y-auto border-r border-line py-1 text-xs max-lg:max-h-40 max-lg:w-full max-lg:border-r-0 max-lg:border-b"
        >
          {detail.isPending && (
            <li className="px-3 py-2">
              <Spinner className="text-accent" />
            </li>
          )}
          {files.map((f) => (
            <li key={f.path}>
              <button
                type="button"
                onClick={() => setPicked(f.path)}
                aria-current={f.path === file?.path ? 'true' : undefined}
                data-testid="version-file"
                data-status={f.status}
                className={cx(
                  'flex w-full items-center gap-2 px-3 py-1 text-left hover:bg-raised max-lg:min-h-10',
                  f.path === file?.path && 'bg-accent-soft',
                )}
              >
                <span className={cx('min-w-0 flex-1 truncate font-mono', f.status === 'unchanged' && 'text-muted')}>{f.path}</span>
                {f.status !== 'unchanged' && <span className="shrink-0 text-[11px] text-warn">{STATUS_TEXT[f.status]}</span>}
              </button>
            </li>
          ))}
        </ul>
        <div className="min-h-0 min-w-0 flex-1" data-testid="version-diff">
          {file ? <FileDiff projectId={projectId} seq={version.seq} file={file} /> : null}
        </div>
      </div>
    </section>
  );
}

function FileDiff({ projectId, seq, file }: { projectId: string; seq: number; file: VersionFile }) {
  const then = useQuery({ ...versionFileQuery(projectId, seq, file.path), enabled: file.status !== 'added' });
  const now = useQuery({
    queryKey: ['project', projectId, 'history-current', file.path],
    queryFn: () => api.file(projectId, file.path),
    enabled: file.status !== 'deleted',
  });
  const ready = (file.status === 'added' || then.data) && (file.status === 'deleted' || now.data);
  const failed = then.error ?? now.error;
  return (
    <div className="flex h-full min-h-0 flex-col">
      <p className="shrink-0 border-b border-line px-4 py-1.5 text-xs text-muted">
        <span className="font-mono text-fg">{file.path}</span>: version {seq} on the left, now on the right
      </p>
      <div className="min-h-0 flex-1">
        {failed ? (
          <p role="alert" className="p-4 text-sm text-bad">
            {failed.message}
          </p>
        ) : ready && (then.data?.encoding === 'base64' || now.data?.encoding === 'base64') ? (
          // A binary (an upload) has no text to compare: the file then and now, side by side.
          <div className="grid h-full min-h-0 grid-cols-2 divide-x divide-line overflow-auto" data-testid="binary-diff">
            <BinarySide label={`Version ${seq}`} path={file.path} file={then.data} />
            <BinarySide label="Now" path={file.path} file={now.data} />
          </div>
        ) : ready ? (
          <Suspense fallback={<div className="p-4 text-sm text-faint">Loading diff…</div>}>
            <DiffView path={file.path} seq={seq} original={then.data?.content ?? ''} modified={now.data?.content ?? ''} />
          </Suspense>
        ) : (
          <div className="p-4">
            <Spinner className="text-accent" />
          </div>
        )}
      </div>
    </div>
  );
}

/** One side of a binary file's comparison: the file (image and size), a text file, or none. */
function BinarySide({ label, path, file }: { label: string; path: string; file: { content: string; encoding: FileEncoding } | undefined }) {
  return (
    <section aria-label={label} className="flex min-h-0 min-w-0 flex-col">
      <h4 className="shrink-0 px-4 pt-3 text-xs font-medium text-muted">{label}</h4>
      {!file ? (
        <p className="p-4 text-sm text-faint">No file at this path.</p>
      ) : file.encoding === 'base64' ? (
        <BinaryFile path={path} content={file.content} testId="binary-side" />
      ) : (
        <p className="p-4 text-sm text-faint">A text file of {file.content.length} characters.</p>
      )}
    </section>
  );
}
