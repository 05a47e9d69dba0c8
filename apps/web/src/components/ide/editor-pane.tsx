import { useQuery, useQueryClient } from '@tanstack/react-query';
import { type KeyboardEvent, lazy, Suspense, useCallback, useEffect, useId, useRef, useState } from 'react';
import { ApiError, api } from '../../lib/api';
import { fileQuery } from '../../lib/queries';
import { type FileStream, hasWholeContent, isFileDone } from '../../lib/reducer';
import { IconCheck, IconX } from '../icons';
import { cx, Spinner } from '../ui';
import { BinaryFile } from './binary-file';

const CodeEditor = lazy(() => import('./monaco-editor'));

const SAVE_DEBOUNCE_MS = 700;

type SaveState = { kind: 'saved' } | { kind: 'dirty' } | { kind: 'saving' } | { kind: 'error'; message: string };

/** A user's unsaved or saved-by-us text, and the stream position it was typed at. */
interface Draft {
  text: string;
  baseSeq: number;
}

interface EditorPaneProps {
  projectId: string;
  files: Readonly<Record<string, FileStream>>;
  /** Files the agent is writing right now: shown live and read-only. */
  writingPaths: readonly string[];
  /** The first snapshot's seq: agent writes after it are newer than what the REST API had at load. */
  baselineSeq: number | null;
  lastSeq: number;
  tabs: readonly string[];
  active: string | null;
  onActivate: (path: string) => void;
  onClose: (path: string) => void;
}

