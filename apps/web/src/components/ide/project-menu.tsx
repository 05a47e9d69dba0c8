import { type ReactNode, useEffect, useId, useRef, useState } from 'react';
import { IconMore } from '../icons';

export type ProjectMenuItem = { label: string; icon: ReactNode } & ({ href: string; download?: boolean } | { onSelect: () => void });

/**
 * The narrow header's "Project actions" menu: the header's project actions (download, push, history)
 * behind one 40 px button, so the project's name keeps its room at phone width. A disclosure: the
 * button toggles a list of links and buttons; Escape, a click outside or a choice closes it.
 */
export function ProjectMenu({ items }: { items: ProjectMenuItem[] }) {
  const [open, setOpen] = useState(false);
  const listId = useId();
  const rootRef = useRef<HTMLDivElement>(null);
  const buttonRef = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    if (!open) return;
    const outside = (e: PointerEvent) => {
      if (!rootRef.current?.contains(e.target as Node)) setOpen(false);
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'Escape') return;
      setOpen(false);
      buttonRef.current?.focus();
    };
    document.addEventListener('pointerdown', outside);
    document.addEventListener('keydown', onKey);
    rootRef.current?.querySelector<HTMLElement>('[data-menu-item]')?.focus();
    return () => {
      document.removeEventListener('pointerdown', outside);
      document.removeEventListener('keydown', onKey);
    };
  }, [open]);

  const itemClass =
    'flex min-h-11 w-full items-center gap-3 rounded-md px-3 text-left text-sm text-fg hover:bg-raised focus-visible:bg-raised';
  return (
    <div ref={rootRef} className="relative">
      <button
        ref={buttonRef}
        type="button"
        aria-label="Project actions"
        title="Project actions"
        aria-expanded={open}
        aria-controls={listId}
        onClick={() => setOpen((v) => !v)}
        className="grid size-10 shrink-0 place-items-center rounded-md text-muted transition hover:bg-raised hover:text-fg"
      >
        <IconMore width={18} height={18} />
      </button>
      <ul id={listId} hidden={!open} className="absolute right-0 top-11 z-30 w-56 rounded-lg border border-line bg-surface p-1 shadow-xl">
        {items.map((item) => (
          <li key={item.label}>
            {'href' in item ? (
              <a data-menu-item href={item.href} download={item.download} className={itemClass} onClick={() => setOpen(false)}>
                {item.icon}
                {item.label}
              </a>
            ) : (
              <button
                data-menu-item
                type="button"
                className={itemClass}
                onClick={() => {
                  setOpen(false);
                  item.onSelect();
                }}
              >
                {item.icon}
                {item.label}
              </button>
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}
