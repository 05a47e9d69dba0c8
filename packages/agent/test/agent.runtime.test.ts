import type { AgentEvent, Diagnostic } from '@lathe/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ScriptedModel, type ScriptStep, startScriptedModel } from '../src/offline/scripted';
import { phaseJson } from '../src/offline/transcripts';
import { createProject, FAST_RETRIES, type Harness, startHarness, storedFiles, type TestProject } from './helpers/harness';
import { PORTS } from './helpers/sandbox';

/**
 * Apps that compile and still fail in the browser, generated through the real product path (real
 * database, real local sandbox, the preview loaded in Chromium, the scripted model over HTTP).
 * Each bug is written the way models write it. A scripted fixer answer is used only when the
 * error the pipeline hands the fixer names the bug (`requires`), so a bug that never reaches the
 * fixer leaves the app broken; the round then has to say so instead of "Done".
 */

const fence = (answer: { path: string; content: string }[], before = "Here's the implementation.", after = '') =>
  `${before}\n\n\`\`\`bash\n${answer.map((f) => `cat > ${f.path} << 'EOF'\n${f.content}EOF\n`).join('\n')}\`\`\`\n${after ? `\n${after}\n` : ''}`;

/** A fixer that finds nothing: the answer a model gives when the error it was shown is not the bug. */
const CLUELESS: ScriptStep = {
  role: 'fixer',
  kind: 'reply',
  content: 'I looked through the files and they look correct to me; the error may come from a stale build. Try reloading the preview.',
};

const WORKING_APP = `import { useState } from 'react';

export default function App() {
  const [items, setItems] = useState<string[]>([]);
  const [text, setText] = useState('');
  return (
    <main className="mx-auto max-w-md p-8">
      <h1 className="text-2xl font-bold">Shopping list</h1>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (text.trim()) setItems([...items, text.trim()]);
          setText('');
        }}
      >
        <input aria-label="Item" value={text} onChange={(e) => setText(e.target.value)} />
        <button type="submit">Add</button>
      </form>
      <ul>
        {items.map((item) => (
          <li key={item}>{item}</li>
        ))}
      </ul>
    </main>
  );
}
`;

interface Case {
  name: string;
  /** The implementer's files. */
  files: { path: string; content: string }[];
  /** What the error handed to the fixer must contain for the fix to be given. */
  requires: string[];
  /** The fixer's files (and install lines) when it is given the error. */
  fix: { path: string; content: string }[];
  fixInstalls?: string;
  /** What the remaining diagnostics say when nothing fixes it. */
  expectMessage: RegExp;
}

