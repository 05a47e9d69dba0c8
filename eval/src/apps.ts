/**
 * Working multi-file apps with shared types, the way a good model writes them. The offline
 * corpus (cases.ts) sends them in different model styles and with bugs injected; the behaviour
 * checks (checks.ts) are written against any app of the kind, not against these sources.
 */

export interface AppFile {
  path: string;
  content: string;
}

export type AppKind =
  | 'todo'
  | 'calculator'
  | 'pomodoro'
  | 'notes'
  | 'expenses'
  | 'tictactoe'
  | 'quiz'
  | 'habits'
  | 'kanban'
  | 'counter'
  | 'chat';

const TODO: AppFile[] = [
  {
    path: 'src/types.ts',
    content: `export interface Todo {
  id: number;
  title: string;
  done: boolean;
}
`,
  },
  {
    path: 'src/components/TodoForm.tsx',
    content: `import { useState } from 'react';

export function TodoForm({ onAdd }: { onAdd: (title: string) => void }) {
  const [title, setTitle] = useState('');
  return (
    <form
      className="flex gap-2"
      onSubmit={(e) => {
        e.preventDefault();
        if (!title.trim()) return;
        onAdd(title.trim());
        setTitle('');
      }}
    >
      <input
        aria-label="New todo"
        placeholder="What needs doing?"
        className="flex-1 rounded border px-3 py-2"
        value={title}
        onChange={(e) => setTitle(e.target.value)}
      />
      <button type="submit" className="rounded bg-indigo-600 px-4 py-2 text-white">
        Add
      </button>
    </form>
  );
}
`,
  },
  {
    path: 'src/components/TodoList.tsx',
    content: `import type { Todo } from '../types';

export function TodoList({ todos, onToggle }: { todos: Todo[]; onToggle: (id: number) => void }) {
  if (todos.length === 0) return <p className="text-slate-500">Nothing to do yet.</p>;
  return (
    <ul className="divide-y">
      {todos.map((t) => (
        <li key={t.id} className="flex items-center gap-2 py-2">
          <input type="checkbox" aria-label={'Done: ' + t.title} checked={t.done} onChange={() => onToggle(t.id)} />
          <span className={t.done ? 'text-slate-400 line-through' : ''}>{t.title}</span>
        </li>
      ))}
    </ul>
  );
}
`,
  },
  {
    path: 'src/App.tsx',
    content: `import { useState } from 'react';
import { TodoForm } from './components/TodoForm';
import { TodoList } from './components/TodoList';
import type { Todo } from './types';

export default function App() {
  const [todos, setTodos] = useState<Todo[]>([]);
  return (
    <main className="mx-auto max-w-md space-y-4 p-8">
      <h1 className="text-2xl font-bold">Todos</h1>
      <TodoForm onAdd={(title) => setTodos((ts) => [...ts, { id: Date.now(), title, done: false }])} />
      <TodoList todos={todos} onToggle={(id) => setTodos((ts) => ts.map((t) => (t.id === id ? { ...t, done: !t.done } : t)))} />
      <p className="text-sm text-slate-500">{todos.filter((t) => !t.done).length} left</p>
    </main>
  );
}
`,
  },
];

