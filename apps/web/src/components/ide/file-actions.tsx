import { type FormEvent, useCallback, useEffect, useId, useRef, useState } from 'react';
import { ApiError, api } from '../../lib/api';
import { type DroppedFile, type DropResult, MAX_DROPPED_FILES } from '../../lib/dropped-files';
import { IconFilePlus, IconFolderPlus, IconPencil, IconTrash, IconUpload, IconX } from '../icons';
import { IconButton } from '../ui';
import { Modal } from './ide-dialogs';

/** The row the file operations act on: a file or a folder of the tree. */
export interface TreeTarget {
  path: string;
  folder: boolean;
}

/** What the user asked for, waiting for a name or a confirmation. */
export type FileRequest =
  | { kind: 'newFile' | 'newFolder'; in: string }
  | { kind: 'rename'; target: TreeTarget }
  | { kind: 'delete'; target: TreeTarget; files: number }
  | { kind: 'replace'; path: string; file: File };

/**
 * Where a row dragged onto `folder` ('' for the root) goes: the same name in that folder, or null
 * when it would not move (its own folder, or a folder dropped into itself or below itself).
 */
export function moveTarget(from: TreeTarget, folder: string): string | null {
  const name = from.path.slice(from.path.lastIndexOf('/') + 1);
  const to = join(folder, name);
  if (to === from.path) return null;
  if (from.folder && (folder === from.path || folder.startsWith(`${from.path}/`))) return null;
  return to;
}

/** The folder a new file goes in: the focused folder, or the focused file's folder ('' for the root). */
export function folderOf(target: TreeTarget | null): string {
  if (!target) return '';
  if (target.folder) return target.path;
  const slash = target.path.lastIndexOf('/');
  return slash < 0 ? '' : target.path.slice(0, slash);
}

const join = (folder: string, name: string) => (folder ? `${folder}/${name}` : name);

/** A file's bytes as base64 (without the data: URL's prefix). */
function readBase64(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).replace(/^data:[^,]*,/, ''));
    reader.onerror = () => reject(reader.error ?? new Error(`could not read ${file.name}`));
    reader.readAsDataURL(file);
  });
}

const messageOf = (e: unknown) => (e instanceof Error ? e.message : 'the server did not answer');

type Status = { text: string; error: boolean };

/** The file operations' state, shared by the toolbar and the tree (which takes dropped files). */
export function useFileOps(projectId: string) {
  const [request, setRequest] = useState<FileRequest | null>(null);
  const [status, setStatus] = useState<Status | null>(null);
  const upload = useCallback(
    async (files: readonly DroppedFile[], folder: string, overwrite = false) => {
      let done = 0;
      for (const { file, path: relative } of files) {
        const path = join(folder, relative);
        try {
          await api.uploadFile(projectId, path, await readBase64(file), overwrite);
          done++;
          setStatus({ text: files.length > 1 ? `Uploaded ${path} (${done} of ${files.length})` : `Uploaded ${path}`, error: false });
        } catch (e) {
          if (e instanceof ApiError && e.code === 'path_exists' && !overwrite) setRequest({ kind: 'replace', path, file });
          else setStatus({ text: `Could not upload ${path}: ${messageOf(e)}`, error: true });
        }
      }
    },
    [projectId],
  );
  /** Files and folders dropped from the desktop: uploaded, and what was left out said. */
  const drop = useCallback(
    async (dropped: Promise<DropResult>, folder: string) => {
      const result = await dropped;
      await upload(result.files, folder);
      if (result.skipped.length > 0) {
        const shown = result.skipped.slice(0, 3).join(', ');
        const more = result.skipped.length > 3 ? ` and ${result.skipped.length - 3} more` : '';
        setStatus({
          text: `Not uploaded: ${shown}${more} (installed packages, git data, unreadable, or past ${MAX_DROPPED_FILES} files)`,
          error: true,
        });
      } else if (result.files.length === 0) setStatus({ text: 'The drop held no files.', error: true });
    },
    [upload],
  );
  const move = useCallback(
    async (from: TreeTarget, folder: string) => {
      const to = moveTarget(from, folder);
      if (to === null) return;
      try {
        await api.moveEntry(projectId, from.path, to);
        setStatus({ text: `Moved ${from.path} to ${to}`, error: false });
      } catch (e) {
        setStatus({ text: `Could not move ${from.path} to ${to}: ${messageOf(e)}`, error: true });
      }
    },
    [projectId],
  );
  return { projectId, request, setRequest, status, setStatus, upload, drop, move };
}

