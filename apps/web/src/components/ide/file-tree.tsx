import { type DragEvent, type KeyboardEvent, useEffect, useMemo, useRef, useState } from 'react';
import { type DropResult, droppedFiles } from '../../lib/dropped-files';
import { IconChevron, IconFile } from '../icons';
import { cx } from '../ui';
import { folderOf } from './file-actions';

export type FileMark = 'new' | 'changed' | 'writing' | null;

export interface TreeNode {
  name: string;
  path: string;
  children: TreeNode[] | null;
}

/** Folders first, then files, each alphabetical. */
export function buildTree(paths: readonly string[]): TreeNode[] {
  const root: TreeNode = { name: '', path: '', children: [] };
  for (const path of paths) {
    const parts = path.split('/');
    let node = root;
    parts.forEach((name, i) => {
      const isFile = i === parts.length - 1;
      const at = parts.slice(0, i + 1).join('/');
      const children = node.children ?? [];
      let child = children.find((c) => c.name === name && (c.children === null) === isFile);
      if (!child) {
        child = { name, path: at, children: isFile ? null : [] };
        children.push(child);
      }
      node = child;
    });
  }
  const sort = (nodes: TreeNode[]): TreeNode[] =>
    nodes
      .map((n) => (n.children ? { ...n, children: sort(n.children) } : n))
      .sort((a, b) => ((a.children === null) === (b.children === null) ? a.name.localeCompare(b.name) : a.children ? -1 : 1));
  return sort(root.children ?? []);
}

const MARK_STYLE: Record<Exclude<FileMark, null>, { label: string; className: string }> = {
  new: { label: 'N', className: 'text-ok' },
  changed: { label: 'M', className: 'text-warn' },
  writing: { label: '●', className: 'animate-pulse text-accent' },
};

interface FileTreeProps {
  paths: readonly string[];
  marks: Readonly<Record<string, FileMark>>;
  active: string | null;
  onOpen: (path: string) => void;
  /** The row file operations act on (the focused one, else the open file) changed. */
  onTarget?: (target: { path: string; folder: boolean } | null) => void;
  /** F2 on a row. */
  onRename?: (target: { path: string; folder: boolean }) => void;
  /** Delete on a row. */
  onDelete?: (target: { path: string; folder: boolean }) => void;
  /** Files (and folders) dropped from the desktop, into `folder` ('' for the root). */
  onDropFiles?: (dropped: Promise<DropResult>, folder: string) => void;
  /** A row dragged onto a folder ('' for the root). */
  onMove?: (from: { path: string; folder: boolean }, folder: string) => void;
}

/** The data type of a row being dragged (its path and kind, as JSON). */
const ROW_DRAG_TYPE = 'application/x-lathe-tree-row';

/** The folder a drop on the row with `key` lands in: the folder itself, or the file's folder ('' for the root). */
export function dropFolder(key: string | undefined): string {
  return key ? folderOf({ path: key.slice(2), folder: key.startsWith('d:') }) : '';
}

const rowKeyAt = (target: EventTarget | null) =>
  target instanceof Element ? target.closest<HTMLElement>('[data-key]')?.dataset.key : undefined;

/** One row of the tree as shown: a node with its place among its siblings. */
export interface VisibleRow {
  key: string;
  node: TreeNode;
  level: number;
  posinset: number;
  setsize: number;
  /** Key of the folder this row sits in, if any. */
  parent: string | null;
}

const keyOf = (node: TreeNode) => `${node.children ? 'd' : 'f'}:${node.path}`;

/** The rows a user sees, depth first, skipping the contents of collapsed folders. */
export function visibleRows(
  nodes: readonly TreeNode[],
  collapsed: ReadonlySet<string>,
  level = 1,
  parent: string | null = null,
): VisibleRow[] {
  return nodes.flatMap((node, i) => {
    const row: VisibleRow = { key: keyOf(node), node, level, posinset: i + 1, setsize: nodes.length, parent };
    return node.children && !collapsed.has(node.path) ? [row, ...visibleRows(node.children, collapsed, level + 1, row.key)] : [row];
  });
}

/**
 * The project's files as an ARIA tree: one tab stop, arrow keys move and open or close folders,
 * Enter opens a file, Home and End jump (WAI-ARIA APG tree view pattern).
 */
