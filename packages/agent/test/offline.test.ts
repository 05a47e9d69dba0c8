import { describe, expect, it } from 'vitest';
import { buildApp, detectKind, titleFor } from '../src/offline/apps';
import { offlineAnswer } from '../src/offline/respond';
import { offlineRound } from './helpers/offline-round';

const REQUESTS = {
  todo: 'a todo app',
  notes: 'a notes app',
  counter: 'a simple counter',
  calculator: 'a calculator',
  pomodoro: 'a pomodoro timer',
  kanban: 'a kanban board for my team',
  generic: 'a recipe tracker for family dinners',
} as const;

describe('offline model answers', () => {
  it.each(Object.entries(REQUESTS))('%s: recognised, with a visible <h1> title and the offline footer', (kind, request) => {
    expect(detectKind(request)).toBe(kind);
    const files = new Map<string, string>();
    const phases = offlineRound(files, { kind: 'generate', text: request, history: [] });
    expect(phases.at(-1)?.lastPhase).toBe(true);
    const app = files.get('src/App.tsx') ?? '';
    expect(app).toMatch(/<h1[^>]*>[^<]+<\/h1>/);
    expect(app).toContain("Built by Lathe's offline model");
    expect(files.get('src/index.css')).toContain('@import "tailwindcss"');
  });

  it('a todo app takes two phases and has the labelled input and Add button', () => {
    const files = new Map<string, string>();
    const phases = offlineRound(files, { kind: 'generate', text: 'a todo app', history: [] });
    expect(phases.map((p) => p.name)).toEqual(['Core', 'Polish']);
    const todo = files.get('src/components/TodoApp.tsx') ?? '';
    expect(todo).toContain('placeholder="What needs doing?"');
    expect(todo).toMatch(/<button type="submit"[^>]*>\s*Add\s*<\/button>/);
    expect(files.get('src/lib/storage.ts')).toContain('window.localStorage.setItem');
    expect(files.get('src/App.tsx')).toContain('>Todo List</h1>');
  });

  it('the generic app shows what was asked', () => {
    const files = new Map<string, string>();
    offlineRound(files, { kind: 'generate', text: 'a recipe tracker for family dinners', history: [] });
    expect(files.get('src/App.tsx')).toContain('>Recipe Tracker</h1>');
    expect(files.get('src/components/MainPanel.tsx')).toContain('"a recipe tracker for family dinners"');
  });

  it('titles: "called X" wins, known kinds get their names', () => {
    expect(titleFor('a todo app called "Groceries"', 'todo')).toBe('Groceries');
    expect(titleFor('build me a pomodoro timer', 'pomodoro')).toBe('Pomodoro Timer');
    expect(buildApp('a calculator').title).toBe('Calculator');
    expect(titleFor('build me a habit tracker app with streaks', 'generic')).toBe('Habit Tracker');
    expect(titleFor('!!!', 'generic')).toBe('My App');
  });

  it('follow-ups make visible changes to App.tsx: title, dark mode, a new section', () => {
    const files = new Map<string, string>();
    offlineRound(files, { kind: 'generate', text: 'a todo app', history: [] });
    offlineRound(files, { kind: 'message', text: 'change the title to Shopping List', history: ['a todo app'] });
    expect(files.get('src/App.tsx')).toContain('>Shopping List</h1>');
    offlineRound(files, { kind: 'message', text: 'make it dark', history: ['a todo app', 'change the title to Shopping List'] });
    expect(files.get('src/App.tsx')).toContain('bg-gradient-to-b dark from-slate-950');
    offlineRound(files, { kind: 'message', text: 'add a section about pricing', history: ['a todo app'] });
    expect(files.get('src/App.tsx')).toContain('{"add a section about pricing"}');
    expect(files.get('src/App.tsx')).toContain('>Shopping List</h1>');
  });

  it('says it is the offline model when asked anything else', () => {
    expect(offlineAnswer([{ role: 'user', content: 'hello' }], null)).toMatch(/offline model/);
  });
});