export type FileOps = ReturnType<typeof useFileOps>;

interface FileActionsProps {
  ops: FileOps;
  /** The tree's focused row. */
  target: TreeTarget | null;
  /** Paths in the project (to count a folder's files). */
  paths: readonly string[];
  /** Structural changes wait while the agent works. */
  busy: boolean;
}

/**
 * The file tree's toolbar (new file, new folder, upload, rename, delete) and its dialogs. The
 * tree and the tabs follow the result through the project's `files_changed` event, in this tab
 * and every other one.
 */
export function FileActions({ ops, target, paths, busy }: FileActionsProps) {
  const { projectId, request, setRequest: onRequest, status, setStatus, upload } = ops;
  const input = useRef<HTMLInputElement>(null);
  const why = busy ? ' (wait for Lathe to finish)' : '';

  return (
    <>
      <div className="flex shrink-0 flex-wrap items-center border-b border-line px-1 py-1" role="toolbar" aria-label="File actions">
        <IconButton label={`New file${why}`} disabled={busy} onClick={() => onRequest({ kind: 'newFile', in: folderOf(target) })}>
          <IconFilePlus width={15} height={15} />
        </IconButton>
        <IconButton label={`New folder${why}`} disabled={busy} onClick={() => onRequest({ kind: 'newFolder', in: folderOf(target) })}>
          <IconFolderPlus width={15} height={15} />
        </IconButton>
        <IconButton label={`Upload files${why}`} disabled={busy} onClick={() => input.current?.click()}>
          <IconUpload width={15} height={15} />
        </IconButton>
        <IconButton
          label={target ? `Rename ${target.path} (F2)${why}` : 'Rename (select a file first)'}
          disabled={busy || !target}
          onClick={() => target && onRequest({ kind: 'rename', target })}
        >
          <IconPencil width={15} height={15} />
        </IconButton>
        <IconButton
          label={target ? `Delete ${target.path}${why}` : 'Delete (select a file first)'}
          disabled={busy || !target}
          onClick={() => target && onRequest({ kind: 'delete', target, files: countUnder(paths, target) })}
        >
          <IconTrash width={15} height={15} />
        </IconButton>
        <input
          ref={input}
          type="file"
          multiple
          hidden
          data-testid="upload-input"
          onChange={(e) => {
            const files = [...(e.target.files ?? [])];
            e.target.value = '';
            void upload(
              files.map((file) => ({ file, path: file.name })),
              folderOf(target),
            );
          }}
        />
      </div>
      <p role="status" className={status ? `truncate px-3 py-1 text-[11px] ${status.error ? 'text-bad' : 'text-faint'}` : 'sr-only'}>
        {status?.text}
      </p>
      {request && (
        // A new dialog (fresh name and error) per request.
        <FileRequestDialog
          key={requestKey(request)}
          projectId={projectId}
          request={request}
          onClose={() => onRequest(null)}
          onUpload={upload}
          onDone={setStatus}
        />
      )}
    </>
  );
}

/** How many files a delete of `target` removes. */
export function countUnder(paths: readonly string[], target: TreeTarget): number {
  return target.folder ? paths.filter((p) => p.startsWith(`${target.path}/`)).length : 1;
}

function requestKey(request: FileRequest): string {
  if ('in' in request) return `${request.kind}:${request.in}`;
  return `${request.kind}:${'target' in request ? request.target.path : request.path}`;
}

function initialName(request: FileRequest): string {
  if (request.kind === 'newFile' || request.kind === 'newFolder') return request.in ? `${request.in}/` : '';
  return request.kind === 'rename' ? request.target.path : '';
}

