import type { Models } from '@lathe/protocol';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useEffect, useRef, useState } from 'react';
import { ApiError, api } from '../lib/api';
import { keysQuery, modelsQuery } from '../lib/queries';
import { GitSettings } from './git-settings';
import { IconTrash, IconX } from './icons';
import { IconButton, Spinner } from './ui';

const ROLE_LABEL = {
  designer: 'Designer (plans phases)',
  implementer: 'Implementer (writes files)',
  fixer: 'Fixer (repairs errors)',
} as const;
const ROLES = ['designer', 'implementer', 'fixer'] as const;

/** The user's LLM keys (stored encrypted server-side, shown masked) and the models each role uses. */
export function SettingsDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const ref = useRef<HTMLDialogElement>(null);
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
      aria-labelledby="settings-title"
      className="m-auto w-[min(560px,calc(100vw-2rem))] rounded-2xl border border-line bg-surface p-0 text-fg shadow-2xl backdrop:bg-black/60 backdrop:backdrop-blur-sm"
    >
      {open && <SettingsBody onClose={onClose} />}
    </dialog>
  );
}

function SettingsBody({ onClose }: { onClose: () => void }) {
  const queryClient = useQueryClient();
  const models = useQuery(modelsQuery);
  const keys = useQuery(keysQuery);
  const [provider, setProvider] = useState('');
  const [error, setError] = useState<string | null>(null);
  const providers = models.data?.providers ?? [];
  const chosenProvider = provider || providers[0]?.id || '';

  const refresh = () =>
    Promise.all([queryClient.invalidateQueries({ queryKey: ['keys'] }), queryClient.invalidateQueries({ queryKey: ['models'] })]);
  const add = useMutation({
    mutationFn: (v: { provider: string; key: string }) => api.addKey(v.provider, v.key),
    onSuccess: refresh,
    onError: (e) => setError(e instanceof ApiError ? e.message : 'Could not save the key'),
  });
  const remove = useMutation({ mutationFn: api.deleteKey, onSuccess: refresh });

  function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = e.currentTarget;
    const key = String(new FormData(form).get('key') ?? '').trim();
    setError(null);
    add.mutate({ provider: chosenProvider, key }, { onSuccess: () => form.reset() });
  }

  return (
    <div>
      <header className="flex items-center justify-between border-b border-line px-5 py-4">
        <h2 id="settings-title" className="text-base font-semibold">
          Settings
        </h2>
        <IconButton label="Close settings" onClick={onClose}>
          <IconX />
        </IconButton>
      </header>
      <div className="max-h-[70vh] space-y-6 overflow-y-auto px-5 py-5">
        <section className="space-y-3">
          <div>
            <h3 className="text-sm font-semibold">LLM API keys</h3>
            <p className="mt-1 text-xs text-muted">Keys are encrypted on the server and never sent back to the browser.</p>
          </div>
          {keys.isPending ? (
            <Spinner className="text-faint" />
          ) : keys.data && keys.data.length > 0 ? (
            <ul className="divide-y divide-line rounded-lg border border-line">
              {keys.data.map((k) => (
                <li key={k.id} className="flex items-center justify-between gap-3 px-3 py-2 text-sm">
                  <span className="font-medium">{providers.find((p) => p.id === k.provider)?.name ?? k.provider}</span>
                  <code className="ml-auto font-mono text-xs text-muted">{k.masked}</code>
                  <IconButton label={`Delete ${k.provider} key`} onClick={() => remove.mutate(k.id)} disabled={remove.isPending}>
                    <IconTrash />
                  </IconButton>
                </li>
              ))}
            </ul>
          ) : (
            <p className="rounded-lg border border-dashed border-line px-3 py-3 text-sm text-muted">
              No keys yet: Lathe uses its built-in offline model.
            </p>
          )}
          <form onSubmit={submit} className="flex gap-2">
            <label className="sr-only" htmlFor="key-provider">
              Provider
            </label>
            <select
              id="key-provider"
              value={chosenProvider}
              onChange={(e) => setProvider(e.target.value)}
              className="rounded-lg border border-line bg-canvas px-2 text-sm"
            >
              {providers.map((p) => (
                <option key={p.id} value={p.id}>
                  {p.name}
                </option>
              ))}
            </select>
            <label className="sr-only" htmlFor="key-value">
              API key
            </label>
            <input
              id="key-value"
              name="key"
              type="password"
              required
              minLength={8}
              autoComplete="off"
              placeholder="sk-…"
              className="min-w-0 flex-1 rounded-lg border border-line bg-canvas px-3 py-2 font-mono text-sm outline-none focus:border-accent"
            />
            <button
              type="submit"
              disabled={add.isPending || !chosenProvider}
              className="rounded-lg bg-accent-solid px-3 text-sm font-medium text-accent-fg hover:brightness-110 disabled:opacity-50"
            >
              Add key
            </button>
          </form>
          {error && (
            <p role="alert" className="text-sm text-bad">
              {error}
            </p>
          )}
        </section>
        <section className="space-y-3">
          <div>
            <h3 className="text-sm font-semibold">Models</h3>
            <p className="mt-1 text-xs text-muted">
              {models.data?.offline
                ? 'The built-in offline model answers every role until a key is added; your choices apply from then on.'
                : 'Each role of the agent uses its own model; leave a field empty for the server default.'}
            </p>
          </div>
          {models.data ? <ModelsForm models={models.data} /> : <Spinner className="text-faint" />}
          {providers.length > 0 && (
            <ul className="flex flex-wrap gap-2 text-xs">
              {providers.map((p) => (
                <li key={p.id} className="rounded-full border border-line px-2 py-0.5 text-muted">
                  {p.name} {p.configured ? '· configured' : ''}
                </li>
              ))}
            </ul>
          )}
        </section>
        <GitSettings />
      </div>
    </div>
  );
}