const CASES: Case[] = [
  {
    name: 'a render-time throw (saved data of the wrong shape)',
    files: [
      {
        path: 'src/App.tsx',
        content: `import { useState } from 'react';

interface Item {
  id: number;
  name: string;
}

function load(): Item[] {
  // Older versions saved an object keyed by id.
  return JSON.parse(localStorage.getItem('items') ?? '{"1": {"id": 1, "name": "Milk"}}') as Item[];
}

export default function App() {
  const [items] = useState<Item[]>(load);
  return (
    <main className="p-8">
      <h1 className="text-2xl font-bold">Shopping list</h1>
      <ul>
        {items.map((item) => (
          <li key={item.id}>{item.name}</li>
        ))}
      </ul>
    </main>
  );
}
`,
      },
    ],
    requires: ['items.map is not a function'],
    fix: [{ path: 'src/App.tsx', content: WORKING_APP }],
    expectMessage: /items\.map is not a function/,
  },
  {
    name: 'an update loop (setState in a layout effect without dependencies)',
    files: [
      {
        path: 'src/App.tsx',
        content: `import { useLayoutEffect, useState } from 'react';

export default function App() {
  const [items] = useState<string[]>(['Milk', 'Bread']);
  const [sorted, setSorted] = useState<string[]>([]);
  useLayoutEffect(() => {
    setSorted([...items].sort());
  });
  return (
    <main className="p-8">
      <h1 className="text-2xl font-bold">Shopping list</h1>
      <ul>
        {sorted.map((item) => (
          <li key={item}>{item}</li>
        ))}
      </ul>
    </main>
  );
}
`,
      },
    ],
    requires: ['Maximum update depth exceeded'],
    fix: [{ path: 'src/App.tsx', content: WORKING_APP }],
    expectMessage: /Maximum update depth exceeded/,
  },
  {
    name: 'a hook used outside its provider',
    files: [
      {
        path: 'src/store/ListContext.tsx',
        content: `import { createContext, type ReactNode, useContext, useState } from 'react';

interface ListState {
  items: string[];
  add: (item: string) => void;
}

const ListContext = createContext<ListState | null>(null);

export function ListProvider({ children }: { children: ReactNode }) {
  const [items, setItems] = useState<string[]>([]);
  return <ListContext.Provider value={{ items, add: (item) => setItems((xs) => [...xs, item]) }}>{children}</ListContext.Provider>;
}

export function useList(): ListState {
  const state = useContext(ListContext);
  if (!state) throw new Error('useList must be used within a ListProvider');
  return state;
}
`,
      },
      {
        path: 'src/App.tsx',
        content: `import { useList } from './store/ListContext';

export default function App() {
  const { items, add } = useList();
  return (
    <main className="p-8">
      <h1 className="text-2xl font-bold">Shopping list</h1>
      <button type="button" onClick={() => add('Milk')}>
        Add milk
      </button>
      <ul>
        {items.map((item, i) => (
          <li key={\`\${item}-\${i}\`}>{item}</li>
        ))}
      </ul>
    </main>
  );
}
`,
      },
    ],
    requires: ['useList must be used within a ListProvider'],
    fix: [
      {
        path: 'src/App.tsx',
        content: `import { ListProvider, useList } from './store/ListContext';

function List() {
  const { items, add } = useList();
  return (
    <main className="p-8">
      <h1 className="text-2xl font-bold">Shopping list</h1>
      <button type="button" onClick={() => add('Milk')}>
        Add milk
      </button>
      <ul>
        {items.map((item, i) => (
          <li key={\`\${item}-\${i}\`}>{item}</li>
        ))}
      </ul>
    </main>
  );
}

export default function App() {
  return (
    <ListProvider>
      <List />
    </ListProvider>
  );
}
`,
      },
    ],
    expectMessage: /useList must be used within a ListProvider/,
  },
  {
    name: 'a blank page (the list renders, nothing else does)',
    files: [
      {
        path: 'src/App.tsx',
        content: `import { useState } from 'react';

export default function App() {
  const [items] = useState<string[]>(() => JSON.parse(localStorage.getItem('items') ?? '[]') as string[]);
  return (
    <div className="min-h-screen bg-white">
      {items.map((item) => (
        <p key={item}>{item}</p>
      ))}
    </div>
  );
}
`,
      },
    ],
    requires: ['The page renders nothing'],
    fix: [{ path: 'src/App.tsx', content: WORKING_APP }],
    expectMessage: /renders nothing/,
  },
  {
    name: 'a broken import path (the file was written under another name)',
    files: [
      {
        path: 'src/components/item-row.tsx',
        content: `export function ItemRow({ name }: { name: string }) {
  return <li className="py-1">{name}</li>;
}
`,
      },
      {
        path: 'src/App.tsx',
        content: `import { ItemRow } from './components/ItemRow';

export default function App() {
  return (
    <main className="p-8">
      <h1 className="text-2xl font-bold">Shopping list</h1>
      <ul>
        <ItemRow name="Milk" />
      </ul>
    </main>
  );
}
`,
      },
    ],
    requires: ["'./components/ItemRow'"],
    fix: [
      {
        path: 'src/App.tsx',
        content: `import { ItemRow } from './components/item-row';

export default function App() {
  return (
    <main className="p-8">
      <h1 className="text-2xl font-bold">Shopping list</h1>
      <ul>
        <ItemRow name="Milk" />
      </ul>
    </main>
  );
}
`,
      },
    ],
    expectMessage: /components\/ItemRow/,
  },
];

const reviews = (events: AgentEvent[]) => events.flatMap((e) => (e.type === 'review_result' ? [e.payload] : []));
const renders = (events: AgentEvent[]) => events.flatMap((e) => (e.type === 'render_checked' ? [e.payload] : []));
const messages = (events: AgentEvent[]) => events.flatMap((e) => (e.type === 'message' ? [e.payload.content] : []));
const runtime = (errors: Diagnostic[]) => errors.filter((d) => d.source === 'runtime');

