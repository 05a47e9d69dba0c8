/**
 * The offline model's building blocks: complete React + TypeScript + Tailwind v4 apps for the
 * sandbox template, split into phases. Generated code avoids template literals so these sources
 * can live in plain strings.
 */

export type AppKind = 'todo' | 'notes' | 'counter' | 'calculator' | 'pomodoro' | 'kanban' | 'generic';

interface OfflinePhase {
  name: string;
  description: string;
  files: { path: string; purpose: string; content: string }[];
}

export interface OfflineApp {
  kind: AppKind;
  title: string;
  phases: OfflinePhase[];
}

export const OFFLINE_FOOTER = "Built by Lathe's offline model";
const SECTIONS_MARKER = '{/* lathe:sections */}';

const CARD = 'rounded-2xl border border-slate-200 bg-white p-6 shadow-sm dark:border-slate-800 dark:bg-slate-900';
const INPUT =
  'w-full rounded-xl border border-slate-300 bg-white px-4 py-2.5 text-slate-900 placeholder:text-slate-400 focus:border-indigo-500 focus:outline-none focus:ring-2 focus:ring-indigo-500/30 dark:border-slate-700 dark:bg-slate-950 dark:text-slate-100';
const PRIMARY =
  'rounded-xl bg-indigo-600 px-5 py-2.5 font-medium text-white shadow-sm transition hover:bg-indigo-500 active:scale-[0.98] disabled:opacity-40';
const GHOST =
  'rounded-lg px-3 py-1.5 text-sm text-slate-500 transition hover:bg-slate-100 hover:text-slate-900 dark:hover:bg-slate-800 dark:hover:text-slate-100';

const INDEX_CSS = `@import "tailwindcss" source("../src");

/* Dark mode follows a "dark" class on the app's root, so a follow-up can switch it. */
@custom-variant dark (&:where(.dark, .dark *));

:root {
  font-family: ui-sans-serif, system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
}
`;

const STORAGE_TS = `import { type Dispatch, type SetStateAction, useEffect, useState } from 'react';

/** State that survives reloads: read once from localStorage, written back on every change. */
export function useLocalStorage<T>(key: string, initial: T): [T, Dispatch<SetStateAction<T>>] {
  const [value, setValue] = useState<T>(() => {
    try {
      const raw = window.localStorage.getItem(key);
      return raw === null ? initial : (JSON.parse(raw) as T);
    } catch {
      return initial;
    }
  });
  useEffect(() => {
    try {
      window.localStorage.setItem(key, JSON.stringify(value));
    } catch {
      // Storage can be full or blocked (private mode); the app keeps working in memory.
    }
  }, [key, value]);
  return [value, setValue];
}

export function newId(): string {
  return Date.now().toString(36) + Math.random().toString(36).slice(2, 8);
}
`;

