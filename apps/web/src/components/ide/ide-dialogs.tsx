import { type KeyboardEvent, type ReactNode, useEffect, useId, useRef, useState } from 'react';
import { quickOpenMatches, SHORTCUTS } from '../../lib/shortcuts';
import { IconFile, IconX } from '../icons';
import { cx, IconButton } from '../ui';

/** A modal <dialog> that opens with `open` and tells its owner when it closes (Escape included). */
export function Modal({
  open,
  onClose,
  labelledBy,
  children,
}: {
  open: boolean;
  onClose: () => void;
  labelledBy: string;
  children: ReactNode;
}) {
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
      aria-labelledby={labelledBy}
      className="m-auto mt-[12vh] w-[min(560px,calc(100vw-1.5rem))] rounded-2xl border border-line bg-surface p-0 text-fg shadow-2xl backdrop:bg-black/60 backdrop:backdrop-blur-sm"
    >
      {open && children}
    </dialog>
  );
}

/** The keyboard shortcuts, from the one table the key handler uses. */
export function ShortcutsDialog({ open, onClose, mac }: { open: boolean; onClose: () => void; mac: boolean }) {
  const title = useId();
  const keys = (k: string) => k.replace('Mod', mac ? '⌘' : 'Ctrl');
  return (
    <Modal open={open} onClose={onClose} labelledBy={title}>
      <header className="flex items-center justify-between border-b border-line px-5 py-3">
        <h2 id={title} className="text-base font-semibold">
          Keyboard shortcuts
        </h2>
        <IconButton label="Close keyboard shortcuts" onClick={onClose}>
          <IconX />
        </IconButton>
      </header>
      <dl className="max-h-[70vh] divide-y divide-line overflow-y-auto px-5 py-2 text-sm" data-testid="shortcuts">
        {SHORTCUTS.map((s) => (
          <div key={s.action} className="flex items-baseline justify-between gap-4 py-2">
            <dt className="text-muted">{s.label}</dt>
            <dd className="shrink-0">
              <kbd className="rounded border border-line bg-raised px-1.5 py-0.5 font-mono text-xs">{keys(s.keys)}</kbd>
            </dd>
          </div>
        ))}
      </dl>
      <p className="border-t border-line px-5 py-3 text-xs text-faint">
        In the terminal, copy with {mac ? '⌘C' : 'Ctrl+Shift+C'} and paste with {mac ? '⌘V' : 'Ctrl+Shift+V'}.
      </p>
    </Modal>
  );
}

/** Ctrl/Cmd+P: type part of a file's name, arrows to choose, Enter to open (ARIA combobox with a listbox). */
export function QuickOpenDialog({
  open,
  onClose,
  paths,
  onOpen,
}: {
  open: boolean;
  onClose: () => void;
  paths: readonly string[];
  onOpen: (path: string) => void;
}) {
  const title = useId();
  return (
    <Modal open={open} onClose={onClose} labelledBy={title}>
      <h2 id={title} className="sr-only">
        Open a file
      </h2>
      <QuickOpenBody paths={paths} onOpen={onOpen} onClose={onClose} />
    </Modal>
  );
}

function QuickOpenBody({ paths, onOpen, onClose }: { paths: readonly string[]; onOpen: (path: string) => void; onClose: () => void }) {
  const [query, setQuery] = useState('');
  const [index, setIndex] = useState(0);
  const list = useId();
  const matches = quickOpenMatches(paths, query);
  const chosen = matches[Math.min(index, matches.length - 1)];
  const pick = (path: string | undefined) => {
    if (!path) return;
    onClose();
    onOpen(path);
  };
  function onKeyDown(e: KeyboardEvent<HTMLInputElement>) {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      const n = matches.length;
      if (n > 0) setIndex((i) => (Math.min(i, n - 1) + (e.key === 'ArrowDown' ? 1 : n - 1)) % n);
    } else if (e.key === 'Enter') {
      e.preventDefault();
      pick(chosen);
    }
  }
  const optionId = (i: number) => `${list}-${i}`;
  return (
    <div className="p-2">
      <input
        // biome-ignore lint/a11y/noAutofocus: the user pressed the shortcut to type a file name here
        autoFocus
        role="combobox"
        aria-expanded="true"
        aria-controls={list}
        aria-activedescendant={chosen ? optionId(matches.indexOf(chosen)) : undefined}
        aria-label="File name"
        value={query}
        onChange={(e) => {
          setQuery(e.target.value);
          setIndex(0);
        }}
        onKeyDown={onKeyDown}
        placeholder="Type a file name…"
        className="w-full rounded-lg border border-line bg-canvas px-3 py-2.5 text-sm outline-none focus:border-accent focus:ring-2 focus:ring-accent/20"
      />
      <div id={list} role="listbox" aria-label="Files" className="mt-2 max-h-[50vh] overflow-y-auto">
        {matches.length === 0 ? (
          <p className="px-3 py-2 text-sm text-faint">No file matches.</p>
        ) : (
          matches.map((path, i) => (
            // biome-ignore lint/a11y/useKeyWithClickEvents: the combobox input handles the keys (arrows, Enter)
            <div
              key={path}
              id={optionId(i)}
              role="option"
              tabIndex={-1}
              aria-selected={path === chosen}
              onClick={() => pick(path)}
              className={cx(
                'flex min-h-10 cursor-pointer items-center gap-2 rounded-md px-3 text-sm',
                path === chosen ? 'bg-accent-soft text-fg' : 'text-muted hover:bg-raised',
              )}
            >
              <IconFile width={13} height={13} className="shrink-0" />
              <span className="truncate">{path}</span>
            </div>
          ))
        )}
      </div>
    </div>
  );
}