export function EditorPane({ projectId, files, writingPaths, baselineSeq, lastSeq, tabs, active, onActivate, onClose }: EditorPaneProps) {
  const queryClient = useQueryClient();
  const [drafts, setDrafts] = useState<Readonly<Record<string, Draft>>>({});
  const [saves, setSaves] = useState<Readonly<Record<string, SaveState>>>({});
  const timers = useRef(new Map<string, ReturnType<typeof setTimeout>>());
  const draftsRef = useRef(drafts);
  draftsRef.current = drafts;

  const stream = active ? files[active] : undefined;
  const writing = !!active && writingPaths.includes(active);
  const draft = active ? drafts[active] : undefined;
  // Agent text wins when it was written during this session and after the user's last edit.
  const agentNewer =
    !!stream && isFileDone(stream) && baselineSeq !== null && stream.startSeq > baselineSeq && (!draft || stream.startSeq > draft.baseSeq);
  // A replay after the round's chunks were compacted lacks the text: the stored file has it.
  const fromStream = writing || (agentNewer && !!stream && hasWholeContent(stream));
  const fromDraft = !!draft && !agentNewer;
  const rest = useQuery({ ...fileQuery(projectId, active ?? '', stream?.endSeq ?? 0), enabled: !!active && !fromStream && !fromDraft });
  const value = fromStream ? stream?.content : fromDraft && draft ? draft.text : rest.data?.content;
  const binary = !fromStream && !fromDraft && rest.data?.encoding === 'base64' ? rest.data : null;

  const save = useCallback(
    async (path: string) => {
      const pending = timers.current.get(path);
      if (pending) clearTimeout(pending);
      timers.current.delete(path);
      const d = draftsRef.current[path];
      if (!d) return;
      setSaves((s) => ({ ...s, [path]: { kind: 'saving' } }));
      try {
        await api.writeFile(projectId, path, d.text);
        // Typing may have continued while the request was in flight.
        const latest = draftsRef.current[path];
        setSaves((s) => ({ ...s, [path]: latest && latest.text !== d.text ? { kind: 'dirty' } : { kind: 'saved' } }));
        void queryClient.invalidateQueries({ queryKey: ['project', projectId, 'files'] });
      } catch (e) {
        const message =
          e instanceof ApiError && e.code === 'file_busy'
            ? 'Lathe is writing this file; try again when it is done'
            : e instanceof Error
              ? e.message
              : 'Save failed';
        setSaves((s) => ({ ...s, [path]: { kind: 'error', message } }));
      }
    },
    [projectId, queryClient],
  );

  const onChange = useCallback(
    (text: string) => {
      if (!active) return;
      const path = active;
      draftsRef.current = { ...draftsRef.current, [path]: { text, baseSeq: lastSeq } };
      setDrafts(draftsRef.current);
      setSaves((s) => ({ ...s, [path]: { kind: 'dirty' } }));
      const pending = timers.current.get(path);
      if (pending) clearTimeout(pending);
      timers.current.set(
        path,
        setTimeout(() => void save(path), SAVE_DEBOUNCE_MS),
      );
    },
    [active, lastSeq, save],
  );

  // Unsaved edits are flushed rather than lost when the IDE closes.
  useEffect(() => {
    const pending = timers.current;
    return () => {
      for (const [path, t] of pending) {
        clearTimeout(t);
        const d = draftsRef.current[path];
        if (d) void api.writeFile(projectId, path, d.text).catch(() => undefined);
      }
    };
  }, [projectId]);

  const saveState = active ? saves[active] : undefined;

  // The active tab is kept in view when following the agent opens files past the edge.
  const tabList = useRef<HTMLDivElement>(null);
  const ids = useId();
  // Set when the keyboard moved or closed the focused tab: focus follows the newly selected tab.
  const refocus = useRef(false);
  useEffect(() => {
    const tab = active ? tabList.current?.querySelector<HTMLElement>('[aria-selected=true]') : null;
    tab?.scrollIntoView({ block: 'nearest', inline: 'nearest' });
    if (refocus.current) tab?.focus();
    refocus.current = false;
  }, [active]);

  function onTabKey(e: KeyboardEvent<HTMLButtonElement>, index: number) {
    const target =
      e.key === 'ArrowRight'
        ? (index + 1) % tabs.length
        : e.key === 'ArrowLeft'
          ? (index - 1 + tabs.length) % tabs.length
          : e.key === 'Home'
            ? 0
            : e.key === 'End'
              ? tabs.length - 1
              : null;
    const path = tabs[index];
    if (target !== null) {
      const next = tabs[target];
      if (next) {
        e.preventDefault();
        refocus.current = true;
        onActivate(next);
      }
    } else if (e.key === 'Delete' && path) {
      e.preventDefault();
      refocus.current = true;
      onClose(path);
    }
  }

  return (
    <div className="flex h-full min-h-0 flex-col bg-surface">
      <div className="flex h-9 shrink-0 items-stretch border-b border-line max-lg:h-11">
        <div ref={tabList} role="tablist" aria-label="Open files" className="flex min-w-0 flex-1 overflow-x-auto">
          {tabs.map((path, i) => {
            const selected = path === active;
            const dirty = saves[path]?.kind === 'dirty' || saves[path]?.kind === 'saving';
            return (
              <div
                key={path}
                className={cx(
                  'group flex shrink-0 items-center border-r border-line text-xs',
                  selected ? 'bg-canvas text-fg shadow-[inset_0_-2px_0_var(--accent)]' : 'text-muted hover:bg-raised',
                )}
              >
                <button
                  type="button"
                  role="tab"
                  id={`${ids}-tab-${i}`}
                  aria-selected={selected}
                  aria-controls={`${ids}-panel`}
                  aria-keyshortcuts="Delete"
                  // One tab stop for the strip; arrow keys move between tabs (ARIA tabs pattern).
                  tabIndex={selected ? 0 : -1}
                  title={path}
                  onClick={() => onActivate(path)}
                  onKeyDown={(e) => onTabKey(e, i)}
                  onAuxClick={(e) => e.button === 1 && onClose(path)}
                  className="flex items-center gap-1.5 py-2 pl-3 pr-1 font-mono outline-offset-[-2px] max-lg:min-h-10"
                >
                  {writingPaths.includes(path) && <span className="size-1.5 animate-pulse rounded-full bg-accent" />}
                  {path.split('/').pop()}
                  {dirty && (
                    <>
                      <span aria-hidden="true" className="size-1.5 rounded-full bg-fg/60" />
                      <span className="sr-only">(unsaved)</span>
                    </>
                  )}
                </button>
                {/* For the mouse; keyboard users close the focused tab with Delete. */}
                <button
                  type="button"
                  aria-hidden="true"
                  tabIndex={-1}
                  title={`Close ${path}`}
                  onClick={() => onClose(path)}
                  className="mr-1 grid size-5 place-items-center rounded opacity-0 transition group-hover:opacity-100 hover:bg-line max-lg:size-10 max-lg:opacity-100"
                >
                  <IconX width={11} height={11} />
                </button>
              </div>
            );
          })}
        </div>
        {active && (
          <div
            className="flex shrink-0 items-center gap-2 px-3 text-xs"
            data-testid="save-state"
            data-state={writing ? 'writing' : (saveState?.kind ?? 'saved')}
          >
            {writing ? (
              <span className="flex items-center gap-1.5 text-accent">
                <Spinner className="size-3" /> Lathe is writing…
              </span>
            ) : saveState?.kind === 'saving' ? (
              <span className="flex items-center gap-1.5 text-muted">
                <Spinner className="size-3" /> Saving…
              </span>
            ) : saveState?.kind === 'dirty' ? (
              <span className="text-muted">Unsaved · ⌘S</span>
            ) : saveState?.kind === 'error' ? (
              <span role="alert" className="max-w-64 truncate text-bad" title={saveState.message}>
                {saveState.message}
              </span>
            ) : (
              <span className="flex items-center gap-1 text-faint">
                <IconCheck width={12} height={12} /> Saved
              </span>
            )}
          </div>
        )}
      </div>
      <div
        className="relative min-h-0 flex-1 bg-canvas"
        role="tabpanel"
        id={`${ids}-panel`}
        aria-labelledby={active ? `${ids}-tab-${tabs.indexOf(active)}` : undefined}
      >
        {!active ? (
          <div className="grid h-full place-items-center text-sm text-faint">Pick a file to view or edit it.</div>
        ) : binary ? (
          <BinaryFile path={active} content={binary.content}>
            <p className="text-xs text-faint">Binary files cannot be edited here; upload a new one to replace it.</p>
          </BinaryFile>
        ) : value === undefined ? (
          rest.error ? (
            <p role="alert" className="p-4 text-sm text-bad">
              Could not open {active}: {rest.error.message}
            </p>
          ) : (
            <div className="p-4 text-sm text-faint">Loading {active}…</div>
          )
        ) : (
          <Suspense fallback={<div className="p-4 text-sm text-faint">Loading editor…</div>}>
            <CodeEditor
              path={active}
              value={value}
              external={fromStream || !draft}
              readOnly={writing}
              onChange={onChange}
              onSave={() => void save(active)}
            />
          </Suspense>
        )}
      </div>
    </div>
  );
}