const CALCULATOR: AppFile[] = [
  {
    path: 'src/lib/calc.ts',
    content: `export type Op = '+' | '-' | '×' | '÷';

export const OPS: Op[] = ['+', '-', '×', '÷'];

export function compute(a: number, op: Op, b: number): number {
  switch (op) {
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '×':
      return a * b;
    case '÷':
      return b === 0 ? Number.NaN : a / b;
  }
}
`,
  },
  {
    path: 'src/components/Keypad.tsx',
    content: `import { type Op, OPS } from '../lib/calc';

const DIGITS = ['7', '8', '9', '4', '5', '6', '1', '2', '3', '0'];

interface KeypadProps {
  onDigit: (digit: string) => void;
  onOp: (op: Op) => void;
  onEquals: () => void;
  onClear: () => void;
}

export function Keypad({ onDigit, onOp, onEquals, onClear }: KeypadProps) {
  return (
    <div className="grid grid-cols-4 gap-2">
      {DIGITS.map((d) => (
        <button key={d} type="button" className="rounded bg-slate-200 p-3 text-lg" onClick={() => onDigit(d)}>
          {d}
        </button>
      ))}
      {OPS.map((o) => (
        <button key={o} type="button" className="rounded bg-amber-400 p-3 text-lg" onClick={() => onOp(o)}>
          {o}
        </button>
      ))}
      <button type="button" className="rounded bg-indigo-600 p-3 text-lg text-white" onClick={onEquals}>
        =
      </button>
      <button type="button" className="rounded bg-slate-400 p-3 text-lg" onClick={onClear}>
        C
      </button>
    </div>
  );
}
`,
  },
  {
    path: 'src/App.tsx',
    content: `import { useState } from 'react';
import { Keypad } from './components/Keypad';
import { compute, type Op } from './lib/calc';

export default function App() {
  const [display, setDisplay] = useState('0');
  const [acc, setAcc] = useState<number | null>(null);
  const [op, setOp] = useState<Op | null>(null);
  const [fresh, setFresh] = useState(true);
  return (
    <main className="mx-auto max-w-xs space-y-4 p-8">
      <h1 className="text-2xl font-bold">Calculator</h1>
      <output aria-label="Display" className="block rounded bg-slate-900 p-4 text-right text-3xl text-white">
        {display}
      </output>
      <Keypad
        onDigit={(d) => {
          setDisplay(fresh || display === '0' ? d : display + d);
          setFresh(false);
        }}
        onOp={(o) => {
          setAcc(Number(display));
          setOp(o);
          setFresh(true);
        }}
        onEquals={() => {
          if (acc === null || op === null) return;
          setDisplay(String(compute(acc, op, Number(display))));
          setAcc(null);
          setOp(null);
          setFresh(true);
        }}
        onClear={() => {
          setDisplay('0');
          setAcc(null);
          setOp(null);
          setFresh(true);
        }}
      />
    </main>
  );
}
`,
  },
];

const POMODORO: AppFile[] = [
  {
    path: 'src/lib/format.ts',
    content: `export function mmss(seconds: number): string {
  const m = Math.floor(seconds / 60);
  const s = seconds % 60;
  return String(m).padStart(2, '0') + ':' + String(s).padStart(2, '0');
}
`,
  },
  {
    path: 'src/hooks/useCountdown.ts',
    content: `import { useEffect, useState } from 'react';

export interface Countdown {
  left: number;
  running: boolean;
  start: () => void;
  pause: () => void;
  reset: () => void;
}

export function useCountdown(initial: number): Countdown {
  const [left, setLeft] = useState(initial);
  const [running, setRunning] = useState(false);
  useEffect(() => {
    if (!running) return;
    const id = setInterval(() => setLeft((s) => (s > 0 ? s - 1 : 0)), 1000);
    return () => clearInterval(id);
  }, [running]);
  return {
    left,
    running,
    start: () => setRunning(true),
    pause: () => setRunning(false),
    reset: () => {
      setRunning(false);
      setLeft(initial);
    },
  };
}
`,
  },
  {
    path: 'src/App.tsx',
    content: `import { useCountdown } from './hooks/useCountdown';
import { mmss } from './lib/format';

export default function App() {
  const timer = useCountdown(25 * 60);
  return (
    <main className="grid min-h-screen place-items-center bg-rose-50">
      <div className="space-y-4 rounded-2xl bg-white p-10 text-center shadow">
        <h1 className="text-xl font-semibold">Pomodoro</h1>
        <p className="font-mono text-6xl" aria-live="polite">
          {mmss(timer.left)}
        </p>
        <div className="flex justify-center gap-2">
          <button type="button" className="rounded bg-rose-600 px-4 py-2 text-white" onClick={timer.running ? timer.pause : timer.start}>
            {timer.running ? 'Pause' : 'Start'}
          </button>
          <button type="button" className="rounded border px-4 py-2" onClick={timer.reset}>
            Reset
          </button>
        </div>
      </div>
    </main>
  );
}
`,
  },
];

