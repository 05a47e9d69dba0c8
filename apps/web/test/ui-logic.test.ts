import type { Message } from '@lathe/protocol';
import { describe, expect, it } from 'vitest';
import { announcement } from '../src/components/ide/announcer';
import { mergeMessages } from '../src/components/ide/chat-panel';
import { moveTarget } from '../src/components/ide/file-actions';
import { buildTree, dropFolder, visibleRows } from '../src/components/ide/file-tree';
import { type DropEntry, walkEntries } from '../src/lib/dropped-files';
import { safeRedirect } from '../src/lib/redirect';
import type { PhaseView } from '../src/lib/reducer';
import { roundUsage, sumUsage, usageLine } from '../src/lib/usage';

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

describe('usage lines', () => {
  const call = (at: string, promptTokens: number, completionTokens: number, costUsd: number | null, seq = 1) => ({
    seq,
    at,
    role: 'implementer' as const,
    model: 'm',
    promptTokens,
    completionTokens,
    cachedTokens: 0,
    costUsd,
  });

  it('puts each round under its last message, counting the calls made until the next request', () => {
    const items = [
      { id: 'u1', role: 'user', at: '2026-01-01T00:00:01.000Z' },
      { id: 'a1', role: 'assistant', at: '2026-01-01T00:00:09.000Z' },
      { id: 'u2', role: 'user', at: '2026-01-01T00:01:00.000Z' },
    ];
    const usage = [
      call('2026-01-01T00:00:02.000Z', 10_000, 2_300, 0.03, 2),
      call('2026-01-01T00:00:05.000Z', 0, 0, 0.01, 3),
      call('2026-01-01T00:01:02.000Z', 500, 100, null, 9),
    ];
    const rounds = roundUsage(items, usage);
    expect([...rounds.keys()]).toEqual(['a1', 'u2']);
    const first = rounds.get('a1');
    if (!first) throw new Error('no first round');
    expect(usageLine(first)).toBe('12.3k tokens · $0.04');
    // A running round shows under the request; with no priced call its cost is unknown.
    const second = rounds.get('u2');
    if (!second) throw new Error('no second round');
    expect(usageLine(second)).toBe('600 tokens');
    expect(usageLine(sumUsage([call('x', 1, 1, 0.5), call('y', 1, 1, null)]))).toBe('4 tokens · $0.50+');
    expect(usageLine(sumUsage([call('x', 1_500_000, 0, 0)]))).toBe('1.5M tokens · $0');
    expect(usageLine(sumUsage([call('x', 50_000, 0, 0.004)]))).toBe('50k tokens · <$0.01');
  });
});

describe('visibleRows', () => {
  const tree = buildTree(['src/components/TodoApp.tsx', 'src/App.tsx', 'index.html']);
  it('lists what the tree shows, with level, position and parent for the ARIA tree', () => {
    expect(visibleRows(tree, new Set()).map((r) => [r.key, r.level, r.posinset, r.setsize, r.parent])).toEqual([
      ['d:src', 1, 1, 2, null],
      ['d:src/components', 2, 1, 2, 'd:src'],
      ['f:src/components/TodoApp.tsx', 3, 1, 1, 'd:src/components'],
      ['f:src/App.tsx', 2, 2, 2, 'd:src'],
      ['f:index.html', 1, 2, 2, null],
    ]);
  });
  it('hides the contents of collapsed folders', () => {
    expect(visibleRows(tree, new Set(['src'])).map((r) => r.key)).toEqual(['d:src', 'f:index.html']);
  });
});

