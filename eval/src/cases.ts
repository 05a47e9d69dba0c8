import type { ScriptStep } from '@lathe/agent';
import { APPS, type AppFile, fileOf, patch, withFile } from './apps';
import { all, CHECKS, expectText } from './checks';
import type { EvalCase } from './harness';

/**
 * The offline corpus: scripted transcripts written the way real models answer (Claude, GPT,
 * Gemini, Qwen and DeepSeek habits), run through the real pipeline. Fixer answers carry
 * `requires`: they are given only when the request really contains the error, so a bug that
 * never reaches the fixer stays in the app and the case fails.
 */

interface Plan {
  name: string;
  description: string;
  files: { path: string; purpose: string }[];
  installCommands: string[];
  lastPhase: boolean;
}

const plan = (name: string, files: AppFile[], lastPhase = true): Plan => ({
  name,
  description: `${name}: the whole app in one phase.`,
  files: files.map((f) => ({ path: f.path, purpose: f.path.includes('types') ? 'shared types' : 'app code' })),
  installCommands: [],
  lastPhase,
});

// Plan styles.
const claudePlan = (p: Plan) =>
  `I'll build this in one phase, since the app is small.\n\n\`\`\`json\n${JSON.stringify(p, null, 2)}\n\`\`\`\n\nThis gives a working app right away. Let me know if you'd like persistence!`;
const rawPlan = (p: Plan) => JSON.stringify(p);
const thinkPlan = (p: Plan) =>
  `<think>\nThe user wants ${p.name.toLowerCase()}. State shape could be {items: []}. Files: {${p.files.map((f) => f.path).join(', ')}}.\n</think>\n\n{\n  // one phase is enough\n  "name": ${JSON.stringify(p.name)},\n  "description": ${JSON.stringify(p.description)},\n  "files": [${p.files.map((f) => JSON.stringify(f.path)).join(', ')},],\n}`;

// File styles.
const heredoc = (f: AppFile, marker = 'EOF') => `cat > ${f.path} << '${marker}'\n${f.content}${marker}\n`;
const bash = (files: AppFile[], before = "Here's the implementation.", after = 'Each component keeps its own props typed.') =>
  `${before}\n\n\`\`\`bash\n${files.map((f) => heredoc(f)).join('\n')}\`\`\`\n\n${after}\n`;