const NOTES: AppFile[] = [
  {
    path: 'src/types.ts',
    content: `export interface Note {
  id: number;
  title: string;
  body: string;
}
`,
  },
  {
    path: 'src/store/NotesContext.tsx',
    content: `import { createContext, type ReactNode, useContext, useState } from 'react';
import type { Note } from '../types';

interface NotesState {
  notes: Note[];
  add: (title: string, body: string) => void;
}

const NotesContext = createContext<NotesState | null>(null);

export function NotesProvider({ children }: { children: ReactNode }) {
  const [notes, setNotes] = useState<Note[]>([]);
  const add = (title: string, body: string) => setNotes((ns) => [{ id: Date.now(), title, body }, ...ns]);
  return <NotesContext.Provider value={{ notes, add }}>{children}</NotesContext.Provider>;
}

export function useNotes(): NotesState {
  const state = useContext(NotesContext);
  if (!state) throw new Error('useNotes must be used within a NotesProvider');
  return state;
}
`,
  },
  {
    path: 'src/components/Markdown.tsx',
    content: `export function Markdown({ text }: { text: string }) {
  return (
    <div className="space-y-1">
      {text.split('\\n').map((line, i) =>
        line.startsWith('# ') ? (
          <h3 key={i} className="font-bold">
            {line.slice(2)}
          </h3>
        ) : line.startsWith('- ') ? (
          <p key={i}>• {line.slice(2)}</p>
        ) : (
          <p key={i}>{line}</p>
        ),
      )}
    </div>
  );
}
`,
  },
  {
    path: 'src/components/NotesPage.tsx',
    content: `import { useState } from 'react';
import { useNotes } from '../store/NotesContext';
import { Markdown } from './Markdown';

export function NotesPage() {
  const { notes, add } = useNotes();
  const [title, setTitle] = useState('');
  const [body, setBody] = useState('');
  return (
    <main className="mx-auto max-w-2xl space-y-4 p-8">
      <h1 className="text-2xl font-bold">Notes</h1>
      <form
        className="space-y-2"
        onSubmit={(e) => {
          e.preventDefault();
          if (!title.trim()) return;
          add(title.trim(), body);
          setTitle('');
          setBody('');
        }}
      >
        <input aria-label="Title" placeholder="Title" className="w-full rounded border p-2" value={title} onChange={(e) => setTitle(e.target.value)} />
        <textarea aria-label="Body" placeholder="Write markdown…" className="w-full rounded border p-2" value={body} onChange={(e) => setBody(e.target.value)} />
        <button type="submit" className="rounded bg-emerald-600 px-4 py-2 text-white">
          Save note
        </button>
      </form>
      {notes.map((n) => (
        <article key={n.id} className="rounded border p-4">
          <h2 className="text-lg font-semibold">{n.title}</h2>
          <Markdown text={n.body} />
        </article>
      ))}
    </main>
  );
}
`,
  },
  {
    path: 'src/App.tsx',
    content: `import { NotesPage } from './components/NotesPage';
import { NotesProvider } from './store/NotesContext';

export default function App() {
  return (
    <NotesProvider>
      <NotesPage />
    </NotesProvider>
  );
}
`,
  },
];

