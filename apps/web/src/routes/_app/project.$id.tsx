import { isActiveState } from '@lathe/protocol';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { createFileRoute, Link } from '@tanstack/react-router';
import { type FormEvent, useEffect, useMemo, useRef, useState } from 'react';
import { AccountControls } from '../../components/account-controls';
import { IconChevron, IconDownload, IconExternal, IconLogo, IconTerminal } from '../../components/icons';
import { Announcer, announcement } from '../../components/ide/announcer';
import { ChatPanel, mergeMessages, stateText } from '../../components/ide/chat-panel';
import { EditorPane } from '../../components/ide/editor-pane';
import { countUnder, FileActions, type TreeTarget, useFileOps } from '../../components/ide/file-actions';
import { type FileMark, FileTree } from '../../components/ide/file-tree';
import { GitPushButton, PushDialog } from '../../components/ide/git-push';
import { HistoryDialog, IconHistory, useHistorySync } from '../../components/ide/history-panel';
import { QuickOpenDialog, ShortcutsDialog } from '../../components/ide/ide-dialogs';
import { LogsPane } from '../../components/ide/logs-pane';
import { IDE_TABS, type IdeTab, NarrowIde, progressText } from '../../components/ide/narrow-ide';
import { PreviewPane } from '../../components/ide/preview-pane';
import { ProjectMenu } from '../../components/ide/project-menu';
import { TerminalPane } from '../../components/ide/terminal-pane';
import { Split } from '../../components/split';
import { cx, IconButton, Spinner } from '../../components/ui';
import { ApiError, api } from '../../lib/api';
import { filesQuery, messagesQuery, modelsQuery, projectQuery, projectUsageQuery } from '../../lib/queries';
import {
  isFileDone,
  isRemoved,
  selectAgentState,
  selectBlueprint,
  selectCurrentError,
  selectMessages,
  selectPhases,
  selectPreviewUrl,
  selectProblems,
  selectStreamingPaths,
} from '../../lib/reducer';
import { fromTotals, roundUsage, usageLine, usageTitle } from '../../lib/usage';
import { useProjectStream } from '../../lib/use-project-stream';
import { useShortcuts, useWideScreen } from '../../lib/use-shortcuts';

export const Route = createFileRoute('/_app/project/$id')({
  head: () => ({ meta: [{ title: 'Lathe IDE' }] }),
  component: function ProjectRoute() {
    const { id } = Route.useParams();
    return <ProjectGate key={id} id={id} />;
  },
});

function ProjectGate({ id }: { id: string }) {
  const project = useQuery(projectQuery(id));
  if (project.isPending)
    return (
      <div className="grid h-screen place-items-center">
        <Spinner className="size-6 text-accent" />
      </div>
    );
  if (project.error) {
    const missing = project.error instanceof ApiError && (project.error.status === 404 || project.error.status === 403);
    return (
      <div className="grid h-screen place-items-center px-6">
        <div role="alert" className="max-w-sm text-center">
          <h1 className="text-lg font-semibold">{missing ? 'Project not found' : 'Could not open this project'}</h1>
          <p className="mt-2 text-sm text-muted">{missing ? 'It does not exist, or it belongs to someone else.' : project.error.message}</p>
          <Link to="/" className="mt-5 inline-block rounded-lg bg-accent-solid px-3 py-2 text-sm font-medium text-accent-fg">
            Back to your projects
          </Link>
        </div>
      </div>
    );
  }
  return <Ide id={id} name={project.data.name} projectPreviewUrl={project.data.previewUrl} />;
}

function ProjectName({ id, name }: { id: string; name: string }) {
  const queryClient = useQueryClient();
  const [editing, setEditing] = useState(false);
  const rename = useMutation({
    mutationFn: (next: string) => api.renameProject(id, next),
    onSuccess: (project) => {
      queryClient.setQueryData(projectQuery(id).queryKey, project);
      void queryClient.invalidateQueries({ queryKey: ['projects'] });
    },
  });
  function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const next = String(new FormData(e.currentTarget).get('name') ?? '').trim();
    setEditing(false);
    if (next && next !== name) rename.mutate(next);
  }
  if (editing)
    return (
      <form onSubmit={submit}>
        <label htmlFor="project-name" className="sr-only">
          Project name
        </label>
        <input
          id="project-name"
          name="name"
          defaultValue={name}
          maxLength={100}
          // biome-ignore lint/a11y/noAutofocus: the user just asked to rename; focus belongs in the field
          autoFocus
          onBlur={(e) => e.currentTarget.form?.requestSubmit()}
          onKeyDown={(e) => e.key === 'Escape' && setEditing(false)}
          className="w-64 rounded-md border border-accent bg-canvas px-2 py-1 text-sm font-medium outline-none max-lg:min-h-10 max-lg:w-full"
        />
      </form>
    );
  return (
    <button
      type="button"
      onClick={() => setEditing(true)}
      title="Rename project"
      className="max-w-72 truncate rounded-md px-2 py-1 text-sm font-medium hover:bg-raised max-lg:min-h-10 max-lg:max-w-full"
      data-testid="project-name"
    >
      {rename.isPending ? (rename.variables ?? name) : name}
    </button>
  );
}

