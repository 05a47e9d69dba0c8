import { useEffect, useRef, useState } from 'react';
import { type Matched, matchShortcut } from './shortcuts';

/** The IDE's wide layout (side-by-side panes) from 1024 px; below it, tabs. */
export function useWideScreen(): boolean {
  const query = '(min-width: 1024px)';
  const [wide, setWide] = useState(() => window.matchMedia(query).matches);
  useEffect(() => {
    const list = window.matchMedia(query);
    const changed = () => setWide(list.matches);
    list.addEventListener('change', changed);
    return () => list.removeEventListener('change', changed);
  }, []);
  return wide;
}

/**
 * Listens for the IDE's shortcuts on the whole page (before Monaco sees them). `onAction` returns
 * false when it did nothing with the key, which then goes on to where it was pressed.
 */
export function useShortcuts({ mac, onAction }: { mac: boolean; onAction: (m: NonNullable<Matched>) => boolean | undefined }): void {
  const handler = useRef(onAction);
  handler.current = onAction;
  useEffect(() => {
    const onKeyDown = (e: KeyboardEvent) => {
      if (e.defaultPrevented || e.isComposing) return;
      const target = e.target instanceof Element ? e.target : null;
      const matched = matchShortcut(
        e,
        {
          inTerminal: !!target?.closest('.xterm'),
          inEditor: !!target?.closest('.monaco-editor'),
          inTextField: !!target?.closest('input, textarea, select, [contenteditable=true]'),
          inDialog: !!target?.closest('dialog[open]') || !!document.querySelector('dialog[open]'),
        },
        mac,
      );
      if (!matched) return;
      if (handler.current(matched) === false) return;
      e.preventDefault();
      e.stopPropagation();
    };
    window.addEventListener('keydown', onKeyDown, { capture: true });
    return () => window.removeEventListener('keydown', onKeyDown, { capture: true });
  }, [mac]);
}