const EXPENSES: AppFile[] = [
  {
    path: 'src/types.ts',
    content: `export type Category = 'Food' | 'Travel' | 'Other';

export const CATEGORIES: Category[] = ['Food', 'Travel', 'Other'];

export interface Expense {
  id: number;
  label: string;
  amount: number;
  category: Category;
}
`,
  },
  {
    path: 'src/components/ExpenseForm.tsx',
    content: `import { useState } from 'react';
import { CATEGORIES, type Category, type Expense } from '../types';

export function ExpenseForm({ onAdd }: { onAdd: (expense: Omit<Expense, 'id'>) => void }) {
  const [label, setLabel] = useState('');
  const [amount, setAmount] = useState('');
  const [category, setCategory] = useState<Category>('Food');
  return (
    <form
      className="flex flex-wrap gap-2"
      onSubmit={(e) => {
        e.preventDefault();
        const value = Number.parseFloat(amount);
        if (!label.trim() || Number.isNaN(value)) return;
        onAdd({ label: label.trim(), amount: value, category });
        setLabel('');
        setAmount('');
      }}
    >
      <input aria-label="Description" placeholder="Description" className="rounded border p-2" value={label} onChange={(e) => setLabel(e.target.value)} />
      <input aria-label="Amount" type="number" step="0.01" placeholder="Amount" className="w-28 rounded border p-2" value={amount} onChange={(e) => setAmount(e.target.value)} />
      <select aria-label="Category" className="rounded border p-2" value={category} onChange={(e) => setCategory(e.target.value as Category)}>
        {CATEGORIES.map((c) => (
          <option key={c}>{c}</option>
        ))}
      </select>
      <button type="submit" className="rounded bg-sky-600 px-4 py-2 text-white">
        Add expense
      </button>
    </form>
  );
}
`,
  },
  {
    path: 'src/components/ExpenseChart.tsx',
    content: `import { CATEGORIES, type Expense } from '../types';

export function ExpenseChart({ expenses }: { expenses: Expense[] }) {
  const totals = CATEGORIES.map((c) => expenses.filter((e) => e.category === c).reduce((sum, e) => sum + e.amount, 0));
  const max = Math.max(1, ...totals);
  return (
    <svg role="img" aria-label="Spending by category" viewBox="0 0 300 120" className="w-full max-w-sm">
      {totals.map((t, i) => (
        <g key={CATEGORIES[i]}>
          <rect x={20 + i * 95} y={100 - (t / max) * 90} width={60} height={(t / max) * 90} fill="#0284c7" />
          <text x={50 + i * 95} y={115} textAnchor="middle" fontSize="10">
            {CATEGORIES[i]}
          </text>
        </g>
      ))}
    </svg>
  );
}
`,
  },
  {
    path: 'src/App.tsx',
    content: `import { useState } from 'react';
import { ExpenseChart } from './components/ExpenseChart';
import { ExpenseForm } from './components/ExpenseForm';
import type { Expense } from './types';

export default function App() {
  const [expenses, setExpenses] = useState<Expense[]>([]);
  const total = expenses.reduce((sum, e) => sum + e.amount, 0);
  return (
    <main className="mx-auto max-w-2xl space-y-4 p-8">
      <h1 className="text-2xl font-bold">Expenses</h1>
      <ExpenseForm onAdd={(e) => setExpenses((xs) => [...xs, { ...e, id: Date.now() }])} />
      <ul>
        {expenses.map((e) => (
          <li key={e.id}>
            {e.label} ({e.category}): {'$' + e.amount.toFixed(2)}
          </li>
        ))}
      </ul>
      <p className="font-semibold">Total: {'$' + total.toFixed(2)}</p>
      <ExpenseChart expenses={expenses} />
    </main>
  );
}
`,
  },
];

const TICTACTOE: AppFile[] = [
  {
    path: 'src/lib/game.ts',
    content: `export type Player = 'X' | 'O';
export type Cell = Player | null;

const LINES = [
  [0, 1, 2],
  [3, 4, 5],
  [6, 7, 8],
  [0, 3, 6],
  [1, 4, 7],
  [2, 5, 8],
  [0, 4, 8],
  [2, 4, 6],
];

export function winner(cells: Cell[]): Player | null {
  for (const [a, b, c] of LINES) {
    const first = cells[a ?? 0];
    if (first && first === cells[b ?? 0] && first === cells[c ?? 0]) return first;
  }
  return null;
}
`,
  },
  {
    path: 'src/components/Board.tsx',
    content: `import type { Cell } from '../lib/game';

export function Board({ cells, onPlay }: { cells: Cell[]; onPlay: (index: number) => void }) {
  return (
    <div className="grid w-60 grid-cols-3 gap-1">
      {cells.map((cell, i) => (
        <button key={i} type="button" aria-label={'Square ' + (i + 1)} className="h-20 rounded bg-slate-100 text-3xl font-bold" onClick={() => onPlay(i)}>
          {cell ?? ''}
        </button>
      ))}
    </div>
  );
}
`,
  },
  {
    path: 'src/App.tsx',
    content: `import { useState } from 'react';
import { Board } from './components/Board';
import { type Cell, type Player, winner } from './lib/game';

export default function App() {
  const [cells, setCells] = useState<Cell[]>(Array(9).fill(null));
  const [next, setNext] = useState<Player>('X');
  const won = winner(cells);
  const full = cells.every((c) => c !== null);
  return (
    <main className="mx-auto max-w-sm space-y-4 p-8">
      <h1 className="text-2xl font-bold">Tic-tac-toe</h1>
      <p>{won ? 'Winner: ' + won : full ? 'Draw' : 'Next player: ' + next}</p>
      <Board
        cells={cells}
        onPlay={(i) => {
          if (won || cells[i]) return;
          setCells(cells.map((c, j) => (j === i ? next : c)));
          setNext(next === 'X' ? 'O' : 'X');
        }}
      />
      <button type="button" className="rounded border px-3 py-1" onClick={() => setCells(Array(9).fill(null))}>
        Restart
      </button>
    </main>
  );
}
`,
  },
];

