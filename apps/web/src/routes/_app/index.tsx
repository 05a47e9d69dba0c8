import { LIMITS } from '@lathe/protocol';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { createFileRoute, Link, useNavigate } from '@tanstack/react-router';
import { type FormEvent, type KeyboardEvent, useState } from 'react';
import { AccountControls } from '../../components/account-controls';
import { IconLogo, IconSparkle } from '../../components/icons';
import { relativeTime, Spinner, StatusPill } from '../../components/ui';
import { ApiError, api } from '../../lib/api';
import { projectsQuery } from '../../lib/queries';

export const Route = createFileRoute('/_app/')({
  head: () => ({ meta: [{ title: 'Projects · Lathe' }] }),
  component: ProjectsPage,
});

const IDEAS = ['a todo app', 'a pomodoro timer with stats', 'a markdown notes app', 'a habit tracker with streaks'];

function ProjectsPage() {
  const { user } = Route.useRouteContext();
  const projects = useQuery({ ...projectsQuery, refetchInterval: 10_000 });
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const [prompt, setPrompt] = useState('');
  const create = useMutation({
    mutationFn: api.createProject,
    onSuccess: async (project) => {
      queryClient.setQueryData(['project', project.id], project);
      await queryClient.invalidateQueries({ queryKey: projectsQuery.queryKey });
      await navigate({ to: '/project/$id', params: { id: project.id } });
    },
  });

  function submit(e?: FormEvent) {
    e?.preventDefault();
    const text = prompt.trim();
    if (text && !create.isPending) create.mutate(text);
  }
  function onKeyDown(e: KeyboardEvent<HTMLTextAreaElement>) {
    if (e.key === 'Enter' && !e.shiftKey) submit(e);
  }

  return (
    <div className="min-h-screen bg-canvas">
      <header className="sticky top-0 z-10 border-b border-line bg-canvas/80 backdrop-blur">
        <div className="mx-auto flex h-14 max-w-6xl items-center gap-3 px-6 max-sm:gap-1 max-sm:px-3">
          <span className="grid size-7 place-items-center rounded-lg bg-accent-solid text-accent-fg">
            <IconLogo width={15} height={15} />
          </span>
          <span className="font-semibold tracking-tight">Lathe</span>
          <span className="ml-auto mr-2 hidden text-sm text-muted sm:inline">{user.email}</span>
          <AccountControls />
        </div>
      </header>

      <main className="mx-auto max-w-6xl px-6 pb-20 max-sm:px-4">
        <section className="relative pt-16 pb-12 text-center">
          <div
            aria-hidden="true"
            className="pointer-events-none absolute inset-x-0 top-0 mx-auto h-64 max-w-3xl rounded-full bg-accent/15 blur-3xl"
          />
          <h1 className="relative text-4xl font-semibold tracking-tight max-sm:text-3xl">What do you want to build?</h1>
          <p className="relative mt-3 text-muted">Describe it in a sentence. Lathe plans it, writes it, and runs it live.</p>
          <form onSubmit={submit} className="relative mx-auto mt-8 max-w-2xl">
            <div className="rounded-2xl border border-line bg-surface p-2 shadow-xl shadow-black/10 transition focus-within:border-accent focus-within:ring-4 focus-within:ring-accent/15">
              <label htmlFor="new-prompt" className="sr-only">
                What do you want to build?
              </label>
              <textarea
                id="new-prompt"
                value={prompt}
                onChange={(e) => setPrompt(e.target.value)}
                onKeyDown={onKeyDown}
                maxLength={LIMITS.promptChars}
                rows={3}
                placeholder="A todo app with filters and a dark mode…"
                className="block w-full resize-none bg-transparent px-3 py-2 text-base outline-none placeholder:text-faint"
              />
              <div className="flex items-center justify-between px-2 pb-1">
                <span className="text-xs text-faint max-sm:hidden">Enter to build · Shift+Enter for a new line</span>
                <button
                  type="submit"
                  disabled={!prompt.trim() || create.isPending}
                  className="inline-flex items-center gap-2 whitespace-nowrap rounded-lg bg-accent-solid px-3.5 py-2 text-sm font-medium text-accent-fg transition hover:brightness-110 disabled:opacity-50 max-sm:ml-auto max-lg:min-h-10"
                >
                  {create.isPending ? <Spinner /> : <IconSparkle />}
                  Build it
                </button>
              </div>
            </div>
            {create.error && (
              <p role="alert" className="mt-3 text-sm text-bad">
                {create.error instanceof ApiError ? create.error.message : 'Could not create the project.'}
              </p>
            )}
          </form>
          <div className="relative mt-4 flex flex-wrap justify-center gap-2">
            {IDEAS.map((idea) => (
              <button
                key={idea}
                type="button"
                onClick={() => setPrompt(idea)}
                className="rounded-full border border-line bg-surface px-3 py-1 text-xs text-muted transition hover:border-accent hover:text-fg max-lg:min-h-10"
              >
                {idea}
              </button>
            ))}
          </div>
        </section>

        <section aria-labelledby="projects-heading">
          <div className="mb-4 flex items-baseline justify-between">
            <h2 id="projects-heading" className="text-sm font-semibold uppercase tracking-wider text-muted">
              Your projects
            </h2>
            {projects.data && <span className="text-xs text-faint">{projects.data.length} total</span>}
          </div>
          {projects.isPending ? (
            <div className="grid grid-cols-1 gap-3 sm:grid-cols-2 lg:grid-cols-3">
              {[0, 1, 2].map((i) => (
                <div key={i} className="h-28 animate-pulse rounded-xl border border-line bg-surface" />
              ))}
            </div>
          ) : projects.error ? (
            <p role="alert" className="text-sm text-bad">
              Could not load your projects: {projects.error.message}
            </p>
          ) : projects.data.length === 0 ? (
            <div className="rounded-xl border border-dashed border-line px-6 py-12 text-center text-sm text-muted">
              No projects yet. Describe your first app above.
            </div>
          ) : (
            <ul className="grid grid-cols-1 gap-3 sm:grid-cols-2 lg:grid-cols-3">
              {[...projects.data]
                .sort((a, b) => b.updatedAt.localeCompare(a.updatedAt))
                .map((p) => (
                  <li key={p.id}>
                    <Link
                      to="/project/$id"
                      params={{ id: p.id }}
                      className="group flex h-full flex-col rounded-xl border border-line bg-surface p-4 transition hover:-translate-y-0.5 hover:border-accent/60 hover:shadow-lg hover:shadow-black/10"
                    >
                      <div className="flex items-start justify-between gap-3">
                        <span className="line-clamp-1 font-medium group-hover:text-accent">{p.name}</span>
                        <StatusPill status={p.status} />
                      </div>
                      <p className="mt-2 line-clamp-2 flex-1 text-sm text-muted">{p.initialPrompt}</p>
                      <span className="mt-3 text-xs text-faint">Changed {relativeTime(p.updatedAt)}</span>
                    </Link>
                  </li>
                ))}
            </ul>
          )}
        </section>
      </main>
    </div>
  );
}