const bare = (files: AppFile[]) => files.map((f) => `# ${f.path}\n${heredoc(f)}`).join('\n');
const headings = (files: AppFile[]) =>
  `Sure! Here's the app.\n\n${files.map((f) => `**${f.path}**\n\`\`\`tsx\n${f.content}\`\`\`\n`).join('\n')}\nRun it and try it out.`;
const infoStrings = (files: AppFile[]) =>
  `Here are the files:\n\n${files.map((f) => `\`\`\`${f.path.endsWith('.tsx') ? 'tsx' : 'ts'} ${f.path}\n${f.content}\`\`\`\n`).join('\n')}`;

const designer = (content: string, extra: Partial<ScriptStep> = {}): ScriptStep =>
  ({ role: 'designer', kind: 'reply', content, ...extra }) as ScriptStep;
const implementer = (content: string, extra: Partial<ScriptStep> = {}): ScriptStep =>
  ({ role: 'implementer', kind: 'reply', content, ...extra }) as ScriptStep;
const fixer = (requires: string[], files: AppFile[], before = 'Found it — here is the fix.'): ScriptStep => ({
  role: 'fixer',
  kind: 'reply',
  requires,
  content: bash(files, before, 'That should resolve the error.'),
});

/** A one-phase generation of `files`, plan and files in the given styles. */
const oneShot = (name: string, files: AppFile[], planStyle: (p: Plan) => string, fileStyle: (f: AppFile[]) => string): ScriptStep[] => [
  designer(planStyle(plan(name, files))),
  implementer(fileStyle(files)),
];

const A = APPS;

// ---------- Clean answers in many formats (the pipeline should accept them all) ----------

const formatCases: EvalCase[] = [
  {
    name: 'todo-claude-fenced',
    prompt: 'a todo list',
    about:
      'Claude style: the plan in a ```json fence with prose around it, heredocs inside a ```bash fence; four files sharing a Todo type.',
    script: oneShot('Todo list', A.todo, claudePlan, bash),
    check: CHECKS.todo,
  },
  {
    name: 'calculator-gpt-headings',
    prompt: 'a calculator',
    about: 'GPT style: a bare JSON plan, files as fenced code under **path** headings.',
    script: oneShot('Calculator', A.calculator, rawPlan, headings),
    check: CHECKS.calculator,
  },
  {
    name: 'pomodoro-gemini-infostrings',
    prompt: 'a pomodoro timer',
    about: 'Gemini style: files as ```tsx path fences; a custom hook and a formatter module.',
    script: oneShot('Pomodoro timer', A.pomodoro, claudePlan, infoStrings),
    check: CHECKS.timer,
  },
  {
    name: 'notes-qwen-think',
    prompt: 'markdown notes',
    about: 'Qwen style: a <think> block full of braces, a plan with comments, trailing commas and a plain file list; unfenced heredocs.',
    script: oneShot('Markdown notes', A.notes, thinkPlan, bare),
    check: CHECKS.notes,
  },
  {
    name: 'expenses-deepseek-reasoning',
    prompt: 'an expense tracker with a chart',
    about: 'DeepSeek style: reasoning_content streamed before the answer (with a heredoc inside it that must not be written).',
    script: [
      designer(rawPlan(plan('Expense tracker', A.expenses)), { reasoning: 'Types first: Expense {id, label, amount, category}.' }),
      implementer(bash(A.expenses), { reasoning: "cat > src/evil.ts << 'EOF'\nonly thinking\nEOF\n" }),
    ],
    check: CHECKS.expenses,
  },
  {
    name: 'tictactoe-truncated-continued',
    prompt: 'tic-tac-toe',
    about: 'An answer cut at the token limit (finish_reason length) inside Board.tsx; the continuation repeats the cut line.',
    script: (() => {
      const whole = bash(A.tictactoe);
      const cut = whole.indexOf('grid-cols-3') + 5;
      const first = whole.slice(0, cut);
      return [
        designer(claudePlan(plan('Tic-tac-toe', A.tictactoe))),
        implementer(first, { finishReason: 'length' }),
        implementer(whole.slice(first.lastIndexOf('\n') + 1)),
      ];
    })(),
    check: CHECKS.tictactoe,
  },
  {
    name: 'kanban-blueprint-two-phases',
    prompt: 'a kanban board',
    about: 'A blueprint with the first phase (types and column), then a second phase that sees phase 1 and writes the board.',
    script: (() => {
      const phase1 = A.kanban.filter((f) => f.path !== 'src/App.tsx');
      const app = A.kanban.filter((f) => f.path === 'src/App.tsx');
      const blueprint = {
        title: 'Kanban',
        description: 'A three-column board.',
        style: { palette: ['#4f46e5 accent'], typography: 'system sans', layout: 'columns' },
        views: [{ name: 'Board', description: 'columns of cards' }],
        components: ['Column'],
        dataModel: 'Card { id, title, column }',
        roadmap: [
          { name: 'Model', description: 'types and column' },
          { name: 'Board', description: 'the board' },
        ],
      };
      return [
        designer(`Here is the plan.\n\n\`\`\`json\n${JSON.stringify({ blueprint, phase: plan('Model', phase1, false) })}\n\`\`\``),
        implementer(bash(phase1)),
        designer(rawPlan(plan('Board', app, true))),
        implementer(bash(app)),
      ];
    })(),
    check: CHECKS.kanban,
  },
  {
    name: 'quiz-file-left-out',
    prompt: 'a quiz',
    about: 'The implementer leaves out the questions file ("straightforward"); Lathe asks for it by name and gets it.',
    script: [
      designer(claudePlan(plan('Quiz', A.quiz))),
      implementer(
        `${bash(A.quiz.filter((f) => !f.path.includes('data/')))}\nThe questions file is straightforward: an array of Question objects.`,
      ),
      implementer(`Sorry about that! Here it is:\n\n${heredoc(A.quiz.find((f) => f.path.includes('data/')) as AppFile)}`),
    ],
    check: CHECKS.quiz,
  },
  {
    name: 'habits-elision-placeholder',
    prompt: 'a habit tracker',
    about: 'A file with a "... rest unchanged ..." placeholder is refused; the model sends it complete when told.',
    script: (() => {
      const app = fileOf(A.habits, 'src/App.tsx');
      const elided = patch(
        app,
        app.slice(app.indexOf('      <ul'), app.indexOf('      <p>')),
        '      {/* ... rest of the list unchanged ... */}\n',
      );
      return [
        designer(rawPlan(plan('Habit tracker', A.habits))),
        implementer(bash(withFile(A.habits, 'src/App.tsx', elided))),
        implementer(heredoc({ path: 'src/App.tsx', content: app })),
      ];
    })(),
    check: CHECKS.habits,
  },
  {
    name: 'counter-followup-search-replace',
    prompt: 'a counter with a step',
    followUps: ['call the button Plus and start with step 5'],
    about: 'A follow-up answered with SEARCH/REPLACE edit blocks in two files.',
    script: [
      designer(claudePlan(plan('Counter', A.counter))),
      implementer(bash(A.counter)),
      designer(rawPlan({ ...plan('Tweaks', A.counter), description: 'Rename the button; step 5.' })),
      implementer(
        [
          "I'll make both changes.",
          '',
          'src/App.tsx',
          '<<<<<<< SEARCH',
          '          Add {state.step}',
          '=======',
          '          Plus {state.step}',
          '>>>>>>> REPLACE',
          '',
          'src/types.ts',
          '<<<<<<< SEARCH',
          'export const initialState: CounterState = { count: 0, step: 1 };',
          '=======',
          'export const initialState: CounterState = { count: 0, step: 5 };',
          '>>>>>>> REPLACE',
          '',
        ].join('\n'),
      ),
    ],
    check: all(CHECKS.counter, (page) => expectText(page, 'Plus 5', 'the follow-up did not rename the button to "Plus 5"')),
  },
  {
    name: 'todo-followup-new-feature',
    prompt: 'a todo list',
    followUps: ['add a "Clear completed" button'],
    about: 'A follow-up that edits App.tsx with a SEARCH/REPLACE block and adds a component file.',
    script: [
      designer(claudePlan(plan('Todo list', A.todo))),
      implementer(bash(A.todo)),
      designer(
        rawPlan({
          ...plan('Clear completed', [
            { path: 'src/components/ClearButton.tsx', content: '' },
            { path: 'src/App.tsx', content: '' },
          ]),
        }),
      ),
      implementer(
        `Adding the button:\n\n${heredoc({
          path: 'src/components/ClearButton.tsx',
          content: `export function ClearButton({ onClear }: { onClear: () => void }) {\n  return (\n    <button type="button" className="text-sm text-rose-600" onClick={onClear}>\n      Clear completed\n    </button>\n  );\n}\n`,
        })}\nsrc/App.tsx\n<<<<<<< SEARCH\nimport { TodoList } from './components/TodoList';\n=======\nimport { ClearButton } from './components/ClearButton';\nimport { TodoList } from './components/TodoList';\n>>>>>>> REPLACE\n\nsrc/App.tsx\n<<<<<<< SEARCH\n      <p className="text-sm text-slate-500">{todos.filter((t) => !t.done).length} left</p>\n=======\n      <p className="text-sm text-slate-500">{todos.filter((t) => !t.done).length} left</p>\n      <ClearButton onClear={() => setTodos((ts) => ts.filter((t) => !t.done))} />\n>>>>>>> REPLACE\n`,
      ),
    ],
    check: all(CHECKS.todo, (page) => expectText(page, 'Clear completed', 'the follow-up did not add "Clear completed"')),
  },
  {
    name: 'chat-protected-vite-config',
    prompt: 'a chat UI',
    about: 'The answer also rewrites vite.config.ts (refused: Lathe manages it); the app files are kept.',
    script: [
      designer(claudePlan(plan('Chat', A.chat))),
      implementer(
        `${bash(A.chat)}\nI also added a path alias:\n\n${heredoc({ path: 'vite.config.ts', content: "import { defineConfig } from 'vite';\nexport default defineConfig({ resolve: { alias: { '@': '/src' } } });\n" })}`,
      ),
    ],
    check: CHECKS.chat,
  },
  {
    name: 'expenses-markdown-prose',
    prompt: 'an expense tracker with a chart',
    about: 'A long markdown answer: headings, numbered steps, a sentence starting "npm install", files under **path** headings.',
    script: [
      designer(claudePlan(plan('Expense tracker', A.expenses))),
      implementer(
        `## Overview\n\n1. Types in \`src/types.ts\`\n2. A form and an SVG chart\n3. The page\n\nnpm install will pick these up automatically, nothing else is needed.\n\n${headings(A.expenses)}\n\n### Next steps\n\n- Persist to localStorage\n- Add date filters`,
      ),
    ],
    check: CHECKS.expenses,
  },
  {
    name: 'calculator-marker-spaces',
    prompt: 'a calculator',
    about: 'Heredoc end markers with trailing spaces and a <think> preamble in the content.',
    script: [
      designer(thinkPlan(plan('Calculator', A.calculator))),
      implementer(
        `<think>\nKeypad gets callbacks; compute is pure.\n</think>\n\n${A.calculator.map((f) => heredoc(f).replace(/EOF\n$/, 'EOF  \n')).join('\n')}`,
      ),
    ],
    check: CHECKS.calculator,
  },
  {
    name: 'notes-model-package-json',
    prompt: 'markdown notes',
    about: 'The model writes its own package.json (other scripts, an old React); only new dependencies would be merged.',
    script: [
      designer(rawPlan(plan('Markdown notes', A.notes))),
      implementer(
        `${bash(A.notes)}\n**package.json**\n\`\`\`json\n${JSON.stringify({ name: 'notes', scripts: { dev: 'vite --port 9999' }, dependencies: { react: '^18.0.0' } }, null, 2)}\n\`\`\`\n`,
      ),
    ],
    check: CHECKS.notes,
  },
  {
    name: 'quiz-typescript-fences',
    prompt: 'a quiz',
    about: 'Files as ```typescript fences under **`path`** headings (backticks in the heading), with prose between them.',
    script: [
      designer(claudePlan(plan('Quiz', A.quiz))),
      implementer(
        `Let's go file by file.\n\n${A.quiz.map((f) => `**\`${f.path}\`**\n\nThis file holds part of the quiz.\n\n\`\`\`typescript\n${f.content}\`\`\`\n`).join('\n')}`,
      ),
    ],
    check: CHECKS.quiz,
  },
];

// ---------- Bugs the pipeline has to find and hand to the fixer ----------

const todoTextBug = withFile(
  A.todo,
  'src/components/TodoList.tsx',
  patch(fileOf(A.todo, 'src/components/TodoList.tsx'), '{t.title}</span>', '{t.text}</span>'),
);
const throwsOnLoad = patch(
  fileOf(A.todo, 'src/App.tsx'),
  'useState<Todo[]>([])',
  'useState<Todo[]>(() => JSON.parse(localStorage.getItem(\'todos\') ?? \'{"1": {"id": 1}}\') as Todo[])',
);

const fixCases: EvalCase[] = [
  {
    name: 'todo-cross-file-type-mismatch',
    prompt: 'a todo list',
    about: 'TodoList reads `t.text` but the shared Todo type has `title` (a cross-file type mismatch tsc reports).',
    script: [
      ...oneShot('Todo list', todoTextBug, claudePlan, bash),
      fixer(
        ["Property 'text' does not exist on type 'Todo'"],
        [{ path: 'src/components/TodoList.tsx', content: fileOf(A.todo, 'src/components/TodoList.tsx') }],
      ),
    ],
    check: CHECKS.todo,
  },
  {
    name: 'calculator-argument-type',
    prompt: 'a calculator',
    about: 'App passes the display string where compute() takes a number.',
    script: [
      ...oneShot(
        'Calculator',
        withFile(
          A.calculator,
          'src/App.tsx',
          patch(fileOf(A.calculator, 'src/App.tsx'), 'compute(acc, op, Number(display))', 'compute(acc, op, display)'),
        ),
        rawPlan,
        headings,
      ),
      fixer(
        ["Argument of type 'string' is not assignable to parameter of type 'number'"],
        [{ path: 'src/App.tsx', content: fileOf(A.calculator, 'src/App.tsx') }],
      ),
    ],
    check: CHECKS.calculator,
  },
  {
    name: 'tictactoe-missing-export',
    prompt: 'tic-tac-toe',
    about: 'App imports `calculateWinner`, the lib exports `winner`.',
    script: [
      ...oneShot(
        'Tic-tac-toe',
        withFile(
          A.tictactoe,
          'src/App.tsx',
          patch(
            patch(fileOf(A.tictactoe, 'src/App.tsx'), 'type Player, winner }', 'type Player, calculateWinner }'),
            'const won = winner(cells)',
            'const won = calculateWinner(cells)',
          ),
        ),
        claudePlan,
        infoStrings,
      ),
      fixer(["has no exported member 'calculateWinner'"], [{ path: 'src/App.tsx', content: fileOf(A.tictactoe, 'src/App.tsx') }]),
    ],
    check: CHECKS.tictactoe,
  },
  {
    name: 'chat-undefined-component',
    prompt: 'a chat UI',
    about: 'MessageList uses an <Avatar> component nobody wrote.',
    script: [
      ...oneShot(
        'Chat',
        withFile(
          A.chat,
          'src/components/MessageList.tsx',
          patch(
            fileOf(A.chat, 'src/components/MessageList.tsx'),
            '<span className={',
            '<Avatar author={m.author} />\n          <span className={',
          ),
        ),
        claudePlan,
        bash,
      ),
      fixer(
        ["Cannot find name 'Avatar'"],
        [{ path: 'src/components/MessageList.tsx', content: fileOf(A.chat, 'src/components/MessageList.tsx') }],
      ),
    ],
    check: CHECKS.chat,
  },
  {
    name: 'notes-missing-provider',
    prompt: 'markdown notes',
    about: 'App renders NotesPage without the NotesProvider: a render-time throw only the browser sees.',
    script: [
      ...oneShot(
        'Markdown notes',
        withFile(
          A.notes,
          'src/App.tsx',
          "import { NotesPage } from './components/NotesPage';\n\nexport default function App() {\n  return <NotesPage />;\n}\n",
        ),
        claudePlan,
        bash,
      ),
      fixer(['useNotes must be used within a NotesProvider'], [{ path: 'src/App.tsx', content: fileOf(A.notes, 'src/App.tsx') }]),
    ],
    check: CHECKS.notes,
  },
  {
    name: 'pomodoro-update-loop',
    prompt: 'a pomodoro timer',
    about: 'A layout effect without dependencies sets state on every render: "Maximum update depth exceeded".',
    script: [
      ...oneShot(
        'Pomodoro timer',
        withFile(
          A.pomodoro,
          'src/App.tsx',
          patch(
            patch(
              fileOf(A.pomodoro, 'src/App.tsx'),
              'import { useCountdown }',
              "import { useLayoutEffect, useState } from 'react';\nimport { useCountdown }",
            ),
            '  const timer = useCountdown(25 * 60);\n',
            '  const timer = useCountdown(25 * 60);\n  const [, setTitle] = useState(0);\n  useLayoutEffect(() => {\n    setTitle((n) => n + 1);\n  });\n',
          ),
        ),
        rawPlan,
        bash,
      ),
      fixer(['Maximum update depth exceeded'], [{ path: 'src/App.tsx', content: fileOf(A.pomodoro, 'src/App.tsx') }]),
    ],
    check: CHECKS.timer,
  },
  {
    name: 'expenses-broken-import-path',
    prompt: 'an expense tracker with a chart',
    about: 'App imports ./components/expenseChart; the file is ExpenseChart.tsx (fine on macOS, broken on Linux).',
    script: [
      ...oneShot(
        'Expense tracker',
        withFile(
          A.expenses,
          'src/App.tsx',
          patch(fileOf(A.expenses, 'src/App.tsx'), "'./components/ExpenseChart'", "'./components/expenseChart'"),
        ),
        claudePlan,
        bash,
      ),
      fixer(["'./components/expenseChart'"], [{ path: 'src/App.tsx', content: fileOf(A.expenses, 'src/App.tsx') }]),
    ],
    check: CHECKS.expenses,
  },
  {
    name: 'habits-blank-page',
    prompt: 'a habit tracker',
    about: 'The first version renders only the (empty) list: a blank page with no error at all.',
    script: [
      ...oneShot(
        'Habit tracker',
        withFile(
          A.habits,
          'src/App.tsx',
          "import { useState } from 'react';\nimport { HabitRow } from './components/HabitRow';\nimport type { Habit } from './types';\n\nexport default function App() {\n  const [habits, setHabits] = useState<Habit[]>([]);\n  return (\n    <ul>\n      {habits.map((h) => (\n        <HabitRow key={h.id} habit={h} onToggle={() => setHabits(habits.filter((x) => x.id !== h.id))} />\n      ))}\n    </ul>\n  );\n}\n",
        ),
        rawPlan,
        bash,
      ),
      fixer(['The page renders nothing'], [{ path: 'src/App.tsx', content: fileOf(A.habits, 'src/App.tsx') }]),
    ],
    check: CHECKS.habits,
  },
  {
    name: 'kanban-saved-data-shape',
    prompt: 'a kanban board',
    about: 'Cards loaded from localStorage in an older shape: "cards.filter is not a function" at render.',
    script: [
      ...oneShot(
        'Kanban board',
        withFile(
          A.kanban,
          'src/App.tsx',
          patch(
            fileOf(A.kanban, 'src/App.tsx'),
            'useState<Card[]>([])',
            "useState<Card[]>(() => JSON.parse(localStorage.getItem('cards') ?? '{\"todo\": []}') as Card[])",
          ),
        ),
        claudePlan,
        bash,
      ),
      fixer(['cards.filter is not a function'], [{ path: 'src/App.tsx', content: fileOf(A.kanban, 'src/App.tsx') }]),
    ],
    check: CHECKS.kanban,
  },
  {
    name: 'quiz-unknown-package',
    prompt: 'a quiz',
    about: 'The model imports a package that does not exist (@lathe-eval-nonexistent/confetti); the fixer drops it.',
    script: [
      ...oneShot(
        'Quiz',
        withFile(
          A.quiz,
          'src/App.tsx',
          patch(
            patch(
              fileOf(A.quiz, 'src/App.tsx'),
              "import { useState } from 'react';",
              "import { Confetti } from '@lathe-eval-nonexistent/confetti';\nimport { useState } from 'react';",
            ),
            '      {feedback && ',
            '      {score > 2 && <Confetti />}\n      {feedback && ',
          ),
        ),
        claudePlan,
        bash,
      ),
      fixer(
        ['@lathe-eval-nonexistent/confetti'],
        [{ path: 'src/App.tsx', content: fileOf(A.quiz, 'src/App.tsx') }],
        'That package does not exist; I removed it.',
      ),
    ],
    check: CHECKS.quiz,
  },
  {
    name: 'todo-two-fix-rounds',
    prompt: 'a todo list',
    about: 'A tsc error whose fix brings a render-time throw; the second fix round must see the new error.',
    script: [
      ...oneShot('Todo list', withFile(todoTextBug, 'src/App.tsx', throwsOnLoad), claudePlan, bash),
      fixer(
        ["Property 'text' does not exist on type 'Todo'"],
        [{ path: 'src/components/TodoList.tsx', content: fileOf(A.todo, 'src/components/TodoList.tsx') }],
      ),
      fixer(
        ['todos.filter is not a function'],
        [{ path: 'src/App.tsx', content: fileOf(A.todo, 'src/App.tsx') }],
        'The saved data had another shape; start empty.',
      ),
    ],
    check: CHECKS.todo,
  },
  {
    name: 'notes-error-carried-to-phase-2',
    prompt: 'markdown notes',
    about: "Phase 1 renders without the provider; phase 2's implementer is shown the preview error and fixes it in passing.",
    script: [
      designer(rawPlan(plan('Notes store and page', A.notes, false))),
      implementer(
        bash(
          withFile(
            A.notes,
            'src/App.tsx',
            "import { NotesPage } from './components/NotesPage';\n\nexport default function App() {\n  return <NotesPage />;\n}\n",
          ),
        ),
      ),
      designer(rawPlan(plan('Polish', [{ path: 'src/App.tsx', content: '' }], true))),
      implementer(
        bash([{ path: 'src/App.tsx', content: fileOf(A.notes, 'src/App.tsx') }], 'Phase 2, with the provider the preview asked for.'),
        {
          requires: ['The preview showed these errors', 'useNotes must be used within a NotesProvider'],
        },
      ),
    ],
    check: CHECKS.notes,
  },
];

// ---------- Intentionally hard: Lathe cannot see these (informative failures) ----------

const hardCases: EvalCase[] = [
  {
    name: 'hard-todo-click-time-throw',
    prompt: 'a todo list',
    hard: 'the app renders cleanly and only throws when Add is clicked; the render check does not click, so the error never reaches the fixer.',
    about: 'Adding a todo reads saved preferences that are not there: a TypeError on click.',
    script: [
      ...oneShot(
        'Todo list',
        withFile(
          A.todo,
          'src/App.tsx',
          patch(
            fileOf(A.todo, 'src/App.tsx'),
            'onAdd={(title) => setTodos(',
            "onAdd={(title) => (JSON.parse(localStorage.getItem('prefs') as string) as { sort: string }).sort && setTodos(",
          ),
        ),
        claudePlan,
        bash,
      ),
      fixer(["Cannot read properties of null (reading 'sort')"], A.todo),
    ],
    check: CHECKS.todo,
  },
  {
    name: 'hard-calculator-wrong-result',
    prompt: 'a calculator',
    hard: 'no error anywhere: × adds instead of multiplying; only the behaviour check sees 15 instead of 36.',
    about: 'A copy-paste slip in compute().',
    script: oneShot(
      'Calculator',
      withFile(
        A.calculator,
        'src/lib/calc.ts',
        patch(fileOf(A.calculator, 'src/lib/calc.ts'), "case '×':\n      return a * b;", "case '×':\n      return a + b;"),
      ),
      rawPlan,
      headings,
    ),
    check: CHECKS.calculator,
  },
  {
    name: 'hard-pomodoro-never-ticks',
    prompt: 'a pomodoro timer',
    hard: 'the interval is only set up on mount, before Start; nothing errors, the clock never moves.',
    about: 'A stale effect dependency list.',
    script: oneShot(
      'Pomodoro timer',
      withFile(
        A.pomodoro,
        'src/hooks/useCountdown.ts',
        patch(
          fileOf(A.pomodoro, 'src/hooks/useCountdown.ts'),
          '  }, [running]);',
          '    // eslint-disable-next-line react-hooks/exhaustive-deps\n  }, []);',
        ),
      ),
      claudePlan,
      bash,
    ),
    check: CHECKS.timer,
  },
  {
    name: 'hard-kanban-fixer-misses',
    prompt: 'a kanban board',
    hard: 'the fixer is shown the error but its answers do not fix it (as weak models do); two rounds, still broken.',
    about: 'The render-time throw of kanban-saved-data-shape, with a fixer that edits the wrong file.',
    script: [
      ...oneShot(
        'Kanban board',
        withFile(
          A.kanban,
          'src/App.tsx',
          patch(
            fileOf(A.kanban, 'src/App.tsx'),
            'useState<Card[]>([])',
            "useState<Card[]>(() => JSON.parse(localStorage.getItem('cards') ?? '{\"todo\": []}') as Card[])",
          ),
        ),
        claudePlan,
        bash,
      ),
      fixer(
        ['cards.filter is not a function'],
        [{ path: 'src/components/Column.tsx', content: fileOf(A.kanban, 'src/components/Column.tsx') }],
        'Column should guard against missing cards.',
      ),
      fixer(
        ['cards.filter is not a function'],
        [{ path: 'src/types.ts', content: fileOf(A.kanban, 'src/types.ts') }],
        'Maybe the types are off.',
      ),
    ],
    check: CHECKS.kanban,
  },
];

export const OFFLINE_CASES: EvalCase[] = [...formatCases, ...fixCases, ...hardCases];

/** The smoke subset `npm test` runs: one case that passes, one whose failure must be reported. */
export const SMOKE_CASES = ['todo-claude-fenced', 'hard-calculator-wrong-result'];