const QUIZ: AppFile[] = [
  {
    path: 'src/data/questions.ts',
    content: `export interface Question {
  prompt: string;
  choices: string[];
  answer: number;
}

export const QUESTIONS: Question[] = [
  { prompt: 'What is the capital of France?', choices: ['Paris', 'Rome', 'Madrid'], answer: 0 },
  { prompt: 'How many legs does a spider have?', choices: ['Six', 'Eight', 'Ten'], answer: 1 },
  { prompt: 'Which planet is closest to the sun?', choices: ['Venus', 'Earth', 'Mercury'], answer: 2 },
];
`,
  },
  {
    path: 'src/components/QuestionCard.tsx',
    content: `import type { Question } from '../data/questions';

export function QuestionCard({ question, onAnswer }: { question: Question; onAnswer: (choice: number) => void }) {
  return (
    <section className="space-y-3">
      <h2 className="text-lg font-semibold">{question.prompt}</h2>
      <div className="flex flex-col gap-2">
        {question.choices.map((choice, i) => (
          <button key={choice} type="button" className="rounded border p-2 text-left" onClick={() => onAnswer(i)}>
            {choice}
          </button>
        ))}
      </div>
    </section>
  );
}
`,
  },
  {
    path: 'src/App.tsx',
    content: `import { useState } from 'react';
import { QuestionCard } from './components/QuestionCard';
import { QUESTIONS } from './data/questions';

export default function App() {
  const [index, setIndex] = useState(0);
  const [score, setScore] = useState(0);
  const [feedback, setFeedback] = useState<string | null>(null);
  const question = QUESTIONS[index];
  return (
    <main className="mx-auto max-w-md space-y-4 p-8">
      <h1 className="text-2xl font-bold">Quiz</h1>
      <p>Score: {score}</p>
      {question ? (
        <QuestionCard
          question={question}
          onAnswer={(choice) => {
            const right = choice === question.answer;
            if (right) setScore((s) => s + 1);
            setFeedback(right ? 'Correct!' : 'Wrong answer');
            setIndex((i) => i + 1);
          }}
        />
      ) : (
        <p>Finished: {score} of {QUESTIONS.length}</p>
      )}
      {feedback && <p aria-live="polite">{feedback}</p>}
    </main>
  );
}
`,
  },
];

