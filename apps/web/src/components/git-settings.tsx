import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { ApiError } from '../lib/api';
import { gitApi, gitCredentialsQuery } from '../lib/git-api';
import { IconTrash } from './icons';
import { IconButton, Spinner } from './ui';

const message = (e: unknown, fallback: string) => (e instanceof ApiError ? e.message : fallback);

/**
 * Settings → Git: an HTTPS token (+ user name) and an SSH key pair the server generates. Only the
 * public key and a masked token ever reach the browser.
 */
export function GitSettings() {
  const queryClient = useQueryClient();
  const credentials = useQuery(gitCredentialsQuery);
  const [error, setError] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);
  const refresh = () => queryClient.invalidateQueries({ queryKey: gitCredentialsQuery.queryKey });
  const onError = (fallback: string) => (e: unknown) => setError(message(e, fallback));
  const saveToken = useMutation({
    mutationFn: (v: { token: string; username: string }) => gitApi.setToken(v.token, v.username),
    onSuccess: refresh,
    onError: onError('Could not save the token'),
  });
  const deleteToken = useMutation({ mutationFn: gitApi.deleteToken, onSuccess: refresh, onError: onError('Could not delete the token') });
  const generate = useMutation({ mutationFn: gitApi.generateSshKey, onSuccess: refresh, onError: onError('Could not generate a key') });
  const deleteKey = useMutation({ mutationFn: gitApi.deleteSshKey, onSuccess: refresh, onError: onError('Could not delete the key') });

  function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = e.currentTarget;
    const data = new FormData(form);
    setError(null);
    saveToken.mutate(
      { token: String(data.get('token') ?? '').trim(), username: String(data.get('username') ?? '').trim() },
      { onSuccess: () => form.reset() },
    );
  }

  async function copy(text: string) {
    await navigator.clipboard?.writeText(text).catch(() => {});
    setCopied(true);
  }

  const https = credentials.data?.https ?? null;
  const ssh = credentials.data?.ssh ?? null;
  return (
    <section className="space-y-3" aria-labelledby="git-settings-title">
      <div>
        <h3 id="git-settings-title" className="text-sm font-semibold">
          Git
        </h3>
        <p className="mt-1 text-xs text-muted">
          For pushing projects to GitHub, GitLab or Gitea. The token and the private key are encrypted on the server and never sent back to
          the browser.
        </p>
      </div>
      {credentials.isPending ? (
        <Spinner className="text-faint" />
      ) : (
        <>
          <div className="space-y-2 rounded-lg border border-line px-3 py-3">
            <div className="flex items-center gap-3 text-sm">
              <span className="font-medium">HTTPS token</span>
              {https ? (
                <>
                  <code className="ml-auto font-mono text-xs text-muted" data-testid="git-token">
                    {https.username} · {https.masked}
                  </code>
                  <IconButton label="Delete HTTPS token" onClick={() => deleteToken.mutate()} disabled={deleteToken.isPending}>
                    <IconTrash />
                  </IconButton>
                </>
              ) : (
                <span className="ml-auto text-xs text-muted">none</span>
              )}
            </div>
            <form onSubmit={submit} className="flex flex-wrap gap-2">
              <label className="sr-only" htmlFor="git-username">
                User name (optional)
              </label>
              <input
                id="git-username"
                name="username"
                autoComplete="off"
                maxLength={200}
                placeholder="user (optional)"
                className="w-32 min-w-0 rounded-lg border border-line bg-canvas px-2 py-1.5 font-mono text-xs outline-none focus:border-accent"
              />
              <label className="sr-only" htmlFor="git-token">
                Token
              </label>
              <input
                id="git-token"
                name="token"
                type="password"
                required
                minLength={8}
                autoComplete="off"
                placeholder="ghp_… / glpat-…"
                className="min-w-0 flex-1 rounded-lg border border-line bg-canvas px-2 py-1.5 font-mono text-xs outline-none focus:border-accent"
              />
              <button
                type="submit"
                disabled={saveToken.isPending}
                className="rounded-lg bg-accent-solid px-3 text-sm font-medium text-accent-fg hover:brightness-110 disabled:opacity-50"
              >
                {https ? 'Replace token' : 'Save token'}
              </button>
            </form>
          </div>
          <div className="space-y-2 rounded-lg border border-line px-3 py-3">
            <div className="flex items-center gap-3 text-sm">
              <span className="font-medium">SSH key</span>
              {ssh && <code className="ml-auto truncate font-mono text-xs text-muted">{ssh.fingerprint}</code>}
              {ssh && (
                <IconButton label="Delete SSH key" onClick={() => deleteKey.mutate()} disabled={deleteKey.isPending}>
                  <IconTrash />
                </IconButton>
              )}
            </div>
            {ssh && (
              <>
                <label htmlFor="git-public-key" className="block text-xs text-muted">
                  Public key: add it to your account (or as a deploy key with write access) on the git host.
                </label>
                <textarea
                  id="git-public-key"
                  readOnly
                  rows={3}
                  value={ssh.publicKey}
                  onFocus={(e) => e.currentTarget.select()}
                  className="w-full resize-none rounded-lg border border-line bg-canvas px-2 py-1.5 font-mono text-xs break-all"
                />
              </>
            )}
            <div className="flex items-center justify-end gap-2">
              {copied && (
                <p role="status" className="text-xs text-muted">
                  Copied
                </p>
              )}
              {ssh && (
                <button
                  type="button"
                  onClick={() => void copy(ssh.publicKey)}
                  className="rounded-lg border border-line px-3 py-1.5 text-sm font-medium hover:border-accent"
                >
                  Copy public key
                </button>
              )}
              <button
                type="button"
                disabled={generate.isPending}
                onClick={() => {
                  setError(null);
                  setCopied(false);
                  if (
                    !ssh ||
                    window.confirm('Replace your SSH key? Hosts that know the old public key will refuse pushes until you add the new one.')
                  )
                    generate.mutate();
                }}
                className="rounded-lg bg-accent-solid px-3 py-1.5 text-sm font-medium text-accent-fg hover:brightness-110 disabled:opacity-50"
              >
                {ssh ? 'Regenerate' : 'Generate SSH key'}
              </button>
            </div>
          </div>
        </>
      )}
      {error && (
        <p role="alert" className="text-sm text-bad">
          {error}
        </p>
      )}
    </section>
  );
}