describe('runtime errors through a real generation (render check in Chromium)', () => {
  let h: Harness;
  const open: { model: ScriptedModel; project: TestProject }[] = [];

  beforeAll(async () => {
    h = await startHarness([...PORTS.runtime], 'postgres', { renderCheck: true });
  });
  afterAll(async () => {
    for (const o of open) {
      await o.project.destroy();
      await o.model.close();
    }
    await h?.close();
  });

  async function generate(script: ScriptStep[], fixRounds = 1, phaseBudget = 1) {
    const model = await startScriptedModel({ script });
    const project = await createProject(h, model.url, { policy: FAST_RETRIES, fixRounds, phaseBudget });
    open.push({ model, project });
    await project.agent.generate('a shopping list');
    await project.agent.whenIdle();
    expect(project.agent.getState().lastError).toBeNull();
    expect(project.agent.getState().state).toBe('COMPLETE');
    return { model, project };
  }

  for (const c of CASES) {
    it(`${c.name}: reported to the fixer, fixed by its answer`, async () => {
      const paths = [...new Set([...c.files, ...c.fix].map((f) => f.path))];
      const { model, project } = await generate([
        { role: 'designer', kind: 'reply', content: phaseJson(paths, 'Shopping list') },
        { role: 'implementer', kind: 'reply', content: fence(c.files) },
        {
          role: 'fixer',
          kind: 'reply',
          requires: c.requires,
          content: fence(c.fix, 'Found it — here is the fix.', c.fixInstalls ?? ''),
        },
        CLUELESS,
      ]);
      const fixer = model.requests.filter((r) => r.role === 'fixer');
      expect(fixer).toHaveLength(1);
      // The scripted fix was the answer given: the fixer was handed the error (the clueless step is left).
      expect(model.remaining()).toBe(1);
      const [first, last] = [reviews(project.events)[0], reviews(project.events).at(-1)];
      expect(first?.errors.map((d) => d.message).join('\n')).toMatch(c.expectMessage);
      expect(last).toMatchObject({ errors: [], fixed: true });
      const lastRender = renders(project.events).at(-1);
      expect(lastRender).toMatchObject({ status: 'checked', blank: false, errors: [] });
      expect(lastRender?.screenshot).toMatch(/^data:image\/jpeg;base64,/);
      expect(project.agent.getState().problems ?? []).toEqual([]);
      expect(messages(project.events).at(-1)).toMatch(/^Done/);
    });
  }

  it('a render-time throw the fixer cannot find ends honestly: the error named, not "Done"', async () => {
    const c = CASES[0] as Case;
    const { project } = await generate([
      { role: 'designer', kind: 'reply', content: phaseJson(['src/App.tsx'], 'Shopping list') },
      { role: 'implementer', kind: 'reply', content: fence(c.files) },
      CLUELESS,
    ]);
    const last = reviews(project.events).at(-1);
    expect(
      runtime(last?.errors ?? [])
        .map((d) => d.message)
        .join('\n'),
    ).toMatch(c.expectMessage);
    // The throw is mapped to the generated file.
    expect(runtime(last?.errors ?? [])).toContainEqual(expect.objectContaining({ file: 'src/App.tsx' }));
    expect(renders(project.events).at(-1)).toMatchObject({ status: 'checked', blank: true });
    expect(project.agent.getState().problems?.length ?? 0).toBeGreaterThan(0);
    const ending = messages(project.events).at(-1) ?? '';
    expect(ending).toMatch(/^Finished/);
    expect(ending).toMatch(/problems? remains? after the automatic fixes/);
    expect(ending).toMatch(c.expectMessage);
  });

  it("phase 1's runtime error reaches phase 2's implementer, which fixes it in passing", async () => {
    const c = CASES[2] as Case;
    const plan = (name: string, paths: string[], lastPhase: boolean) =>
      JSON.stringify({ ...(JSON.parse(phaseJson(paths, name)) as object), lastPhase });
    const { model, project } = await generate(
      [
        { role: 'designer', kind: 'reply', content: plan('Store and list', ['src/store/ListContext.tsx', 'src/App.tsx'], false) },
        { role: 'implementer', kind: 'reply', content: fence(c.files) },
        { role: 'designer', kind: 'reply', content: plan('Polish', ['src/App.tsx'], true) },
        {
          role: 'implementer',
          kind: 'reply',
          requires: c.requires,
          content: fence(c.fix, 'Phase 2, and the provider the preview asked for.'),
        },
        { role: 'implementer', kind: 'reply', content: fence([{ path: 'src/App.tsx', content: c.files[1]?.content ?? '' }]) },
      ],
      0,
      2,
    );
    const second = model.requests.filter((r) => r.role === 'implementer')[1];
    expect(JSON.stringify(second?.messages)).toContain('The preview showed these errors after the previous phase');
    expect(model.remaining()).toBe(1);
    expect(renders(project.events).map((r) => r.phaseIndex)).toEqual([0, 1]);
    expect(renders(project.events)[0]).toMatchObject({ blank: true });
    expect(reviews(project.events).at(-1)).toMatchObject({ errors: [] });
  });

  it('a bare import of a package that package.json lacks is installed before any model is asked, and renders', async () => {
    const app = `import { formatDistanceToNow } from 'date-fns';

const added = new Date(Date.now() - 3 * 60 * 1000);

export default function App() {
  return (
    <main className="p-8">
      <h1 className="text-2xl font-bold">Shopping list</h1>
      <p>Milk, added {formatDistanceToNow(added)} ago</p>
    </main>
  );
}
`;
    const { model, project } = await generate([
      { role: 'designer', kind: 'reply', content: phaseJson(['src/App.tsx'], 'Shopping list') },
      { role: 'implementer', kind: 'reply', content: fence([{ path: 'src/App.tsx', content: app }]) },
      CLUELESS,
    ]);
    expect(model.requests.filter((r) => r.role === 'fixer')).toHaveLength(0);
    const manifest = JSON.parse((await storedFiles(h, project.projectId)).get('package.json') ?? '{}') as {
      dependencies?: Record<string, string>;
    };
    // Only the missing package is added; the template's own dependencies stay as they were.
    expect(Object.keys(manifest.dependencies ?? {}).sort()).toEqual(['clsx', 'date-fns', 'lucide-react', 'react', 'react-dom']);
    expect(manifest.dependencies?.react).toBe('19.3.1');
    expect(project.events.flatMap((e) => (e.type === 'deps_installed' ? e.payload.packages : []))).toEqual(['date-fns']);
    expect(reviews(project.events).at(-1)).toMatchObject({ errors: [] });
    expect(renders(project.events).at(-1)).toMatchObject({ status: 'checked', blank: false, errors: [] });
  });

  it('an import of a package the registry does not know is reported with a usable message, not "Done"', async () => {
    const app = `import { Sparkle } from '@lathe-test-nonexistent/sparkles';

export default function App() {
  return (
    <main className="p-8">
      <h1 className="text-2xl font-bold">Shopping list</h1>
      <Sparkle />
    </main>
  );
}
`;
    const { project } = await generate([
      { role: 'designer', kind: 'reply', content: phaseJson(['src/App.tsx'], 'Shopping list') },
      { role: 'implementer', kind: 'reply', content: fence([{ path: 'src/App.tsx', content: app }]) },
      CLUELESS,
    ]);
    const errors = reviews(project.events).at(-1)?.errors ?? [];
    expect(errors.map((d) => d.message).join('\n')).toMatch(/@lathe-test-nonexistent\/sparkles/);
    expect(messages(project.events).at(-1)).toMatch(/^Finished/);
  });

  it('a fixer answer that installs a React library after the server started: the next load renders at once', async () => {
    const broken = `import { useState } from 'react';

export default function App() {
  const [saved, setSaved] = useState(false);
  return (
    <main className="p-8">
      <h1 className="text-2xl font-bold">Shopping list</h1>
      <button type="button" onClick={() => setSaved(true)}>Save</button>
      {saved && <Toast />}
    </main>
  );
}
`;
    const fixed = `import toast, { Toaster } from 'react-hot-toast';

export default function App() {
  return (
    <main className="p-8">
      <Toaster />
      <h1 className="text-2xl font-bold">Shopping list</h1>
      <button type="button" onClick={() => toast.success('Saved')}>
        Save
      </button>
    </main>
  );
}
`;
    const { model, project } = await generate([
      { role: 'designer', kind: 'reply', content: phaseJson(['src/App.tsx'], 'Shopping list') },
      { role: 'implementer', kind: 'reply', content: fence([{ path: 'src/App.tsx', content: broken }]) },
      {
        role: 'fixer',
        kind: 'reply',
        requires: ["Cannot find name 'Toast'"],
        content: `\`Toast\` was never defined. I'll use react-hot-toast for the notification instead:\n\n\`\`\`bash\nnpm install react-hot-toast\n\`\`\`\n\n${fence([{ path: 'src/App.tsx', content: fixed }], 'And the updated component:')}`,
      },
      CLUELESS,
    ]);
    expect(model.remaining()).toBe(1);
    expect((await storedFiles(h, project.projectId)).get('package.json')).toContain('react-hot-toast');
    // The first load after the install (the review's render check) renders: no stale-React blank page.
    expect(reviews(project.events).at(-1)).toMatchObject({ errors: [], fixed: true });
    expect(renders(project.events).at(-1)).toMatchObject({ status: 'checked', blank: false, errors: [] });
  });
});
