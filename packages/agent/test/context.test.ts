import { describe, expect, it } from 'vitest';
import { countTokens, editDiffs, fileTree, importsOf, selectFiles, withImports } from '../src/operations/context';
import { fixerPrompt } from '../src/operations/fix';
import { implementerPrompt } from '../src/operations/implement';

const file = (path: string, content: string) => ({ path, content });

const FILES = [
  file('src/App.tsx', "import { TodoList } from './components/TodoList';\nexport default function App() { return <TodoList />; }\n"),
  file(
    'src/components/TodoList.tsx',
    "import type { Todo } from '../types';\nimport { useTodos } from '../hooks/useTodos';\nexport function TodoList() { const t: Todo[] = useTodos(); return <ul>{t.length}</ul>; }\n",
  ),
  file(
    'src/hooks/useTodos.ts',
    "import type { Todo } from '../types';\nimport { load } from '../lib/storage.js';\nexport function useTodos(): Todo[] { return load(); }\n",
  ),
  file('src/types.ts', 'export interface Todo { id: string; text: string; done: boolean }\n'),
  file('src/lib/storage.ts', "import type { Todo } from '../types';\nexport const load = (): Todo[] => [];\n"),
  file('src/unrelated/Big.tsx', `export const BIG = ${JSON.stringify('lorem ipsum '.repeat(4000))};\n`),
];

describe('project context', () => {
  it('finds imports with the TypeScript scanner, type-only and .js specifiers included, transitively', () => {
    const paths = new Set(FILES.map((f) => f.path));
    expect(importsOf(FILES[2] ?? file('', ''), paths)).toEqual(['src/types.ts', 'src/lib/storage.ts']);
    expect(withImports(['src/components/TodoList.tsx'], FILES)).toEqual([
      'src/components/TodoList.tsx',
      'src/types.ts',
      'src/hooks/useTodos.ts',
      'src/lib/storage.ts',
    ]);
  });

  it('draws the file tree', () => {
    expect(fileTree(['src/b/c.ts', 'src/a.ts', 'index.html'])).toBe('index.html\nsrc/\n  a.ts\n  b/\n    c.ts');
  });

  it('a project larger than the budget still gets the phase files and their imports first, and the prompt names what was left out', () => {
    const budget = 400;
    expect(countTokens(FILES.map((f) => f.content).join(''))).toBeGreaterThan(budget * 10);
    const prompt = implementerPrompt({
      request: { kind: 'message', text: 'add a done filter', history: ['a todo app'] },
      phaseInRound: 0,
      spec: {
        name: 'Filter',
        description: 'd',
        files: [{ path: 'src/components/TodoList.tsx', purpose: 'p' }],
        installCommands: [],
        lastPhase: true,
      },
      filesToWrite: ['src/components/TodoList.tsx'],
      files: FILES,
      blueprint: null,
      userEdits: null,
      problems: [],
      budgetTokens: budget,
    });
    const user = String(prompt.messages[1]?.content);
    for (const path of ['src/components/TodoList.tsx', 'src/types.ts', 'src/hooks/useTodos.ts', 'src/lib/storage.ts'])
      expect(user).toContain(`cat > ${path} << 'LATHE_FILE_END'`);
    expect(user).not.toContain('lorem ipsum');
    expect(user).toMatch(/Left out of this prompt for space[^\n]*src\/unrelated\/Big\.tsx/);
    // Stable first, request last: the tree comes before the files, the request after them.
    expect(user.indexOf('Project files:')).toBeLessThan(user.indexOf('cat > src/'));
    expect(user.indexOf('Request: add a done filter')).toBeGreaterThan(user.indexOf('cat > src/'));
    expect(selectFiles(FILES, ['src/unrelated/Big.tsx', 'src/types.ts'], budget).omitted).toEqual(['src/unrelated/Big.tsx']);
  });

  it('the fixer sees the failing file and the module it imports, and its previous attempt', () => {
    const error = {
      source: 'tsc' as const,
      file: '/app/src/hooks/useTodos.ts',
      line: 3,
      column: 40,
      message: "Type 'string' is not assignable to type 'Todo'.",
    };
    const prompt = fixerPrompt({
      diagnostics: [error],
      files: FILES,
      blueprint: null,
      notes: [],
      previousAttempt: { paths: ['src/hooks/useTodos.ts'], errors: [error] },
      budgetTokens: 2000,
    });
    const user = String(prompt.messages[1]?.content);
    expect(user).toContain("cat > src/hooks/useTodos.ts << 'LATHE_FILE_END'");
    expect(user).toContain("cat > src/lib/storage.ts << 'LATHE_FILE_END'");
    expect(user).toContain("cat > src/types.ts << 'LATHE_FILE_END'");
    expect(user).toMatch(
      /Your previous attempt rewrote src\/hooks\/useTodos\.ts, and these errors persisted:\n- \[tsc\] \/app\/src\/hooks\/useTodos\.ts:3:40/,
    );
  });

  it('shows the user edits since the last round as unified diffs', () => {
    const before = [file('src/App.tsx', 'a\nb\nc\n'), file('src/Old.tsx', 'x\n')];
    const now = [file('src/App.tsx', 'a\nB\nc\n'), file('src/New.tsx', 'y\n')];
    const diff = editDiffs(before, now) ?? '';
    expect(diff).toContain('--- a/src/App.tsx\n+++ b/src/App.tsx');
    expect(diff).toContain('-b\n+B');
    expect(diff).toContain('--- a/src/Old.tsx\n+++ /dev/null');
    expect(diff).toContain('+++ b/src/New.tsx');
    expect(editDiffs(now, now)).toBeNull();
  });
});
