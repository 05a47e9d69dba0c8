import type { Message } from '@lathe/protocol';
import { describe, expect, it } from 'vitest';
import { mergeMessages } from '../src/components/ide/chat-panel';
import { buildTree } from '../src/components/ide/file-tree';
import { safeRedirect } from '../src/lib/redirect';

describe('safeRedirect', () => {
  it('follows only same-site paths after sign-in', () => {
    expect(safeRedirect('/project/abc?x=1')).toBe('/project/abc?x=1');
    for (const bad of ['https://evil.example/', '//evil.example/x', '/\\evil.example', 'javascript:alert(1)', '', undefined, 42]) {
      expect(safeRedirect(bad)).toBe('/');
    }
  });
});

describe('buildTree', () => {
  it('nests paths, folders first, each level alphabetical', () => {
    const tree = buildTree(['src/main.tsx', 'index.html', 'src/components/TodoApp.tsx', 'src/App.tsx', 'package.json']);
    const names = (nodes: ReturnType<typeof buildTree>): unknown[] =>
      nodes.map((n) => (n.children ? { [n.name]: names(n.children) } : n.name));
    expect(names(tree)).toEqual([{ src: [{ components: ['TodoApp.tsx'] }, 'App.tsx', 'main.tsx'] }, 'index.html', 'package.json']);
    expect(tree[0]?.children?.[0]?.children?.[0]?.path).toBe('src/components/TodoApp.tsx');
  });
});

describe('mergeMessages', () => {
  it('merges history and live messages by id, in time order', () => {
    const history: Message[] = [{ id: 'a', role: 'user', content: 'a todo app', createdAt: '2026-01-01T00:00:01.000Z' }];
    const live = [
      { id: 'b', seq: 9, at: '2026-01-01T00:00:09.000Z', role: 'assistant' as const, content: 'Done' },
      { id: 'a', seq: 1, at: '2026-01-01T00:00:01.000Z', role: 'user' as const, content: 'a todo app' },
    ];
    expect(mergeMessages(history, live).map((m) => m.id)).toEqual(['a', 'b']);
  });
});