/** Keeps a title to plain text that is safe inside JSX. */
function safeTitle(title: string): string {
  const cleaned = title
    .replace(/[{}<>`$\\]/g, '')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 60);
  return cleaned === '' ? 'My App' : cleaned;
}

function appShell(o: { title: string; subtitle: string; component: string; importPath: string; width: string }): string {
  return `import { ${o.component} } from '${o.importPath}';

export default function App() {
  return (
    <div className="min-h-screen bg-gradient-to-b from-slate-50 to-slate-100 text-slate-900 antialiased">
      <main className="mx-auto ${o.width} px-4 py-12 sm:py-16">
        <header className="mb-8">
          <p className="text-xs font-semibold uppercase tracking-[0.2em] text-indigo-500">Made with Lathe</p>
          <h1 className="mt-2 text-4xl font-bold tracking-tight">${safeTitle(o.title)}</h1>
          <p className="mt-2 text-slate-500 dark:text-slate-400">${o.subtitle}</p>
        </header>
        <${o.component} />
        ${SECTIONS_MARKER}
      </main>
      <footer className="pb-8 text-center text-xs text-slate-400">${OFFLINE_FOOTER}</footer>
    </div>
  );
}
`;
}

const TODO_CORE = `import { type FormEvent, useState } from 'react';
import { newId, useLocalStorage } from '../lib/storage';

export interface Todo {
  id: string;
  text: string;
  done: boolean;
}

export function TodoApp() {
  const [todos, setTodos] = useLocalStorage<Todo[]>('lathe.todos', []);
  const [text, setText] = useState('');

  function add(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const value = text.trim();
    if (value === '') return;
    setTodos((prev) => [...prev, { id: newId(), text: value, done: false }]);
    setText('');
  }

  function toggle(id: string) {
    setTodos((prev) => prev.map((t) => (t.id === id ? { ...t, done: !t.done } : t)));
  }

  function remove(id: string) {
    setTodos((prev) => prev.filter((t) => t.id !== id));
  }

  return (
    <section className="${CARD}">
      <form onSubmit={add} className="flex gap-2">
        <input
          aria-label="New todo"
          placeholder="What needs doing?"
          value={text}
          onChange={(e) => setText(e.target.value)}
          className="${INPUT}"
        />
        <button type="submit" className="${PRIMARY}">
          Add
        </button>
      </form>
      <ul className="mt-4 divide-y divide-slate-100 dark:divide-slate-800">
        {todos.map((todo) => (
          <li key={todo.id} className="flex items-center gap-3 py-3">
            <input
              type="checkbox"
              checked={todo.done}
              onChange={() => toggle(todo.id)}
              aria-label={'Mark ' + todo.text + ' as done'}
              className="h-5 w-5 accent-indigo-600"
            />
            <span className={todo.done ? 'flex-1 text-slate-400 line-through' : 'flex-1'}>{todo.text}</span>
            <button type="button" onClick={() => remove(todo.id)} aria-label={'Delete ' + todo.text} className="${GHOST}">
              Delete
            </button>
          </li>
        ))}
      </ul>
      {todos.length === 0 && <p className="py-6 text-center text-sm text-slate-400">Nothing to do yet. Add your first todo above.</p>}
    </section>
  );
}
`;

const TODO_ITEM = `import { type KeyboardEvent, useState } from 'react';
import type { Todo } from './TodoApp';

interface Props {
  todo: Todo;
  onToggle(id: string): void;
  onRemove(id: string): void;
  onRename(id: string, text: string): void;
}

/** One todo: tick it, double-click to rename (Enter saves, Escape cancels), delete it. */
export function TodoItem({ todo, onToggle, onRemove, onRename }: Props) {
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState(todo.text);

  function finish() {
    const value = draft.trim();
    if (value !== '') onRename(todo.id, value);
    else setDraft(todo.text);
    setEditing(false);
  }

  function onKey(event: KeyboardEvent<HTMLInputElement>) {
    if (event.key === 'Enter') finish();
    if (event.key === 'Escape') {
      setDraft(todo.text);
      setEditing(false);
    }
  }

  return (
    <li className="group flex items-center gap-3 py-3">
      <input
        type="checkbox"
        checked={todo.done}
        onChange={() => onToggle(todo.id)}
        aria-label={'Mark ' + todo.text + ' as done'}
        className="h-5 w-5 accent-indigo-600"
      />
      {editing ? (
        <input
          aria-label="Edit todo"
          value={draft}
          onChange={(e) => setDraft(e.target.value)}
          onBlur={finish}
          onKeyDown={onKey}
          className="${INPUT}"
        />
      ) : (
        <span
          onDoubleClick={() => setEditing(true)}
          className={todo.done ? 'flex-1 cursor-text text-slate-400 line-through' : 'flex-1 cursor-text'}
          title="Double-click to edit"
        >
          {todo.text}
        </span>
      )}
      <button
        type="button"
        onClick={() => onRemove(todo.id)}
        aria-label={'Delete ' + todo.text}
        className="${GHOST} opacity-60 group-hover:opacity-100"
      >
        Delete
      </button>
    </li>
  );
}
`;

const TODO_POLISHED = `import { type FormEvent, useState } from 'react';
import { newId, useLocalStorage } from '../lib/storage';
import { TodoItem } from './TodoItem';

export interface Todo {
  id: string;
  text: string;
  done: boolean;
}

type Filter = 'all' | 'active' | 'done';
const FILTERS: { id: Filter; label: string }[] = [
  { id: 'all', label: 'All' },
  { id: 'active', label: 'Active' },
  { id: 'done', label: 'Done' },
];

export function TodoApp() {
  const [todos, setTodos] = useLocalStorage<Todo[]>('lathe.todos', []);
  const [text, setText] = useState('');
  const [filter, setFilter] = useState<Filter>('all');

  const left = todos.filter((t) => !t.done).length;
  const visible = todos.filter((t) => (filter === 'all' ? true : filter === 'done' ? t.done : !t.done));

  function add(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const value = text.trim();
    if (value === '') return;
    setTodos((prev) => [...prev, { id: newId(), text: value, done: false }]);
    setText('');
  }

  const toggle = (id: string) => setTodos((prev) => prev.map((t) => (t.id === id ? { ...t, done: !t.done } : t)));
  const remove = (id: string) => setTodos((prev) => prev.filter((t) => t.id !== id));
  const rename = (id: string, value: string) => setTodos((prev) => prev.map((t) => (t.id === id ? { ...t, text: value } : t)));

  return (
    <section className="${CARD}">
      <form onSubmit={add} className="flex gap-2">
        <input
          aria-label="New todo"
          placeholder="What needs doing?"
          value={text}
          onChange={(e) => setText(e.target.value)}
          className="${INPUT}"
        />
        <button type="submit" className="${PRIMARY}">
          Add
        </button>
      </form>
      <div className="mt-5 flex flex-wrap items-center justify-between gap-2 text-sm">
        <span className="text-slate-500" aria-live="polite">
          {left} {left === 1 ? 'item' : 'items'} left
        </span>
        <div className="flex gap-1 rounded-xl bg-slate-100 p-1 dark:bg-slate-800">
          {FILTERS.map((f) => (
            <button
              key={f.id}
              type="button"
              onClick={() => setFilter(f.id)}
              aria-pressed={filter === f.id}
              className={
                filter === f.id
                  ? 'rounded-lg bg-white px-3 py-1 font-medium shadow-sm dark:bg-slate-950'
                  : 'rounded-lg px-3 py-1 text-slate-500 hover:text-slate-900 dark:hover:text-slate-100'
              }
            >
              {f.label}
            </button>
          ))}
        </div>
      </div>
      <ul className="mt-3 divide-y divide-slate-100 dark:divide-slate-800">
        {visible.map((todo) => (
          <TodoItem key={todo.id} todo={todo} onToggle={toggle} onRemove={remove} onRename={rename} />
        ))}
      </ul>
      {visible.length === 0 && (
        <p className="py-6 text-center text-sm text-slate-400">
          {todos.length === 0 ? 'Nothing to do yet. Add your first todo above.' : 'No todos in this view.'}
        </p>
      )}
      {todos.some((t) => t.done) && (
        <div className="mt-4 flex justify-end">
          <button type="button" onClick={() => setTodos((prev) => prev.filter((t) => !t.done))} className="${GHOST}">
            Clear completed
          </button>
        </div>
      )}
    </section>
  );
}
`;

const NOTES = `import { useState } from 'react';
import { newId, useLocalStorage } from '../lib/storage';

interface Note {
  id: string;
  title: string;
  body: string;
  updatedAt: number;
}

export function NotesApp() {
  const [notes, setNotes] = useLocalStorage<Note[]>('lathe.notes', []);
  const [selectedId, setSelectedId] = useState<string | null>(notes[0]?.id ?? null);
  const [query, setQuery] = useState('');

  const selected = notes.find((n) => n.id === selectedId) ?? null;
  const q = query.trim().toLowerCase();
  const visible = [...notes]
    .sort((a, b) => b.updatedAt - a.updatedAt)
    .filter((n) => q === '' || n.title.toLowerCase().includes(q) || n.body.toLowerCase().includes(q));

  function create() {
    const note: Note = { id: newId(), title: 'Untitled note', body: '', updatedAt: Date.now() };
    setNotes((prev) => [note, ...prev]);
    setSelectedId(note.id);
  }

  function update(patch: Partial<Pick<Note, 'title' | 'body'>>) {
    if (!selected) return;
    setNotes((prev) => prev.map((n) => (n.id === selected.id ? { ...n, ...patch, updatedAt: Date.now() } : n)));
  }

  function remove(id: string) {
    setNotes((prev) => prev.filter((n) => n.id !== id));
    if (selectedId === id) setSelectedId(null);
  }

  return (
    <section className="grid gap-4 md:grid-cols-[260px_1fr]">
      <aside className="${CARD} p-4">
        <button type="button" onClick={create} className="${PRIMARY} w-full">
          New note
        </button>
        <input
          aria-label="Search notes"
          placeholder="Search notes"
          value={query}
          onChange={(e) => setQuery(e.target.value)}
          className="${INPUT} mt-3"
        />
        <ul className="mt-3 space-y-1">
          {visible.map((n) => (
            <li key={n.id}>
              <button
                type="button"
                onClick={() => setSelectedId(n.id)}
                className={
                  n.id === selectedId
                    ? 'w-full rounded-lg bg-indigo-50 px-3 py-2 text-left text-indigo-700 dark:bg-indigo-500/10 dark:text-indigo-300'
                    : 'w-full rounded-lg px-3 py-2 text-left hover:bg-slate-100 dark:hover:bg-slate-800'
                }
              >
                <span className="block truncate font-medium">{n.title || 'Untitled note'}</span>
                <span className="block truncate text-xs text-slate-400">{n.body || 'No content'}</span>
              </button>
            </li>
          ))}
        </ul>
        {visible.length === 0 && <p className="mt-4 text-center text-sm text-slate-400">No notes yet.</p>}
      </aside>
      <div className="${CARD}">
        {selected ? (
          <div className="flex h-full flex-col gap-3">
            <div className="flex items-center gap-2">
              <input
                aria-label="Note title"
                value={selected.title}
                onChange={(e) => update({ title: e.target.value })}
                className="w-full bg-transparent text-2xl font-semibold focus:outline-none"
              />
              <button type="button" onClick={() => remove(selected.id)} className="${GHOST}">
                Delete
              </button>
            </div>
            <textarea
              aria-label="Note text"
              placeholder="Start writing..."
              value={selected.body}
              onChange={(e) => update({ body: e.target.value })}
              className="min-h-72 flex-1 resize-none bg-transparent leading-relaxed focus:outline-none"
            />
            <p className="text-xs text-slate-400">Saved {new Date(selected.updatedAt).toLocaleString()}</p>
          </div>
        ) : (
          <div className="flex min-h-72 items-center justify-center text-slate-400">Select a note or create a new one.</div>
        )}
      </div>
    </section>
  );
}
`;

const COUNTER = `import { useLocalStorage } from '../lib/storage';

const STEPS = [1, 5, 10];

export function Counter() {
  const [count, setCount] = useLocalStorage('lathe.counter', 0);
  const [step, setStep] = useLocalStorage('lathe.counter.step', 1);

  return (
    <section className="${CARD} text-center">
      <p className="text-sm uppercase tracking-widest text-slate-400">Current count</p>
      <output aria-label="Count" className="mt-2 block text-7xl font-bold tabular-nums">
        {count}
      </output>
      <div className="mt-8 flex justify-center gap-3">
        <button type="button" onClick={() => setCount((c) => c - step)} className="${PRIMARY} min-w-24 bg-slate-800 hover:bg-slate-700">
          - {step}
        </button>
        <button type="button" onClick={() => setCount(0)} className="${GHOST}">
          Reset
        </button>
        <button type="button" onClick={() => setCount((c) => c + step)} className="${PRIMARY} min-w-24">
          + {step}
        </button>
      </div>
      <div className="mt-6 flex items-center justify-center gap-2 text-sm text-slate-500">
        <span>Step</span>
        {STEPS.map((s) => (
          <button
            key={s}
            type="button"
            onClick={() => setStep(s)}
            aria-pressed={step === s}
            className={step === s ? 'rounded-lg bg-indigo-600 px-3 py-1 text-white' : 'rounded-lg px-3 py-1 hover:bg-slate-100 dark:hover:bg-slate-800'}
          >
            {s}
          </button>
        ))}
      </div>
    </section>
  );
}
`;

const CALCULATOR = `import { useState } from 'react';

type Op = '+' | '-' | '×' | '÷';

function apply(a: number, b: number, op: Op): number {
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

function format(n: number): string {
  if (!Number.isFinite(n)) return 'Error';
  return String(Number.parseFloat(n.toPrecision(12)));
}

const KEYS: string[] = ['C', '±', '%', '÷', '7', '8', '9', '×', '4', '5', '6', '-', '1', '2', '3', '+', '0', '.', '='];

export function Calculator() {
  const [display, setDisplay] = useState('0');
  const [stored, setStored] = useState<number | null>(null);
  const [op, setOp] = useState<Op | null>(null);
  const [fresh, setFresh] = useState(true);

  function press(key: string) {
    if (/^[0-9]$/.test(key)) {
      setDisplay((d) => (fresh || d === '0' ? key : d + key));
      setFresh(false);
    } else if (key === '.') {
      setDisplay((d) => (fresh ? '0.' : d.includes('.') ? d : d + '.'));
      setFresh(false);
    } else if (key === 'C') {
      setDisplay('0');
      setStored(null);
      setOp(null);
      setFresh(true);
    } else if (key === '±') {
      setDisplay((d) => format(-Number(d)));
    } else if (key === '%') {
      setDisplay((d) => format(Number(d) / 100));
    } else if (key === '=') {
      if (op !== null && stored !== null) {
        setDisplay(format(apply(stored, Number(display), op)));
        setStored(null);
        setOp(null);
        setFresh(true);
      }
    } else {
      const next = key as Op;
      const value = Number(display);
      const result = op !== null && stored !== null && !fresh ? apply(stored, value, op) : value;
      setStored(result);
      setDisplay(format(result));
      setOp(next);
      setFresh(true);
    }
  }

  return (
    <section className="mx-auto max-w-sm rounded-3xl bg-slate-900 p-5 shadow-xl">
      <div className="mb-4 rounded-2xl bg-slate-800 px-4 py-5 text-right">
        <p className="h-5 text-sm text-slate-400">{stored !== null && op !== null ? format(stored) + ' ' + op : ''}</p>
        <output aria-label="Display" className="block truncate text-5xl font-light tabular-nums text-white">
          {display}
        </output>
      </div>
      <div className="grid grid-cols-4 gap-3">
        {KEYS.map((key) => (
          <button
            key={key}
            type="button"
            onClick={() => press(key)}
            className={
              (key === '0' ? 'col-span-2 ' : '') +
              (['÷', '×', '-', '+', '='].includes(key)
                ? 'bg-indigo-500 text-white hover:bg-indigo-400'
                : ['C', '±', '%'].includes(key)
                  ? 'bg-slate-600 text-white hover:bg-slate-500'
                  : 'bg-slate-700 text-white hover:bg-slate-600') +
              ' h-16 rounded-2xl text-2xl font-medium transition active:scale-95'
            }
          >
            {key}
          </button>
        ))}
      </div>
    </section>
  );
}
`;

const POMODORO = `import { useEffect, useState } from 'react';
import { useLocalStorage } from '../lib/storage';

type Mode = 'focus' | 'short' | 'long';
const MODES: Record<Mode, { label: string; minutes: number }> = {
  focus: { label: 'Focus', minutes: 25 },
  short: { label: 'Short break', minutes: 5 },
  long: { label: 'Long break', minutes: 15 },
};

function clock(seconds: number): string {
  const m = Math.floor(seconds / 60);
  const s = seconds % 60;
  return String(m).padStart(2, '0') + ':' + String(s).padStart(2, '0');
}

export function Pomodoro() {
  const [mode, setMode] = useState<Mode>('focus');
  const [left, setLeft] = useState(MODES.focus.minutes * 60);
  const [running, setRunning] = useState(false);
  const [sessions, setSessions] = useLocalStorage('lathe.pomodoro.sessions', 0);

  useEffect(() => {
    if (!running) return;
    const id = window.setInterval(() => setLeft((s) => Math.max(0, s - 1)), 1000);
    return () => window.clearInterval(id);
  }, [running]);

  useEffect(() => {
    if (left > 0 || !running) return;
    setRunning(false);
    if (mode === 'focus') setSessions((n) => n + 1);
  }, [left, running, mode, setSessions]);

  useEffect(() => {
    document.title = clock(left) + ' - ' + MODES[mode].label;
  }, [left, mode]);

  function switchMode(next: Mode) {
    setMode(next);
    setLeft(MODES[next].minutes * 60);
    setRunning(false);
  }

  const total = MODES[mode].minutes * 60;
  const progress = 1 - left / total;
  const radius = 90;
  const circumference = 2 * Math.PI * radius;

  return (
    <section className="${CARD} flex flex-col items-center">
      <div className="flex gap-1 rounded-xl bg-slate-100 p-1 dark:bg-slate-800">
        {(Object.keys(MODES) as Mode[]).map((m) => (
          <button
            key={m}
            type="button"
            onClick={() => switchMode(m)}
            aria-pressed={mode === m}
            className={mode === m ? 'rounded-lg bg-white px-4 py-1.5 text-sm font-medium shadow-sm dark:bg-slate-950' : 'rounded-lg px-4 py-1.5 text-sm text-slate-500'}
          >
            {MODES[m].label}
          </button>
        ))}
      </div>
      <div className="relative mt-8 h-56 w-56">
        <svg viewBox="0 0 200 200" className="h-full w-full -rotate-90" aria-hidden="true">
          <circle cx="100" cy="100" r={radius} className="fill-none stroke-slate-200 dark:stroke-slate-800" strokeWidth="10" />
          <circle
            cx="100"
            cy="100"
            r={radius}
            className="fill-none stroke-indigo-500 transition-all"
            strokeWidth="10"
            strokeLinecap="round"
            strokeDasharray={circumference}
            strokeDashoffset={circumference * (1 - progress)}
          />
        </svg>
        <output aria-label="Time left" className="absolute inset-0 flex items-center justify-center text-5xl font-semibold tabular-nums">
          {clock(left)}
        </output>
      </div>
      <div className="mt-8 flex gap-3">
        <button type="button" onClick={() => setRunning((r) => !r)} className="${PRIMARY} min-w-32">
          {running ? 'Pause' : 'Start'}
        </button>
        <button type="button" onClick={() => switchMode(mode)} className="${GHOST}">
          Reset
        </button>
      </div>
      <p className="mt-6 text-sm text-slate-500">Focus sessions completed: {sessions}</p>
    </section>
  );
}
`;

const KANBAN = `import { type DragEvent, type FormEvent, useState } from 'react';
import { newId, useLocalStorage } from '../lib/storage';

type ColumnId = 'todo' | 'doing' | 'done';
const COLUMNS: { id: ColumnId; title: string; accent: string }[] = [
  { id: 'todo', title: 'To do', accent: 'bg-slate-400' },
  { id: 'doing', title: 'In progress', accent: 'bg-amber-400' },
  { id: 'done', title: 'Done', accent: 'bg-emerald-500' },
];

interface Card {
  id: string;
  text: string;
  column: ColumnId;
}

export function KanbanBoard() {
  const [cards, setCards] = useLocalStorage<Card[]>('lathe.kanban', []);
  const [text, setText] = useState('');

  function add(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const value = text.trim();
    if (value === '') return;
    setCards((prev) => [...prev, { id: newId(), text: value, column: 'todo' }]);
    setText('');
  }

  function move(id: string, column: ColumnId) {
    setCards((prev) => prev.map((c) => (c.id === id ? { ...c, column } : c)));
  }

  function shift(card: Card, by: number) {
    const i = COLUMNS.findIndex((c) => c.id === card.column) + by;
    const target = COLUMNS[i];
    if (target) move(card.id, target.id);
  }

  function onDrop(event: DragEvent<HTMLDivElement>, column: ColumnId) {
    event.preventDefault();
    const id = event.dataTransfer.getData('text/plain');
    if (id) move(id, column);
  }

  return (
    <section>
      <form onSubmit={add} className="mb-6 flex gap-2">
        <input aria-label="New card" placeholder="Add a card" value={text} onChange={(e) => setText(e.target.value)} className="${INPUT}" />
        <button type="submit" className="${PRIMARY}">
          Add
        </button>
      </form>
      <div className="grid gap-4 md:grid-cols-3">
        {COLUMNS.map((col) => {
          const items = cards.filter((c) => c.column === col.id);
          return (
            <div
              key={col.id}
              onDragOver={(e) => e.preventDefault()}
              onDrop={(e) => onDrop(e, col.id)}
              className="min-h-64 rounded-2xl bg-slate-200/60 p-3 dark:bg-slate-900"
            >
              <h2 className="mb-3 flex items-center gap-2 px-1 text-sm font-semibold">
                <span className={'h-2 w-2 rounded-full ' + col.accent} />
                {col.title}
                <span className="ml-auto text-slate-400">{items.length}</span>
              </h2>
              <ul className="space-y-2">
                {items.map((card) => (
                  <li
                    key={card.id}
                    draggable
                    onDragStart={(e) => e.dataTransfer.setData('text/plain', card.id)}
                    className="cursor-grab rounded-xl bg-white p-3 shadow-sm dark:bg-slate-800"
                  >
                    <p>{card.text}</p>
                    <div className="mt-2 flex justify-end gap-1 text-xs">
                      <button type="button" onClick={() => shift(card, -1)} disabled={col.id === 'todo'} className="${GHOST} disabled:opacity-30" aria-label="Move left">
                        ←
                      </button>
                      <button type="button" onClick={() => shift(card, 1)} disabled={col.id === 'done'} className="${GHOST} disabled:opacity-30" aria-label="Move right">
                        →
                      </button>
                      <button type="button" onClick={() => setCards((prev) => prev.filter((c) => c.id !== card.id))} className="${GHOST}" aria-label="Delete card">
                        ✕
                      </button>
                    </div>
                  </li>
                ))}
              </ul>
            </div>
          );
        })}
      </div>
    </section>
  );
}
`;

function genericApp(title: string, request: string): string {
  const safe = JSON.stringify(request.slice(0, 500));
  const topic = JSON.stringify(safeTitle(title));
  return `import { type FormEvent, useState } from 'react';
import { newId, useLocalStorage } from '../lib/storage';

interface Entry {
  id: string;
  text: string;
  starred: boolean;
}

const REQUEST = ${safe};
const TOPIC = ${topic};

export function MainPanel() {
  const [entries, setEntries] = useLocalStorage<Entry[]>('lathe.entries', []);
  const [text, setText] = useState('');

  function add(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const value = text.trim();
    if (value === '') return;
    setEntries((prev) => [{ id: newId(), text: value, starred: false }, ...prev]);
    setText('');
  }

  const starred = entries.filter((e) => e.starred).length;

  return (
    <div className="space-y-4">
      <section className="${CARD}">
        <p className="text-xs font-semibold uppercase tracking-widest text-slate-400">What you asked for</p>
        <p className="mt-2 text-lg">{REQUEST}</p>
      </section>
      <section className="${CARD}">
        <div className="flex items-baseline justify-between">
          <h2 className="text-lg font-semibold">{TOPIC} items</h2>
          <span className="text-sm text-slate-400">
            {entries.length} total, {starred} starred
          </span>
        </div>
        <form onSubmit={add} className="mt-4 flex gap-2">
          <input aria-label="New item" placeholder="Add an item" value={text} onChange={(e) => setText(e.target.value)} className="${INPUT}" />
          <button type="submit" className="${PRIMARY}">
            Add
          </button>
        </form>
        <ul className="mt-4 divide-y divide-slate-100 dark:divide-slate-800">
          {entries.map((entry) => (
            <li key={entry.id} className="flex items-center gap-3 py-3">
              <button
                type="button"
                onClick={() => setEntries((prev) => prev.map((e) => (e.id === entry.id ? { ...e, starred: !e.starred } : e)))}
                aria-label={entry.starred ? 'Unstar' : 'Star'}
                className={entry.starred ? 'text-amber-400' : 'text-slate-300 hover:text-amber-400'}
              >
                ★
              </button>
              <span className="flex-1">{entry.text}</span>
              <button type="button" onClick={() => setEntries((prev) => prev.filter((e) => e.id !== entry.id))} className="${GHOST}">
                Remove
              </button>
            </li>
          ))}
        </ul>
        {entries.length === 0 && <p className="py-6 text-center text-sm text-slate-400">No items yet.</p>}
      </section>
    </div>
  );
}
`;
}

const BASE_FILES = (title: string, subtitle: string, component: string, file: string, width = 'max-w-2xl') => [
  { path: 'src/index.css', purpose: 'Tailwind v4 entry with class-based dark mode', content: INDEX_CSS },
  { path: 'src/lib/storage.ts', purpose: 'useLocalStorage hook and id helper', content: STORAGE_TS },
  {
    path: 'src/App.tsx',
    purpose: 'Page shell: title, main component, footer',
    content: appShell({ title, subtitle, component, importPath: `./components/${file}`, width }),
  },
];

export function detectKind(request: string): AppKind {
  const r = request.toLowerCase();
  if (/\bkanban\b|\btrello\b|\bboard\b/.test(r)) return 'kanban';
  if (/\bto-?dos?\b|\btask list\b|\btasks?\b|\bchecklist\b/.test(r)) return 'todo';
  if (/\bnotes?\b|\bnotepad\b|\bjournal\b/.test(r)) return 'notes';
  if (/\bpomodoro\b|\bfocus timer\b|\btimer\b/.test(r)) return 'pomodoro';
  if (/\bcalculat/.test(r)) return 'calculator';
  if (/\bcounter\b|\bcount(ing)?\b|\btally\b/.test(r)) return 'counter';
  return 'generic';
}

const DEFAULT_TITLES: Record<Exclude<AppKind, 'generic'>, string> = {
  todo: 'Todo List',
  notes: 'Notes',
  counter: 'Counter',
  calculator: 'Calculator',
  pomodoro: 'Pomodoro Timer',
  kanban: 'Kanban Board',
};

/** A title from the request: an explicit "called X" / quoted name, else a tidy summary. */
export function titleFor(request: string, kind: AppKind): string {
  const named = /(?:called|named|titled)\s+["“']?([^"”'.,\n]{1,50})/i.exec(request) ?? /["“]([^"”\n]{1,50})["”]/.exec(request);
  if (named?.[1]) return safeTitle(named[1]);
  if (kind !== 'generic') return DEFAULT_TITLES[kind];
  const all = request
    .replace(/^\s*(please\s+)?(build|make|create|write|generate|design)\s+(me\s+)?/i, '')
    .replace(/^(a|an|the|my|some)\s+/i, '')
    .replace(/[^\p{L}\p{N}\s-]/gu, ' ')
    .split(/\s+/)
    .filter((w) => w !== '');
  // The subject is what comes before the first "for/with/that…": "recipe tracker" in "a recipe tracker for dinners".
  const cut = all.findIndex((w, i) => i > 0 && /^(for|with|that|which|where|to|so|and|in|on|using)$/i.test(w));
  const words = (cut === -1 ? all : all.slice(0, cut)).filter((w) => !/^(app|application|website|site|web|page)$/i.test(w)).slice(0, 4);
  if (words.length === 0) return 'My App';
  return safeTitle(words.map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join(' '));
}

export function buildApp(request: string): OfflineApp {
  const kind = detectKind(request);
  const title = titleFor(request, kind);
  switch (kind) {
    case 'todo':
      return {
        kind,
        title,
        phases: [
          {
            name: 'Core',
            description: 'A working todo list: add, tick off and delete todos, saved in localStorage.',
            files: [
              ...BASE_FILES(title, 'Plan your day. Everything is saved in this browser.', 'TodoApp', 'TodoApp'),
              { path: 'src/components/TodoApp.tsx', purpose: 'Todo list with add, toggle and delete', content: TODO_CORE },
            ],
          },
          {
            name: 'Polish',
            description: 'Filters, a remaining-items counter, clear completed and inline editing.',
            files: [
              { path: 'src/components/TodoItem.tsx', purpose: 'One todo row with inline editing', content: TODO_ITEM },
              { path: 'src/components/TodoApp.tsx', purpose: 'Filters, counter and clear completed', content: TODO_POLISHED },
            ],
          },
        ],
      };
    case 'notes':
      return single(kind, title, 'Notes', 'Capture ideas. Notes are saved in this browser.', 'NotesApp', NOTES, 'max-w-5xl');
    case 'counter':
      return single(kind, title, 'Counter', 'Count anything, with a step you choose.', 'Counter', COUNTER);
    case 'calculator':
      return single(kind, title, 'Calculator', 'A pocket calculator with chained operations.', 'Calculator', CALCULATOR);
    case 'pomodoro':
      return single(kind, title, 'Timer', 'Focus for 25 minutes, then take a break.', 'Pomodoro', POMODORO);
    case 'kanban':
      return single(kind, title, 'Board', 'Drag cards between columns or use the arrows.', 'KanbanBoard', KANBAN, 'max-w-6xl');
    case 'generic':
      return single(kind, title, 'Main panel', 'Generated offline from your description.', 'MainPanel', genericApp(title, request));
  }
}

function single(
  kind: AppKind,
  title: string,
  what: string,
  subtitle: string,
  component: string,
  content: string,
  width?: string,
): OfflineApp {
  return {
    kind,
    title,
    phases: [
      {
        name: 'Core',
        description: `The ${what.toLowerCase()} with its page shell and local persistence.`,
        files: [
          ...BASE_FILES(title, subtitle, component, component, width),
          { path: `src/components/${component}.tsx`, purpose: what, content },
        ],
      },
    ],
  };
}

/**
 * A follow-up applied to App.tsx: "change the title to X", "make it dark/light", or a new
 * visible section that shows the request.
 */
export function applyFollowUp(app: string, request: string): string {
  const title = /(?:title|heading|name)\s+(?:to|as|into)\s+["“']?(.+?)["”']?\s*\.?\s*$/i.exec(request.trim());
  if (title?.[1]) {
    const next = safeTitle(title[1]);
    if (/<h1([^>]*)>[\s\S]*?<\/h1>/.test(app)) return app.replace(/<h1([^>]*)>[\s\S]*?<\/h1>/, `<h1$1>${next}</h1>`);
  }
  if (/\bdark\b/i.test(request) && app.includes('from-slate-50 to-slate-100 text-slate-900')) {
    return app.replace('from-slate-50 to-slate-100 text-slate-900', 'dark from-slate-950 to-slate-900 text-slate-100');
  }
  if (/\blight\b/i.test(request) && app.includes('dark from-slate-950 to-slate-900 text-slate-100')) {
    return app.replace('dark from-slate-950 to-slate-900 text-slate-100', 'from-slate-50 to-slate-100 text-slate-900');
  }
  const section = `<section className="${CARD} mt-6">
          <h2 className="text-lg font-semibold">{${JSON.stringify(request.slice(0, 200))}}</h2>
          <p className="mt-1 text-sm text-slate-500">Added for your follow-up request by the offline model. Connect an LLM for richer changes.</p>
        </section>
        `;
  if (app.includes(SECTIONS_MARKER)) return app.replace(SECTIONS_MARKER, `${section}${SECTIONS_MARKER}`);
  if (app.includes('</main>')) return app.replace('</main>', `  ${section}</main>`);
  return app;
}