function Ide({ id, name, projectPreviewUrl }: { id: string; name: string; projectPreviewUrl: string }) {
  const queryClient = useQueryClient();
  const { state, status, baselineSeq, frameError } = useProjectStream(id);
  const models = useQuery(modelsQuery);
  const files = useQuery(filesQuery(id));
  const history = useQuery(messagesQuery(id));

  const agentState = selectAgentState(state);
  const busy = isActiveState(agentState);
  const phases = useMemo(() => selectPhases(state), [state]);
  const problems = useMemo(() => selectProblems(state), [state]);
  // The round ended, but its review left errors: never a plain "Done".
  const unfinished = agentState === 'COMPLETE' && problems.length > 0;
  // Until the replay of history reaches the first snapshot, "being written" describes the past.
  const caughtUp = baselineSeq !== null && state.lastSeq >= baselineSeq;
  const streaming = useMemo(() => (caughtUp ? selectStreamingPaths(state) : []), [state, caughtUp]);
  const liveMessages = useMemo(() => selectMessages(state), [state]);
  const chat = useMemo(() => mergeMessages(history.data ?? [], liveMessages), [history.data, liveMessages]);
  const chatUsage = useMemo(() => roundUsage(chat, state.usage), [chat, state.usage]);
  // The project's totals come from the server's ledger, refreshed as each model call is reported.
  const projectUsage = useQuery(projectUsageQuery(id));
  const projectSum = projectUsage.data ? fromTotals(projectUsage.data) : null;
  const callCount = state.usage.length;
  useEffect(() => {
    if (callCount > 0) void queryClient.invalidateQueries({ queryKey: projectUsageQuery(id).queryKey });
  }, [callCount, id, queryClient]);
  const error = selectCurrentError(state);
  const streamPreview = selectPreviewUrl(state);
  // A restore while the page is open reloads the preview too, so an app the broken version crashed comes back.
  const restoredNow = caughtUp && state.restoredSeq > (baselineSeq ?? 0) ? state.restoredSeq : 0;
  const serverVersion = Math.max(caughtUp && state.preview && state.preview.seq > (baselineSeq ?? 0) ? state.preview.seq : 0, restoredNow);
  useHistorySync(id, state.versionSeq, state.restoredSeq);
  // A project built before (e.g. before an API restart) is served again on its own preview host.
  const previewUrl = streamPreview ?? (!busy && state.completed && agentState !== 'ERROR' ? projectPreviewUrl : null);

  // The file list is refreshed whenever the agent finishes a file or a round.
  const doneCount = Object.values(state.files).filter(isFileDone).length;
  useEffect(() => {
    if (doneCount > 0 || state.completed) void queryClient.invalidateQueries({ queryKey: filesQuery(id).queryKey });
  }, [doneCount, state.completed, id, queryClient]);
  useEffect(() => {
    if (state.completed) void queryClient.invalidateQueries({ queryKey: ['projects'] });
  }, [state.completed, queryClient]);

  // Deletes and renames by the agent refresh the list too; until then the tree hides the old paths.
  const removedCount = Object.keys(state.removed).length;
  useEffect(() => {
    if (removedCount > 0) void queryClient.invalidateQueries({ queryKey: filesQuery(id).queryKey });
  }, [removedCount, id, queryClient]);
  const paths = useMemo(() => {
    const set = new Set((files.data ?? []).map((f) => f.path));
    for (const f of Object.values(state.files)) if (isFileDone(f) || streaming.includes(f.path)) set.add(f.path);
    return [...set].filter((p) => !isRemoved(state, p)).sort();
  }, [files.data, state, streaming]);

  // Marks are relative to what existed when the page loaded; opening a file clears its mark.
  const initialPaths = useRef<ReadonlySet<string> | null>(null);
  if (initialPaths.current === null && files.data && baselineSeq !== null) initialPaths.current = new Set(files.data.map((f) => f.path));
  const [seen, setSeen] = useState<Readonly<Record<string, number>>>({});
  const marks = useMemo(() => {
    const out: Record<string, FileMark> = {};
    for (const f of Object.values(state.files)) {
      if (streaming.includes(f.path)) out[f.path] = 'writing';
      else if (!isFileDone(f)) continue;
      else if (baselineSeq !== null && f.startSeq > baselineSeq && f.startSeq > (seen[f.path] ?? 0))
        out[f.path] = initialPaths.current?.has(f.path) ? 'changed' : 'new';
    }
    return out;
  }, [state.files, streaming, baselineSeq, seen]);

  const [tabs, setTabs] = useState<readonly string[]>([]);
  const [active, setActive] = useState<string | null>(null);
  const fileOps = useFileOps(id);
  const [treeTarget, setTreeTarget] = useState<TreeTarget | null>(null);
  // A file operation in this tab or another: the list refreshes, tabs follow a move and close on a delete.
  const fileOpSeq = state.fileOps?.seq ?? 0;
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs once per files_changed event
  useEffect(() => {
    const ops = state.fileOps;
    if (!ops) return;
    void queryClient.invalidateQueries({ queryKey: filesQuery(id).queryKey });
    void queryClient.invalidateQueries({ queryKey: ['project', id, 'file'] });
    const to = new Map(ops.changes.moved.map((m) => [m.from, m.to]));
    const gone = new Set(ops.changes.deleted);
    const next = [...new Set(tabs.filter((p) => !gone.has(p)).map((p) => to.get(p) ?? p))];
    setTabs(next);
    if (active !== null) setActive(gone.has(active) ? (next.at(-1) ?? null) : (to.get(active) ?? active));
  }, [fileOpSeq]);
  const [follow, setFollow] = useState(true);
  const open = (path: string, byUser: boolean) => {
    setTabs((t) => (t.includes(path) ? t : [...t, path]));
    setActive(path);
    setSeen((s) => ({ ...s, [path]: state.files[path]?.startSeq ?? 0 }));
    if (byUser) setFollow(streaming.includes(path));
  };
  const close = (path: string) => {
    setTabs((t) => {
      const next = t.filter((p) => p !== path);
      if (active === path) setActive(next.at(-1) ?? null);
      return next;
    });
  };

  // Following the agent: the file it starts writing comes to the front, so its text is seen arriving.
  const writingNow = streaming.at(-1) ?? null;
  // biome-ignore lint/correctness/useExhaustiveDependencies: only a newly started file should move the focus
  useEffect(() => {
    if (follow && writingNow) open(writingNow, false);
  }, [writingNow, follow]);
  // With nothing open after a load, show the app's entry point, once the file list and the
  // replayed history are both in (a partial replay would offer some other file first).
  useEffect(() => {
    if (active === null && tabs.length === 0 && !writingNow && files.data && caughtUp && paths.length > 0) {
      const first = paths.find((p) => p === 'src/App.tsx') ?? paths.find((p) => p.startsWith('src/')) ?? paths[0];
      if (first) open(first, false);
    }
  });

  const cancel = useMutation({ mutationFn: () => api.cancel(id) });
  useEffect(() => {
    if (!busy) cancel.reset();
  }, [busy, cancel.reset]);
  const send = async (text: string) => {
    await api.sendMessage(id, text);
    setFollow(true);
    await queryClient.invalidateQueries({ queryKey: messagesQuery(id).queryKey });
  };

  // Only what happens while the user is here is announced, not the replay of a finished round.
  const announced =
    caughtUp && (busy || state.lastSeq > (baselineSeq ?? 0))
      ? announcement({
          agentState,
          phases,
          // Only a reply after the latest request sums up this round, not the previous one's.
          lastAssistantMessage:
            chat.slice(chat.findLastIndex((m) => m.role === 'user') + 1).findLast((m) => m.role === 'assistant')?.content ?? null,
          error,
        })
      : '';

  const [logsOpen, setLogsOpen] = useState(true);
  const [chatOpen, setChatOpen] = useState(true);
  const [terminalOpen, setTerminalOpen] = useState(false);
  const [filesOpen, setFilesOpen] = useState(true);
  const [tab, setTab] = useState<IdeTab>('chat');
  const [dialog, setDialog] = useState<'help' | 'quickOpen' | 'history' | 'push' | null>(null);
  const wide = useWideScreen();
  const mac = useMemo(() => /Mac|iPhone|iPad/.test(navigator.platform), []);

  const openFromTree = (path: string) => {
    open(path, true);
    if (!wide) setFilesOpen(false);
  };
  const toggleTerminal = () => {
    setTerminalOpen((o) => !o || (!wide && tab !== 'logs'));
    if (!wide) setTab('logs');
  };

  useShortcuts({
    mac,
    onAction: (m) => {
      if (m.action === 'quickOpen') setDialog('quickOpen');
      else if (m.action === 'help') setDialog('help');
      else if (m.action === 'toggleTerminal') toggleTerminal();
      else if (m.action === 'toggleChat') wide ? setChatOpen((o) => !o) : setTab('chat');
      else if (m.action === 'toggleLogs') wide ? setLogsOpen((o) => !o) : setTab('logs');
      else if (m.action === 'tab') setTab(IDE_TABS[m.index]?.id ?? tab);
      else if (m.action === 'send') {
        if (!wide) setTab('chat');
        const input = document.getElementById('follow-up');
        if (input instanceof HTMLTextAreaElement && input.value.trim()) input.form?.requestSubmit();
        else input?.focus();
      } else if (m.action === 'stop') {
        if (!busy || cancel.isPending) return false;
        cancel.mutate();
      }
      return true;
    },
  });

  const statePill = (
    <span
      data-testid="agent-state"
      data-state={agentState}
      data-problems={problems.length}
      className={cx(
        'inline-flex shrink-0 items-center gap-1.5 rounded-full border px-2.5 py-0.5 text-xs font-medium',
        busy
          ? 'border-accent/40 bg-accent-soft text-accent'
          : agentState === 'ERROR'
            ? 'border-bad/40 text-bad'
            : unfinished
              ? 'border-warn/40 text-warn'
              : 'border-line text-muted',
      )}
    >
      {busy ? (
        <Spinner className="size-3" />
      ) : (
        <span
          className={cx(
            'size-1.5 rounded-full',
            agentState === 'ERROR' ? 'bg-bad' : agentState === 'CANCELLED' || unfinished ? 'bg-warn' : 'bg-ok',
          )}
        />
      )}
      {unfinished ? `Done, ${problems.length} problem${problems.length === 1 ? '' : 's'} left` : stateText(agentState)}
    </span>
  );

  const chatPane = (
    <ChatPanel
      items={chat}
      usage={chatUsage}
      phases={phases}
      agentState={agentState}
      error={error}
      onSend={send}
      onStop={() => cancel.mutate()}
      stopping={cancel.isPending || cancel.isSuccess}
      onOpenFile={(p) => {
        open(p, true);
        if (!wide) setTab('code');
      }}
      blueprint={selectBlueprint(state)}
    />
  );
  const filesPane = (
    <div className="flex h-full min-h-0 flex-col bg-surface">
      <div className="flex h-9 shrink-0 items-center justify-between border-b border-line px-3 max-lg:h-11">
        <span className="text-xs font-semibold uppercase tracking-wider text-faint">Files</span>
        <label className="flex items-center gap-1 text-[11px] text-faint max-lg:min-h-10" title="Open each file as Lathe writes it">
          <input
            type="checkbox"
            checked={follow}
            onChange={(e) => setFollow(e.target.checked)}
            className="accent-[var(--accent)] max-lg:size-5"
          />
          Follow
        </label>
      </div>
      <FileActions ops={fileOps} target={treeTarget} paths={paths} busy={busy} />
      <FileTree
        paths={paths}
        marks={marks}
        active={active}
        onOpen={openFromTree}
        onTarget={setTreeTarget}
        onRename={(target) => !busy && fileOps.setRequest({ kind: 'rename', target })}
        onDelete={(target) => !busy && fileOps.setRequest({ kind: 'delete', target, files: countUnder(paths, target) })}
        onDropFiles={(dropped, folder) =>
          busy
            ? fileOps.setStatus({ text: 'Wait for Lathe to finish before uploading files.', error: true })
            : void fileOps.drop(dropped, folder)
        }
        onMove={(from, folder) =>
          busy ? fileOps.setStatus({ text: 'Wait for Lathe to finish before moving files.', error: true }) : void fileOps.move(from, folder)
        }
      />
    </div>
  );
  const editorPane = (
    <EditorPane
      // A restore replaced the stored files: drafts and editor state of the old text go.
      key={state.restoredSeq}
      projectId={id}
      files={state.files}
      writingPaths={streaming}
      baselineSeq={baselineSeq}
      lastSeq={state.lastSeq}
      tabs={tabs}
      active={active}
      onActivate={(p) => open(p, true)}
      onClose={close}
    />
  );
  const previewPane = (
    <PreviewPane
      projectId={id}
      url={previewUrl}
      serverVersion={serverVersion}
      agentState={agentState}
      error={error}
      problems={problems}
      onFix={send}
    />
  );
  const logsPane = <LogsPane logs={state.logs} reviews={state.reviews} open={logsOpen} onToggle={() => setLogsOpen((o) => !o)} />;
  const terminalPane = terminalOpen ? <TerminalPane projectId={id} onClose={() => setTerminalOpen(false)} /> : null;

  const workArea = (
    <Split
      direction="row"
      initial={Math.round((window.innerWidth - (chatOpen ? 300 : 0)) * 0.58)}
      min={320}
      minRest={300}
      label="Resize editor"
      className="h-full"
      first={
        <Split
          direction="row"
          initial={170}
          min={120}
          minRest={200}
          label="Resize file tree"
          className="h-full"
          first={filesPane}
          second={editorPane}
        />
      }
      second={previewPane}
    />
  );
  const bottom = terminalPane ? (
    logsOpen ? (
      <Split
        direction="row"
        initial={Math.round(window.innerWidth * 0.4)}
        min={200}
        minRest={320}
        label="Resize logs and terminal"
        className="h-full"
        first={logsPane}
        second={terminalPane}
      />
    ) : (
      terminalPane
    )
  ) : (
    logsPane
  );
  const desktop = (
    <Split
      direction="column"
      initial={terminalOpen ? 260 : logsOpen ? 150 : 32}
      min={32}
      minRest={200}
      sizeSecond
      label="Resize logs"
      key={`${logsOpen ? 'logs-open' : 'logs-closed'}-${terminalOpen ? 'terminal' : 'no-terminal'}-${chatOpen ? 'chat' : 'no-chat'}`}
      className="h-full"
      first={workArea}
      second={bottom}
    />
  );

  return (
    <div className={cx('flex h-dvh flex-col bg-canvas text-fg', wide ? 'min-w-[1024px]' : 'w-full overflow-hidden')}>
      <Announcer text={announced} />
      <header className="flex h-12 shrink-0 items-center gap-2 border-b border-line bg-surface px-3 max-lg:h-14 max-lg:gap-1 max-lg:px-2">
        <Link
          to="/"
          aria-label="All projects"
          className="grid size-7 shrink-0 place-items-center rounded-lg bg-accent-solid text-accent-fg max-lg:size-10"
        >
          <IconLogo width={15} height={15} />
        </Link>
        <span className="text-faint max-lg:hidden">/</span>
        <div className="min-w-0 max-lg:flex-1">
          <ProjectName id={id} name={name} />
        </div>
        {wide && <span className="ml-1">{statePill}</span>}
        {status !== 'open' && (
          <span className="inline-flex shrink-0 items-center gap-1.5 text-xs text-warn" role="status">
            <Spinner className="size-3" />{' '}
            <span className="max-lg:sr-only">{status === 'connecting' ? 'Connecting…' : 'Reconnecting…'}</span>
          </span>
        )}
        {frameError && (
          <span className="truncate text-xs text-bad max-lg:hidden" role="status" title={frameError.message}>
            {frameError.message}
          </span>
        )}
        <div className="ml-auto flex shrink-0 items-center gap-1">
          {wide && projectSum && projectSum.calls > 0 && (
            <span
              className="mr-2 text-xs text-muted tabular-nums"
              data-testid="project-usage"
              title={`This project: ${usageTitle(projectSum)}`}
            >
              {usageLine(projectSum)}
            </span>
          )}
          {wide ? (
            <>
              <a
                href={api.downloadUrl(id)}
                download
                className="mr-1 inline-flex items-center gap-1.5 rounded-md border border-line px-2.5 py-1 text-xs font-medium text-muted hover:border-accent hover:text-fg"
              >
                <IconDownload width={13} height={13} /> Download ZIP
              </a>
              <GitPushButton onOpen={() => setDialog('push')} />
              <IconButton label="History" aria-haspopup="dialog" onClick={() => setDialog('history')} data-testid="history-button">
                <IconHistory width={15} height={15} />
              </IconButton>
            </>
          ) : (
            <ProjectMenu
              items={[
                { label: 'Download ZIP', icon: <IconDownload width={15} height={15} />, href: api.downloadUrl(id), download: true },
                { label: 'Push to git', icon: <IconExternal width={15} height={15} />, onSelect: () => setDialog('push') },
                { label: 'History', icon: <IconHistory width={15} height={15} />, onSelect: () => setDialog('history') },
              ]}
            />
          )}
          <IconButton label="Terminal" aria-pressed={terminalOpen} onClick={toggleTerminal} className="max-lg:hidden">
            <IconTerminal width={15} height={15} />
          </IconButton>
          <IconButton label="Keyboard shortcuts" onClick={() => setDialog('help')} className="max-md:hidden max-lg:size-10">
            <span aria-hidden="true" className="text-sm font-semibold">
              ?
            </span>
          </IconButton>
          <AccountControls />
        </div>
      </header>
      {models.data?.offline && (
        <div
          role="status"
          className="shrink-0 border-b border-warn/30 bg-warn/10 px-4 py-1.5 text-center text-xs text-warn"
          data-testid="offline-banner"
        >
          Using Lathe's built-in offline model — add an API key in Settings for real LLM output
        </div>
      )}
      {wide ? (
        chatOpen ? (
          <Split
            direction="row"
            initial={300}
            min={260}
            minRest={640}
            label="Resize chat"
            className="min-h-0 flex-1"
            first={chatPane}
            second={desktop}
          />
        ) : (
          <div className="min-h-0 flex-1">{desktop}</div>
        )
      ) : (
        <NarrowIde
          tab={tab}
          onTab={setTab}
          statePill={statePill}
          progress={progressText(phases, agentState)}
          busy={busy}
          stopping={cancel.isPending || cancel.isSuccess}
          onStop={() => cancel.mutate()}
          badges={{ logs: state.logs.filter((l) => l.stream === 'stderr').length, preview: problems.length }}
          panels={{
            chat: chatPane,
            code: (
              <div className="flex h-full min-h-0 flex-col">
                <button
                  type="button"
                  aria-expanded={filesOpen}
                  onClick={() => setFilesOpen((o) => !o)}
                  className="flex min-h-10 shrink-0 items-center gap-2 border-b border-line bg-surface px-3 text-left text-xs font-medium text-muted"
                >
                  <IconChevron width={12} height={12} className={cx('transition-transform', filesOpen ? 'rotate-90' : '')} />
                  {filesOpen ? 'Hide files' : `Files (${paths.length})`}
                  {active && <span className="min-w-0 truncate font-mono text-faint">{active}</span>}
                </button>
                {filesOpen && <div className="flex max-h-[45%] min-h-0 shrink-0 flex-col border-b border-line">{filesPane}</div>}
                <div className="min-h-0 flex-1">{editorPane}</div>
              </div>
            ),
            preview: previewPane,
            logs: (
              <div className="flex h-full min-h-0 flex-col">
                <div className={cx('flex min-h-0 flex-col', logsOpen ? 'flex-1' : 'shrink-0')}>{logsPane}</div>
                {terminalPane ? (
                  <div className="flex min-h-0 flex-1 flex-col border-t border-line">{terminalPane}</div>
                ) : (
                  <button
                    type="button"
                    onClick={() => setTerminalOpen(true)}
                    className="flex min-h-11 shrink-0 items-center justify-center gap-2 border-t border-line bg-surface text-sm font-medium text-muted hover:text-fg"
                  >
                    <IconTerminal width={14} height={14} /> Open a terminal
                  </button>
                )}
              </div>
            ),
          }}
        />
      )}
      <PushDialog projectId={id} open={dialog === 'push'} onClose={() => setDialog(null)} />
      <HistoryDialog open={dialog === 'history'} onClose={() => setDialog(null)} projectId={id} busy={busy} />
      <ShortcutsDialog open={dialog === 'help'} onClose={() => setDialog(null)} mac={mac} />
      <QuickOpenDialog
        open={dialog === 'quickOpen'}
        onClose={() => setDialog(null)}
        paths={paths}
        onOpen={(p) => {
          open(p, true);
          if (!wide) setTab('code');
        }}
      />
    </div>
  );
}
