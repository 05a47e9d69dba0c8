import type { GitPushResult } from '@lathe/protocol';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useEffect, useId, useRef, useState } from 'react';
import { ApiError } from '../../lib/api';
import { gitApi, gitCredentialsQuery, projectGitQuery } from '../../lib/git-api';
import { IconExternal, IconX } from '../icons';
import { IconButton, relativeTime, Spinner } from '../ui';

type Outcome = { ok: true; result: GitPushResult } | { ok: false; code: string; message: string };

/** The header's "Push" button; the route owns the dialog (the narrow header opens it from its menu). */
export function GitPushButton({ onOpen }: { onOpen: () => void }) {
  return (
    <button
      type="button"
      onClick={onOpen}
      aria-haspopup="dialog"
      className="mr-1 inline-flex items-center gap-1.5 rounded-md border border-line px-2.5 py-1 text-xs font-medium text-muted hover:border-accent hover:text-fg"
    >
      <IconExternal width={13} height={13} /> Push to git
    </button>
  );
}

/** The push dialog: the remote URL, the push, its progress and result. */
export function PushDialog({ projectId, open, onClose }: { projectId: string; open: boolean; onClose: () => void }) {
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
      className="m-auto mt-[12vh] w-[min(560px,calc(100vw-1.5rem))] rounded-2xl border border-line bg-surface p-0 text-fg shadow-2xl backdrop:bg-black/60 backdrop:backdrop-blur-sm"
    >
      {open && <PushBody projectId={projectId} titleId={title} onClose={onClose} />}
    </dialog>
  );
}