const HABITS: AppFile[] = [
  {
    path: 'src/types.ts',
    content: `export interface Habit {
  id: number;
  name: string;
  doneToday: boolean;
}
`,
  },
  {
    path: 'src/components/HabitRow.tsx',
    content: `import type { Habit } from '../types';

export function HabitRow({ habit, onToggle }: { habit: Habit; onToggle: () => void }) {
  return (
    <li className="flex items-center justify-between py-2">
      <span>{habit.name}</span>
      <button type="button" className="rounded border px-3 py-1" onClick={onToggle}>
        {habit.doneToday ? 'Done ✓' : 'Mark done'}
      </button>
    </li>
  );
}
`,
  },
  {
    path: 'src/App.tsx',
    content: `import { useState } from 'react';
import { HabitRow } from './components/HabitRow';
import type { Habit } from './types';

export default function App() {
  const [habits, setHabits] = useState<Habit[]>([]);
  const [name, setName] = useState('');
  const done = habits.filter((h) => h.doneToday).length;
  return (
    <main className="mx-auto max-w-md space-y-4 p-8">
      <h1 className="text-2xl font-bold">Habits</h1>
      <form
        className="flex gap-2"
        onSubmit={(e) => {
          e.preventDefault();
          if (!name.trim()) return;
          setHabits([...habits, { id: Date.now(), name: name.trim(), doneToday: false }]);
          setName('');
        }}
      >
        <input aria-label="New habit" placeholder="New habit" className="flex-1 rounded border p-2" value={name} onChange={(e) => setName(e.target.value)} />
        <button type="submit" className="rounded bg-violet-600 px-4 py-2 text-white">
          Add habit
        </button>
      </form>
      <ul className="divide-y">
        {habits.map((h) => (
          <HabitRow key={h.id} habit={h} onToggle={() => setHabits(habits.map((x) => (x.id === h.id ? { ...x, doneToday: !x.doneToday } : x)))} />
        ))}
      </ul>
      <p>
        {done}/{habits.length} done today
      </p>
    </main>
  );
}
`,
  },
];

const KANBAN: AppFile[] = [
  {
    path: 'src/types.ts',
    content: `export type ColumnId = 'todo' | 'doing' | 'done';

export const COLUMNS: { id: ColumnId; title: string }[] = [
  { id: 'todo', title: 'To do' },
  { id: 'doing', title: 'Doing' },
  { id: 'done', title: 'Done' },
];

export interface Card {
  id: number;
  title: string;
  column: ColumnId;
}
`,
  },
  {
    path: 'src/components/Column.tsx',
    content: `import type { Card } from '../types';

export function Column({ title, cards, onMove }: { title: string; cards: Card[]; onMove: (id: number) => void }) {
  return (
    <section className="w-56 rounded bg-slate-100 p-3">
      <h2 className="mb-2 font-semibold">{title}</h2>
      <ul className="space-y-2">
        {cards.map((c) => (
          <li key={c.id} className="rounded bg-white p-2 shadow">
            <p>{c.title}</p>
            {c.column !== 'done' && (
              <button type="button" className="text-xs text-indigo-600" onClick={() => onMove(c.id)}>
                Move right
              </button>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}
`,
  },
  {
    path: 'src/App.tsx',
    content: `import { useState } from 'react';
import { Column } from './components/Column';
import { type Card, COLUMNS, type ColumnId } from './types';

const NEXT: Record<ColumnId, ColumnId> = { todo: 'doing', doing: 'done', done: 'done' };

export default function App() {
  const [cards, setCards] = useState<Card[]>([]);
  const [title, setTitle] = useState('');
  return (
    <main className="space-y-4 p-8">
      <h1 className="text-2xl font-bold">Board</h1>
      <form
        className="flex gap-2"
        onSubmit={(e) => {
          e.preventDefault();
          if (!title.trim()) return;
          setCards([...cards, { id: Date.now(), title: title.trim(), column: 'todo' }]);
          setTitle('');
        }}
      >
        <input aria-label="Card title" placeholder="New card" className="rounded border p-2" value={title} onChange={(e) => setTitle(e.target.value)} />
        <button type="submit" className="rounded bg-indigo-600 px-4 py-2 text-white">
          Add card
        </button>
      </form>
      <div className="flex gap-4">
        {COLUMNS.map((col) => (
          <Column
            key={col.id}
            title={col.title}
            cards={cards.filter((c) => c.column === col.id)}
            onMove={(id) => setCards(cards.map((c) => (c.id === id ? { ...c, column: NEXT[c.column] } : c)))}
          />
        ))}
      </div>
    </main>
  );
}
`,
  },
];

