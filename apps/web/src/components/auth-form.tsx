import { useQueryClient } from '@tanstack/react-query';
import { Link, useNavigate } from '@tanstack/react-router';
import { type FormEvent, useEffect, useState } from 'react';
import { ApiError, api } from '../lib/api';
import { sessionQuery } from '../lib/queries';
import { safeRedirect } from '../lib/redirect';
import { IconLogo } from './icons';

const inputClass =
  'w-full rounded-lg border border-line bg-canvas px-3 py-2 text-sm text-fg placeholder:text-faint outline-none transition focus:border-accent focus:ring-2 focus:ring-accent/25';

export function AuthForm({ mode, redirect }: { mode: 'login' | 'register'; redirect: string | undefined }) {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [error, setError] = useState<string | null>(null);
  // Not an error: the account exists and waits for an administrator.
  const [pending, setPending] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  // The page is server-rendered: until React takes over, a submit would be the browser's own GET,
  // credentials in the URL. A disabled submit button also blocks Enter's implicit submission.
  const [hydrated, setHydrated] = useState(false);
  useEffect(() => setHydrated(true), []);

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const data = new FormData(e.currentTarget);
    const email = String(data.get('email') ?? '').trim();
    const password = String(data.get('password') ?? '');
    setBusy(true);
    setError(null);
    setPending(null);
    try {
      if (mode === 'register') await api.signUp(String(data.get('name') ?? '').trim() || email.split('@')[0] || email, email, password);
      else await api.signIn(email, password);
      queryClient.removeQueries();
      await queryClient.fetchQuery(sessionQuery);
      await navigate({ href: safeRedirect(redirect), replace: true });
    } catch (err) {
      if (err instanceof ApiError && err.code === 'account_pending') setPending(err.message);
      else setError(err instanceof ApiError ? err.message : 'Could not reach the server. Try again.');
      setBusy(false);
    }
  }

  const other = mode === 'login' ? 'register' : 'login';
  return (
    <main className="relative grid min-h-screen place-items-center overflow-hidden bg-canvas px-4">
      <div
        aria-hidden="true"
        className="pointer-events-none absolute -top-40 left-1/2 h-[480px] w-[780px] -translate-x-1/2 rounded-full bg-accent/20 blur-3xl"
      />
      <div className="relative w-full max-w-sm">
        <div className="mb-8 flex flex-col items-center gap-3 text-center">
          <span className="grid size-11 place-items-center rounded-xl bg-accent-solid text-accent-fg shadow-lg shadow-accent/30">
            <IconLogo width={22} height={22} />
          </span>
          <h1 className="text-2xl font-semibold tracking-tight">{mode === 'login' ? 'Welcome back' : 'Create your account'}</h1>
          <p className="text-sm text-muted">{mode === 'login' ? 'Sign in to keep building.' : 'Describe an app. Watch Lathe build it.'}</p>
        </div>
        <form method="post" onSubmit={submit} className="space-y-4 rounded-2xl border border-line bg-surface p-6 shadow-xl shadow-black/10">
          {mode === 'register' && (
            <label className="block space-y-1.5">
              <span className="text-xs font-medium text-muted">Name</span>
              <input name="name" autoComplete="name" className={inputClass} placeholder="Ada Lovelace" />
            </label>
          )}
          <label className="block space-y-1.5">
            <span className="text-xs font-medium text-muted">Email</span>
            <input name="email" type="email" required autoComplete="email" className={inputClass} placeholder="you@example.com" />
          </label>
          <label className="block space-y-1.5">
            <span className="text-xs font-medium text-muted">Password</span>
            <input
              name="password"
              type="password"
              required
              minLength={8}
              autoComplete={mode === 'login' ? 'current-password' : 'new-password'}
              className={inputClass}
              placeholder={mode === 'register' ? 'At least 8 characters' : ''}
            />
          </label>
          {error && (
            <p role="alert" className="rounded-lg border border-bad/30 bg-bad/10 px-3 py-2 text-sm text-bad">
              {error}
            </p>
          )}
          {pending && (
            <p role="status" className="rounded-lg border border-accent/30 bg-accent/10 px-3 py-2 text-sm text-fg">
              {pending}
            </p>
          )}
          <button
            type="submit"
            disabled={busy || !hydrated}
            className="w-full rounded-lg bg-accent-solid px-3 py-2 text-sm font-medium text-accent-fg transition hover:brightness-110 disabled:opacity-60"
          >
            {busy ? 'One moment…' : mode === 'login' ? 'Sign in' : 'Create account'}
          </button>
        </form>
        <p className="mt-6 text-center text-sm text-muted">
          {mode === 'login' ? 'New to Lathe? ' : 'Already have an account? '}
          <Link to={`/${other}`} search={redirect ? { redirect } : {}} className="font-medium text-accent hover:underline">
            {mode === 'login' ? 'Create an account' : 'Sign in'}
          </Link>
        </p>
      </div>
    </main>
  );
}