describe('announcement', () => {
  const phase = (status: PhaseView['status'], current: boolean): PhaseView => ({
    index: 1,
    name: 'Polish',
    description: '',
    files: [{ path: 'src/App.tsx', done: false }],
    thumbnail: null,
    status,
    current,
  });
  it('names the step and phase while the agent works, not the files', () => {
    const text = announcement({
      agentState: 'IMPLEMENTING_PHASE',
      phases: [phase('implementing', true)],
      lastAssistantMessage: null,
      error: null,
    });
    expect(text).toBe('Phase 2, Polish: Writing code…');
    expect(text).not.toContain('App.tsx');
    expect(
      announcement({ agentState: 'DESIGNING_PHASE', phases: [phase('designing', true)], lastAssistantMessage: null, error: null }),
    ).toBe('Planning the next phase…');
  });
  it('gives the result when the agent stops', () => {
    const base = { phases: [phase('done', true)], lastAssistantMessage: 'Done in 2 phases.', error: null };
    expect(announcement({ ...base, agentState: 'COMPLETE' })).toBe('Build finished. Done in 2 phases.');
    expect(announcement({ ...base, agentState: 'ERROR', error: { code: 'llm_failed', message: 'The model is unreachable' } })).toBe(
      'The build failed: The model is unreachable',
    );
    expect(announcement({ ...base, agentState: 'CANCELLED' })).toBe('Stopped.');
    expect(announcement({ ...base, agentState: 'IDLE' })).toBe('');
  });
});

describe('dropped folders', () => {
  type Fake = DropEntry & Record<string, unknown>;
  const file = (name: string): Fake => ({
    name,
    isFile: true,
    isDirectory: false,
    file: (ok: (f: File) => void) => ok(new File([name], name)),
  });
  /** A folder whose reader hands out its entries two at a time, then an empty batch. */
  const folder = (name: string, children: Fake[]): Fake => ({
    name,
    isFile: false,
    isDirectory: true,
    createReader: () => {
      let at = 0;
      return {
        readEntries: (ok: (e: DropEntry[]) => void) => {
          ok(children.slice(at, at + 2));
          at += 2;
        },
      };
    },
  });

  it("uploads a folder's files under its name, in every batch the reader gives, skipping node_modules and .git", async () => {
    const site = folder('site', [
      file('index.html'),
      folder('img', [file('a.png'), file('b.png'), file('c.png')]),
      folder('node_modules', [file('x.js')]),
      folder('.git', [file('HEAD')]),
      file('README.md'),
    ]);
    const result = await walkEntries([site, file('notes.txt')]);
    expect(result.files.map((f) => f.path)).toEqual([
      'site/img/a.png',
      'site/img/b.png',
      'site/img/c.png',
      'site/index.html',
      'site/README.md',
      'notes.txt',
    ]);
    expect(await result.files[0]?.file.text()).toBe('a.png');
    expect(result.skipped).toEqual(['site/.git/', 'site/node_modules/']);
  });

  it('stops at the file limit and names what it left out; an unreadable entry is named, not fatal', async () => {
    const broken: Fake = {
      name: 'gone.txt',
      isFile: true,
      isDirectory: false,
      file: (_ok: unknown, fail: (e: unknown) => void) => fail(new Error('NotFound')),
    };
    const result = await walkEntries([folder('many', [file('1'), file('2'), file('3')]), broken], 2);
    expect(result.files.map((f) => f.path)).toEqual(['many/1', 'many/2']);
    expect(result.skipped).toEqual(['many/3', 'gone.txt']);
  });
});

describe('moving rows', () => {
  it('drops into the folder under the pointer; a file row stands for its folder', () => {
    expect(dropFolder('d:src/components')).toBe('src/components');
    expect(dropFolder('f:src/App.tsx')).toBe('src');
    expect(dropFolder('f:README.md')).toBe('');
    expect(dropFolder(undefined)).toBe('');
  });

  it('keeps the name; no move into the same folder or a folder into itself', () => {
    expect(moveTarget({ path: 'NOTES.md', folder: false }, 'public')).toBe('public/NOTES.md');
    expect(moveTarget({ path: 'src/a/b.ts', folder: false }, '')).toBe('b.ts');
    expect(moveTarget({ path: 'src/a', folder: true }, 'lib')).toBe('lib/a');
    expect(moveTarget({ path: 'src/a.ts', folder: false }, 'src')).toBeNull();
    expect(moveTarget({ path: 'src', folder: true }, 'src')).toBeNull();
    expect(moveTarget({ path: 'src', folder: true }, 'src/components')).toBeNull();
    expect(moveTarget({ path: 'src', folder: true }, 'srcx')).toBe('srcx/src');
  });
});