export function FileTree({ paths, marks, active, onOpen, onTarget, onRename, onDelete, onDropFiles, onMove }: FileTreeProps) {
  const [collapsed, setCollapsed] = useState<ReadonlySet<string>>(new Set());
  const [focusKey, setFocusKey] = useState<string | null>(null);
  const tree = useRef<HTMLDivElement>(null);
  // Set by a key press: the row to focus once the render that shows it is done.
  const pendingFocus = useRef<string | null>(null);
  const rows = useMemo(() => visibleRows(buildTree(paths), collapsed), [paths, collapsed]);

  const setOpen = (path: string, open: boolean) =>
    setCollapsed((s) => {
      if (s.has(path) !== open) return s;
      const next = new Set(s);
      if (open) next.delete(path);
      else next.add(path);
      return next;
    });

  // The tab stop: the row last focused, else the open file, else the first row.
  const tabStop = rows.find((r) => r.key === focusKey)?.key ?? rows.find((r) => r.key === `f:${active}`)?.key ?? rows[0]?.key ?? null;
  // What the toolbar's rename and delete act on: the row last focused, else the open file.
  const targetRow = rows.find((r) => r.key === focusKey) ?? rows.find((r) => r.key === `f:${active}`) ?? null;
  const targetKey = targetRow?.key ?? null;
  // biome-ignore lint/correctness/useExhaustiveDependencies: told when the target row changes, not on every render
  useEffect(() => {
    onTarget?.(targetRow ? { path: targetRow.node.path, folder: targetRow.node.children !== null } : null);
  }, [targetKey]);
  // The folder a drag hovers over ('' for the root), or null when nothing is dragged here.
  const [dropping, setDropping] = useState<string | null>(null);
  const accepts = (types: readonly string[]) => (onDropFiles && types.includes('Files')) || (onMove && types.includes(ROW_DRAG_TYPE));
  const dropProps =
    onDropFiles || onMove
      ? {
          onDragOver: (e: DragEvent<HTMLDivElement>) => {
            if (!accepts(e.dataTransfer.types)) return;
            e.preventDefault();
            e.dataTransfer.dropEffect = e.dataTransfer.types.includes(ROW_DRAG_TYPE) ? 'move' : 'copy';
            setDropping(dropFolder(rowKeyAt(e.target)));
          },
          onDragLeave: (e: DragEvent<HTMLDivElement>) => {
            if (!e.currentTarget.contains(e.relatedTarget as Node | null)) setDropping(null);
          },
          onDrop: (e: DragEvent<HTMLDivElement>) => {
            setDropping(null);
            const folder = dropFolder(rowKeyAt(e.target));
            const row = e.dataTransfer.getData(ROW_DRAG_TYPE);
            if (row && onMove) {
              e.preventDefault();
              const from = JSON.parse(row) as { path: string; folder: boolean };
              onMove(from, folder);
            } else if (onDropFiles && e.dataTransfer.types.includes('Files')) {
              e.preventDefault();
              onDropFiles(droppedFiles(e.dataTransfer), folder);
            }
          },
        }
      : {};

  useEffect(() => {
    const key = pendingFocus.current;
    if (key === null) return;
    pendingFocus.current = null;
    tree.current?.querySelector<HTMLElement>(`[data-key="${CSS.escape(key)}"]`)?.focus();
  });

  function moveTo(key: string | undefined) {
    if (!key) return;
    pendingFocus.current = key;
    setFocusKey(key);
  }

  function activate(row: VisibleRow) {
    setFocusKey(row.key);
    if (row.node.children) setOpen(row.node.path, collapsed.has(row.node.path));
    else onOpen(row.node.path);
  }

  function onKeyDown(e: KeyboardEvent<HTMLDivElement>, index: number) {
    const row = rows[index];
    if (!row) return;
    const folderOpen = !!row.node.children && !collapsed.has(row.node.path);
    switch (e.key) {
      case 'ArrowDown':
        moveTo(rows[index + 1]?.key);
        break;
      case 'ArrowUp':
        moveTo(rows[index - 1]?.key);
        break;
      case 'Home':
        moveTo(rows[0]?.key);
        break;
      case 'End':
        moveTo(rows.at(-1)?.key);
        break;
      case 'ArrowRight':
        if (row.node.children && !folderOpen) setOpen(row.node.path, true);
        else if (folderOpen) moveTo(rows[index + 1]?.key);
        break;
      case 'ArrowLeft':
        if (folderOpen) setOpen(row.node.path, false);
        else moveTo(row.parent ?? undefined);
        break;
      case 'Enter':
      case ' ':
        activate(row);
        break;
      case 'F2':
        if (!onRename) return;
        onRename({ path: row.node.path, folder: row.node.children !== null });
        break;
      case 'Delete':
        if (!onDelete) return;
        onDelete({ path: row.node.path, folder: row.node.children !== null });
        break;
      default:
        return;
    }
    e.preventDefault();
  }

  const dropOutline = 'outline-dashed outline-2 outline-offset-[-4px] outline-accent';
  const dropClass = dropping === '' ? `bg-accent-soft ${dropOutline}` : '';
  if (paths.length === 0)
    return (
      <div className={cx('min-h-0 flex-1 py-1', dropClass)} {...dropProps}>
        <p className="px-3 py-2 text-xs text-faint">
          Files appear here as Lathe writes them{onDropFiles ? ', or drop files here to upload them' : ''}.
        </p>
      </div>
    );

  return (
    <div
      ref={tree}
      role="tree"
      aria-label="Files"
      aria-keyshortcuts={onRename ? 'F2 Delete' : undefined}
      className={cx('min-h-0 flex-1 overflow-y-auto py-1', dropClass)}
      {...dropProps}
    >
      {rows.map((row, index) => {
        const { node } = row;
        const folder = node.children !== null;
        const open = folder && !collapsed.has(node.path);
        const mark = folder ? null : (marks[node.path] ?? null);
        const selected = !folder && node.path === active;
        return (
          <div
            key={row.key}
            role="treeitem"
            aria-level={row.level}
            aria-posinset={row.posinset}
            aria-setsize={row.setsize}
            aria-expanded={folder ? open : undefined}
            aria-selected={folder ? undefined : selected}
            tabIndex={row.key === tabStop ? 0 : -1}
            data-key={row.key}
            data-path={folder ? undefined : node.path}
            data-mark={mark ?? undefined}
            data-drop-target={folder && dropping === node.path ? 'true' : undefined}
            draggable={onMove ? true : undefined}
            onDragStart={
              onMove
                ? (e) => {
                    e.dataTransfer.setData(ROW_DRAG_TYPE, JSON.stringify({ path: node.path, folder }));
                    e.dataTransfer.setData('text/plain', node.path);
                    e.dataTransfer.effectAllowed = 'move';
                  }
                : undefined
            }
            style={{ paddingLeft: 8 + (row.level - 1) * 12 }}
            onClick={() => activate(row)}
            onKeyDown={(e) => onKeyDown(e, index)}
            onFocus={() => setFocusKey(row.key)}
            className={cx(
              'flex w-full cursor-pointer items-center py-1 pr-2 text-left text-sm outline-offset-[-2px]',
              folder ? 'gap-1' : 'gap-1.5',
              selected ? 'bg-accent-soft text-fg' : 'text-muted hover:bg-raised hover:text-fg',
              folder && dropping === node.path && `bg-accent-soft text-fg ${dropOutline}`,
            )}
          >
            {folder ? (
              <IconChevron width={12} height={12} className={cx('shrink-0 transition-transform', open && 'rotate-90')} />
            ) : (
              <IconFile width={13} height={13} className="ml-3 shrink-0 opacity-60" />
            )}
            <span className="min-w-0 flex-1 truncate">{node.name}</span>
            {mark && (
              <span
                title={mark === 'writing' ? 'Being written' : mark === 'new' ? 'New' : 'Changed'}
                className={cx('font-mono text-[10px] font-bold', MARK_STYLE[mark].className)}
              >
                <span aria-hidden="true">{MARK_STYLE[mark].label}</span>
                <span className="sr-only">{mark === 'writing' ? '(being written)' : mark === 'new' ? '(new)' : '(changed)'}</span>
              </span>
            )}
          </div>
        );
      })}
    </div>
  );
}