function PushBody({ projectId, titleId, onClose }: { projectId: string; titleId: string; onClose: () => void }) {
  const queryClient = useQueryClient();
  const git = useQuery(projectGitQuery(projectId));
  const credentials = useQuery(gitCredentialsQuery);
  const [urlError, setUrlError] = useState<string | null>(null);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: projectGitQuery(projectId).queryKey });

  const saveRemote = useMutation({
    mutationFn: (url: string) => gitApi.setRemote(projectId, url),
    onSuccess: (data) => {
      queryClient.setQueryData(projectGitQuery(projectId).queryKey, data);
      setOutcome(null);
    },
    onError: (e) => setUrlError(e instanceof ApiError ? e.message : 'Could not save the remote'),
  });
  const push = useMutation({
    mutationFn: (force: boolean) => gitApi.push(projectId, force),
    onMutate: () => setOutcome(null),
    onSuccess: (result) => {
      setOutcome({ ok: true, result });
      void refresh();
    },
    onError: (e) => {
      setOutcome(
        e instanceof ApiError ? { ok: false, code: e.code, message: e.message } : { ok: false, code: 'error', message: 'The push failed' },
      );
      void refresh();
    },
  });

  function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    setUrlError(null);
    saveRemote.mutate(String(new FormData(e.currentTarget).get('url') ?? '').trim());
  }

  const data = git.data;
  const transport = data?.transport ?? null;
  const hasCredential =
    transport === 'https' ? Boolean(credentials.data?.https) : transport === 'ssh' ? Boolean(credentials.data?.ssh) : false;
  const host =
    data?.remoteUrl
      ?.replace(/^[a-z]+:\/\//, '')
      .replace(/^[^@]*@/, '')
      .split(/[:/]/)[0] ?? '';

  return (
    <div>
      <header className="flex items-center justify-between border-b border-line px-5 py-3">
        <h2 id={titleId} className="text-base font-semibold">
          Push to a git remote
        </h2>
        <IconButton label="Close push dialog" onClick={onClose}>
          <IconX />
        </IconButton>
      </header>
      <div className="max-h-[70vh] space-y-4 overflow-y-auto px-5 py-4 text-sm">
        {!data ? (
          <Spinner className="text-faint" />
        ) : (
          <>
            <form onSubmit={submit} className="space-y-1.5">
              <label htmlFor="git-remote-url" className="block text-xs text-muted">
                Remote URL (https://…, ssh://… or git@host:owner/repo.git); branch <code>{data.branch}</code>
              </label>
              <div className="flex gap-2">
                <input
                  id="git-remote-url"
                  name="url"
                  required
                  maxLength={500}
                  autoComplete="off"
                  spellCheck={false}
                  defaultValue={data.remoteUrl ?? ''}
                  placeholder="git@github.com:you/app.git"
                  className="min-w-0 flex-1 rounded-lg border border-line bg-canvas px-2 py-1.5 font-mono text-xs outline-none focus:border-accent"
                />
                <button
                  type="submit"
                  disabled={saveRemote.isPending}
                  className="rounded-lg border border-line px-3 text-sm font-medium hover:border-accent disabled:opacity-50"
                >
                  Save
                </button>
              </div>
              {urlError && (
                <p role="alert" className="text-xs text-bad">
                  {urlError}
                </p>
              )}
            </form>
            {data.remoteUrl && credentials.data && !hasCredential && (
              <p className="rounded-lg border border-dashed border-line px-3 py-2 text-xs text-muted">
                {transport === 'ssh'
                  ? 'This remote needs your SSH key: generate one in Settings → Git and add its public key to the git host.'
                  : 'This remote needs an HTTPS token: add one in Settings → Git.'}
              </p>
            )}
            <p className="text-xs text-muted">
              {data.commitCount} commit{data.commitCount === 1 ? '' : 's'} (one per phase and per burst of your edits)
              {data.lastPushedAt ? `; last pushed ${relativeTime(data.lastPushedAt)}` : ''}.
            </p>
            {data.commits.length > 0 && (
              <ol className="divide-y divide-line rounded-lg border border-line text-xs" aria-label="Newest commits">
                {data.commits.slice(0, 5).map((c) => (
                  <li key={c.sha} className="flex items-baseline gap-2 px-3 py-1.5">
                    <code className="font-mono text-faint">{c.sha.slice(0, 7)}</code>
                    <span className="truncate">{c.message.split('\n')[0]}</span>
                    <span className="ml-auto shrink-0 text-faint">{relativeTime(c.date)}</span>
                  </li>
                ))}
              </ol>
            )}
            <div role="status" aria-live="polite" className="min-h-5 text-sm" data-testid="git-push-status">
              {push.isPending && (
                <span className="inline-flex items-center gap-2 text-muted">
                  <Spinner /> Committing your latest edits and pushing to {host}…
                </span>
              )}
              {outcome?.ok && (
                <span className="text-ok">
                  Pushed {outcome.result.commits} commit{outcome.result.commits === 1 ? '' : 's'} to {outcome.result.remoteUrl} (
                  {outcome.result.branch} at {outcome.result.commit.slice(0, 7)}).
                </span>
              )}
            </div>
            {outcome && !outcome.ok && (
              <div role="alert" className="space-y-2 rounded-lg border border-bad/40 px-3 py-2 text-sm text-bad">
                <p>
                  <strong className="font-semibold">{ERROR_TITLE[outcome.code] ?? 'The push failed'}.</strong> {outcome.message}
                </p>
                {outcome.code === 'git_rejected' && (
                  <button
                    type="button"
                    onClick={() => {
                      if (window.confirm('Replace the remote branch with this project? Commits only the remote has will be lost there.'))
                        push.mutate(true);
                    }}
                    className="rounded-lg border border-bad/60 px-3 py-1 text-xs font-medium hover:bg-bad/10"
                  >
                    Replace the remote branch
                  </button>
                )}
              </div>
            )}
            <div className="flex justify-end">
              <button
                type="button"
                disabled={!data.remoteUrl || push.isPending}
                onClick={() => push.mutate(false)}
                className="rounded-lg bg-accent-solid px-4 py-1.5 text-sm font-medium text-accent-fg hover:brightness-110 disabled:opacity-50"
              >
                Push
              </button>
            </div>
          </>
        )}
      </div>
    </div>
  );
}

const ERROR_TITLE: Record<string, string> = {
  git_auth_failed: 'Wrong credential',
  git_remote_unreachable: 'Remote unreachable',
  git_rejected: 'Push rejected',
  git_credential_missing: 'No credential',
  git_host_key_mismatch: 'Host key changed',
  git_push_busy: 'Already pushing',
  git_nothing_to_push: 'Nothing to push',
};
