import { useState } from 'react';
import { IconChevron, IconFile } from '../icons';
import { cx } from '../ui';

export type FileMark = 'new' | 'changed' | 'writing' | null;

interface TreeNode {
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
}

export function FileTree({ paths, marks, active, onOpen }: FileTreeProps) {
  const [collapsed, setCollapsed] = useState<ReadonlySet<string>>(new Set());
  const toggle = (path: string) =>
    setCollapsed((s) => {
      const next = new Set(s);
      if (next.has(path)) next.delete(path);
      else next.add(path);
      return next;
    });

  function render(nodes: TreeNode[], depth: number) {
    return nodes.map((node) => {
      const pad = { paddingLeft: 8 + depth * 12 };
      if (node.children) {
        const open = !collapsed.has(node.path);
        return (
          <li key={`d:${node.path}`}>
            <button
              type="button"
              aria-expanded={open}
              onClick={() => toggle(node.path)}
              style={pad}
              className="flex w-full items-center gap-1 py-1 pr-2 text-left text-sm text-muted hover:bg-raised hover:text-fg"
            >
              <IconChevron width={12} height={12} className={cx('shrink-0 transition-transform', open && 'rotate-90')} />
              <span className="truncate">{node.name}</span>
            </button>
            {open && <ul>{render(node.children, depth + 1)}</ul>}
          </li>
        );
      }
      const mark = marks[node.path] ?? null;
      const selected = node.path === active;
      return (
        <li key={`f:${node.path}`}>
          <button
            type="button"
            onClick={() => onOpen(node.path)}
            style={pad}
            aria-current={selected ? 'true' : undefined}
            data-path={node.path}
            data-mark={mark ?? undefined}
            className={cx(
              'flex w-full items-center gap-1.5 py-1 pr-2 text-left text-sm',
              selected ? 'bg-accent-soft text-fg' : 'text-muted hover:bg-raised hover:text-fg',
            )}
          >
            <IconFile width={13} height={13} className="ml-3 shrink-0 opacity-60" />
            <span className="min-w-0 flex-1 truncate">{node.name}</span>
            {mark && (
              <span
                title={mark === 'writing' ? 'Being written' : mark === 'new' ? 'New' : 'Changed'}
                className={cx('font-mono text-[10px] font-bold', MARK_STYLE[mark].className)}
              >
                {MARK_STYLE[mark].label}
              </span>
            )}
          </button>
        </li>
      );
    });
  }

  return (
    <nav aria-label="Files" className="min-h-0 flex-1 overflow-y-auto py-1">
      {paths.length === 0 ? (
        <p className="px-3 py-2 text-xs text-faint">Files appear here as Lathe writes them.</p>
      ) : (
        <ul>{render(buildTree(paths), 0)}</ul>
      )}
    </nav>
  );
}