function FileRequestDialog({
  projectId,
  request,
  onClose,
  onUpload,
  onDone,
}: {
  projectId: string;
  request: FileRequest;
  onClose: () => void;
  onUpload: (files: readonly DroppedFile[], folder: string, overwrite: boolean) => Promise<void>;
  onDone: (status: { text: string; error: boolean }) => void;
}) {
  const title = useId();
  const hint = useId();
  const [name, setName] = useState(() => initialName(request));
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  const field = useRef<HTMLInputElement>(null);

  // Select the name (not the folder, nor the extension) for a rename: typing replaces it.
  useEffect(() => {
    requestAnimationFrame(() => {
      const el = field.current;
      if (!el) return;
      el.focus();
      const value = el.value;
      const start = value.lastIndexOf('/') + 1;
      const dot = value.lastIndexOf('.');
      el.setSelectionRange(start, request.kind === 'rename' && dot > start ? dot : value.length);
    });
  }, [request.kind]);

  async function run(action: () => Promise<unknown>, done: string) {
    setPending(true);
    setError(null);
    try {
      await action();
      onDone({ text: done, error: false });
      onClose();
    } catch (e) {
      setError(messageOf(e));
      setPending(false);
    }
  }

  function submit(e: FormEvent) {
    e.preventDefault();
    const path = name.trim().replace(/\/+$/, '');
    if (!path && (request.kind === 'newFile' || request.kind === 'newFolder' || request.kind === 'rename')) return setError('Type a name.');
    if (request.kind === 'newFile') void run(() => api.createEntry(projectId, path, 'file'), `Created ${path}`);
    else if (request.kind === 'newFolder') void run(() => api.createEntry(projectId, path, 'folder'), `Created folder ${path}`);
    else if (request.kind === 'rename') {
      if (path === request.target.path) return onClose();
      void run(() => api.moveEntry(projectId, request.target.path, path), `Renamed ${request.target.path} to ${path}`);
    } else if (request.kind === 'delete') {
      const { target } = request;
      void run(() => api.deleteEntry(projectId, target.path), `Deleted ${target.path}`);
    } else if (request.kind === 'replace') {
      const { file, path } = request;
      onClose();
      void onUpload([{ file, path }], '', true);
    }
  }

  const heading =
    request.kind === 'newFile'
      ? 'New file'
      : request.kind === 'newFolder'
        ? 'New folder'
        : request.kind === 'rename'
          ? `Rename ${request.target.folder ? 'folder' : 'file'}`
          : request.kind === 'delete'
            ? `Delete ${request.target.path}?`
            : request.kind === 'replace'
              ? `Replace ${request.path}?`
              : '';
  const asksName = request.kind === 'newFile' || request.kind === 'newFolder' || request.kind === 'rename';
  const action =
    request.kind === 'delete' ? 'Delete' : request.kind === 'replace' ? 'Replace' : request.kind === 'rename' ? 'Rename' : 'Create';

  return (
    <Modal open onClose={onClose} labelledBy={title}>
      <form onSubmit={submit} data-testid="file-dialog">
        <header className="flex items-center justify-between border-b border-line px-5 py-3">
          <h2 id={title} className="truncate text-base font-semibold">
            {heading}
          </h2>
          <IconButton label="Cancel" onClick={onClose}>
            <IconX />
          </IconButton>
        </header>
        <div className="space-y-2 px-5 py-4 text-sm">
          {asksName ? (
            <>
              <label htmlFor={`${title}-name`} className="block text-muted">
                Path in the project
              </label>
              <input
                ref={field}
                id={`${title}-name`}
                value={name}
                onChange={(e) => setName(e.target.value)}
                aria-describedby={hint}
                aria-invalid={error ? true : undefined}
                spellCheck={false}
                autoComplete="off"
                className="w-full rounded-lg border border-line bg-canvas px-3 py-2.5 font-mono text-sm outline-none focus:border-accent focus:ring-2 focus:ring-accent/20"
              />
              <p id={hint} className="text-xs text-faint">
                {request.kind === 'rename'
                  ? 'Change the folder part to move it.'
                  : request.kind === 'newFolder'
                    ? 'An empty folder holds a .gitkeep file, as git needs.'
                    : 'Folders in the path are created as needed.'}
              </p>
            </>
          ) : request.kind === 'delete' ? (
            <p>
              {request.target.folder
                ? `The folder and the ${request.files} file${request.files === 1 ? '' : 's'} in it are deleted. The version history keeps them: restore an earlier version to bring them back.`
                : 'The file is deleted. The version history keeps it: restore an earlier version to bring it back.'}
            </p>
          ) : (
            <p>A file with this name exists. Replace it with the one you uploaded?</p>
          )}
          {error && (
            <p role="alert" className="text-bad">
              {error}
            </p>
          )}
        </div>
        <footer className="flex justify-end gap-2 border-t border-line px-5 py-3">
          <button type="button" onClick={onClose} className="rounded-md px-3 py-1.5 text-sm text-muted hover:bg-raised max-lg:min-h-10">
            Cancel
          </button>
          <button
            type="submit"
            disabled={pending}
            className={`rounded-md px-3 py-1.5 text-sm font-medium text-white disabled:opacity-50 max-lg:min-h-10 ${request.kind === 'delete' ? 'bg-bad' : 'bg-accent'}`}
          >
            {action}
          </button>
        </footer>
      </form>
    </Modal>
  );
}
