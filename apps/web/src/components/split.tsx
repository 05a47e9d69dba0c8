import { type KeyboardEvent, type PointerEvent, type ReactNode, useRef, useState } from 'react';
import { cx } from './ui';

interface SplitProps {
  /** 'row': side by side, the handle moves left/right. 'column': stacked. */
  direction: 'row' | 'column';
  /** Size of the first pane in px. */
  initial: number;
  min: number;
  /** Smallest size left for the second pane. */
  minRest: number;
  label: string;
  first: ReactNode;
  second: ReactNode;
  /** Size the second pane instead of the first (e.g. a bottom panel). */
  sizeSecond?: boolean;
  className?: string;
}

/** Two panes with a draggable, keyboard-operable separator (arrow keys move it by 24 px). */
export function Split({ direction, initial, min, minRest, label, first, second, sizeSecond = false, className }: SplitProps) {
  const [size, setSize] = useState(initial);
  const container = useRef<HTMLDivElement>(null);
  const row = direction === 'row';

  function clamp(next: number): number {
    const total = container.current ? (row ? container.current.clientWidth : container.current.clientHeight) : Number.POSITIVE_INFINITY;
    return Math.max(min, Math.min(next, total - minRest));
  }

  function onPointerDown(e: PointerEvent<HTMLDivElement>) {
    e.preventDefault();
    const handle = e.currentTarget;
    handle.setPointerCapture(e.pointerId);
    const rect = container.current?.getBoundingClientRect();
    if (!rect) return;
    const move = (ev: globalThis.PointerEvent) => {
      const offset = row ? ev.clientX - rect.left : ev.clientY - rect.top;
      const total = row ? rect.width : rect.height;
      setSize(clamp(sizeSecond ? total - offset : offset));
    };
    const up = () => {
      handle.removeEventListener('pointermove', move);
      handle.removeEventListener('pointerup', up);
      document.body.style.cursor = '';
      document.body.style.userSelect = '';
    };
    handle.addEventListener('pointermove', move);
    handle.addEventListener('pointerup', up);
    // Iframes and Monaco would swallow the pointer mid-drag without this.
    document.body.style.cursor = row ? 'col-resize' : 'row-resize';
    document.body.style.userSelect = 'none';
  }

  function onKeyDown(e: KeyboardEvent<HTMLDivElement>) {
    const grow = row ? 'ArrowRight' : 'ArrowDown';
    const shrink = row ? 'ArrowLeft' : 'ArrowUp';
    if (e.key !== grow && e.key !== shrink) return;
    e.preventDefault();
    const delta = (e.key === grow ? 24 : -24) * (sizeSecond ? -1 : 1);
    setSize((s) => clamp(s + delta));
  }

  const sized = { flexBasis: size, flexGrow: 0, flexShrink: 0 };
  return (
    <div ref={container} className={cx('flex min-h-0 min-w-0', row ? 'flex-row' : 'flex-col', className)}>
      <div className="flex min-h-0 min-w-0 flex-col" style={sizeSecond ? { flex: '1 1 0' } : sized}>
        {first}
      </div>
      {/* biome-ignore lint/a11y/useSemanticElements: an <hr> cannot be focused and dragged; this is the ARIA window-splitter pattern */}
      <div
        role="separator"
        aria-label={label}
        aria-orientation={row ? 'vertical' : 'horizontal'}
        aria-valuenow={Math.round(size)}
        tabIndex={0}
        onPointerDown={onPointerDown}
        onKeyDown={onKeyDown}
        className={cx(
          'group relative z-10 shrink-0 bg-line transition-colors hover:bg-accent focus-visible:bg-accent focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-accent',
          row ? 'w-px cursor-col-resize' : 'h-px cursor-row-resize',
        )}
      >
        <span className={cx('absolute', row ? 'inset-y-0 -left-1.5 -right-1.5' : 'inset-x-0 -top-1.5 -bottom-1.5')} />
      </div>
      <div className="flex min-h-0 min-w-0 flex-col" style={sizeSecond ? sized : { flex: '1 1 0' }}>
        {second}
      </div>
    </div>
  );
}