/** One input per role; an empty field means the server default (shown as the placeholder). */
function ModelsForm({ models }: { models: Models }) {
  const queryClient = useQueryClient();
  const [error, setError] = useState<string | null>(null);
  const save = useMutation({
    mutationFn: api.setModels,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: modelsQuery.queryKey }),
    onError: (e) => setError(e instanceof ApiError ? e.message : 'Could not save the models'),
  });

  function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const choice = (role: (typeof ROLES)[number]) => String(form.get(role) ?? '').trim() || null;
    setError(null);
    save.mutate({ designer: choice('designer'), implementer: choice('implementer'), fixer: choice('fixer') });
  }

  return (
    // Any edit makes the "Saved" note stale, so it is cleared on input.
    <form onSubmit={submit} onInput={() => save.isSuccess && save.reset()} className="space-y-3">
      <div className="divide-y divide-line rounded-lg border border-line text-sm">
        {ROLES.map((role) => (
          <div key={role} className="flex items-center justify-between gap-3 px-3 py-2">
            <label htmlFor={`model-${role}`} className="text-muted">
              {ROLE_LABEL[role]}
            </label>
            <input
              id={`model-${role}`}
              name={role}
              maxLength={200}
              autoComplete="off"
              spellCheck={false}
              // A role without a choice reports the default itself; show that as the placeholder only.
              defaultValue={models.roles[role] === models.defaults[role] ? '' : models.roles[role]}
              placeholder={models.defaults[role]}
              list={models.allowedModels ? 'allowed-models' : undefined}
              className="w-56 min-w-0 rounded-lg border border-line bg-canvas px-2 py-1 font-mono text-xs outline-none focus:border-accent"
            />
          </div>
        ))}
      </div>
      {models.allowedModels && (
        <>
          <p className="text-xs text-muted">
            On this server&apos;s key you can choose {models.allowedModels.join(', ')}. Add an API key of your own to use any model.
          </p>
          <datalist id="allowed-models">
            {models.allowedModels.map((m) => (
              <option key={m} value={m} />
            ))}
          </datalist>
        </>
      )}
      <div className="flex items-center justify-end gap-3">
        {save.isSuccess && (
          <p role="status" className="text-sm text-muted">
            Saved
          </p>
        )}
        <button
          type="submit"
          disabled={save.isPending}
          className="rounded-lg bg-accent-solid px-3 py-1.5 text-sm font-medium text-accent-fg hover:brightness-110 disabled:opacity-50"
        >
          Save models
        </button>
      </div>
      {error && (
        <p role="alert" className="text-sm text-bad">
          {error}
        </p>
      )}
    </form>
  );
}