const COUNTER: AppFile[] = [
  {
    path: 'src/types.ts',
    content: `export interface CounterState {
  count: number;
  step: number;
}

export const initialState: CounterState = { count: 0, step: 1 };
`,
  },
  {
    path: 'src/App.tsx',
    content: `import { useState } from 'react';
import { type CounterState, initialState } from './types';

export default function App() {
  const [state, setState] = useState<CounterState>(initialState);
  return (
    <main className="grid min-h-screen place-items-center bg-slate-50">
      <div className="rounded-xl bg-white p-8 shadow">
        <h1 className="text-2xl font-bold">Counter</h1>
        <p className="text-5xl" data-testid="count">
          {state.count}
        </p>
        <button type="button" onClick={() => setState((s) => ({ ...s, count: s.count + s.step }))}>
          Add {state.step}
        </button>
      </div>
    </main>
  );
}
`,
  },
];

const CHAT: AppFile[] = [
  {
    path: 'src/types.ts',
    content: `export interface ChatMessage {
  id: number;
  author: 'me' | 'bot';
  text: string;
}
`,
  },
  {
    path: 'src/components/MessageList.tsx',
    content: `import type { ChatMessage } from '../types';

export function MessageList({ messages }: { messages: ChatMessage[] }) {
  return (
    <ul className="space-y-2">
      {messages.map((m) => (
        <li key={m.id} className={m.author === 'me' ? 'text-right' : 'text-left'}>
          <span className={'inline-block rounded-lg px-3 py-2 ' + (m.author === 'me' ? 'bg-indigo-600 text-white' : 'bg-slate-200')}>{m.text}</span>
        </li>
      ))}
    </ul>
  );
}
`,
  },
  {
    path: 'src/App.tsx',
    content: `import { useState } from 'react';
import { MessageList } from './components/MessageList';
import type { ChatMessage } from './types';

export default function App() {
  const [messages, setMessages] = useState<ChatMessage[]>([{ id: 0, author: 'bot', text: 'Hi! Say something.' }]);
  const [text, setText] = useState('');
  return (
    <main className="mx-auto flex h-screen max-w-lg flex-col p-4">
      <h1 className="text-xl font-bold">Chat</h1>
      <div className="flex-1 overflow-y-auto py-4">
        <MessageList messages={messages} />
      </div>
      <form
        className="flex gap-2"
        onSubmit={(e) => {
          e.preventDefault();
          if (!text.trim()) return;
          const mine: ChatMessage = { id: Date.now(), author: 'me', text: text.trim() };
          setMessages((ms) => [...ms, mine, { id: Date.now() + 1, author: 'bot', text: 'You said: ' + mine.text }]);
          setText('');
        }}
      >
        <input aria-label="Message" placeholder="Type a message" className="flex-1 rounded border p-2" value={text} onChange={(e) => setText(e.target.value)} />
        <button type="submit" className="rounded bg-indigo-600 px-4 py-2 text-white">
          Send
        </button>
      </form>
    </main>
  );
}
`,
  },
];

export const APPS: Record<AppKind, AppFile[]> = {
  todo: TODO,
  calculator: CALCULATOR,
  pomodoro: POMODORO,
  notes: NOTES,
  expenses: EXPENSES,
  tictactoe: TICTACTOE,
  quiz: QUIZ,
  habits: HABITS,
  kanban: KANBAN,
  counter: COUNTER,
  chat: CHAT,
};

/** The app's files with `path` replaced (or added) by `content`. */
export function withFile(files: AppFile[], path: string, content: string): AppFile[] {
  return files.some((f) => f.path === path) ? files.map((f) => (f.path === path ? { path, content } : f)) : [...files, { path, content }];
}

/** The content of one of the app's files (throws on a typo in the corpus). */
export function fileOf(files: AppFile[], path: string): string {
  const f = files.find((x) => x.path === path);
  if (!f) throw new Error(`corpus error: no ${path}`);
  return f.content;
}

/** `content` with `from` replaced by `to`; throws when `from` is not there (a corpus typo). */
export function patch(content: string, from: string, to: string): string {
  if (!content.includes(from)) throw new Error(`corpus error: ${JSON.stringify(from.slice(0, 60))} not found`);
  return content.replace(from, to);
}
