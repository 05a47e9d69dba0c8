import type { AgentEvent } from '@lathe/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OfflineModel, startOfflineModel } from '../src/offline/server';
import { createProject, type Harness, startHarness, storedFiles, waitForEvent } from './helpers/harness';
import { offlineRound } from './helpers/offline-round';
import { PORTS } from './helpers/sandbox';

const TODO_FILES = (() => {
  const files = new Map<string, string>();
  offlineRound(files, { kind: 'generate', text: 'a todo app', history: [] });
  return files;
})();

const states = (events: AgentEvent[]) => events.flatMap((e) => (e.type === 'state_change' ? [e.payload.to] : []));

describe('CodeGeneratorAgent with the offline model, a real database and a real local sandbox', () => {
  let h: Harness;
  let model: OfflineModel;

  beforeAll(async () => {
    h = await startHarness([...PORTS.integration]);
    model = await startOfflineModel({ tokensPerSecond: 0 });
  });
  afterAll(async () => {
    await model?.close();
    await h?.close();
  });

  it('"a todo app" runs through every phase, serves the app and type-checks; a follow-up changes the title', async () => {
    const p = await createProject(h, model.url);
    try {
      await p.agent.generate('a todo app');
      await p.agent.whenIdle();
      const state = p.agent.getState();
      expect(state.lastError).toBeNull();
      expect(state.state).toBe('COMPLETE');
      expect(states(p.events)).toEqual([
        'DESIGNING_PHASE',
        'IMPLEMENTING_PHASE',
        'INSTALLING_DEPS',
        'STARTING_SERVER',
        'DESIGNING_PHASE',
        'IMPLEMENTING_PHASE',
        'INSTALLING_DEPS',
        'STARTING_SERVER',
        'REVIEWING',
        'COMPLETE',
      ]);
      expect(state.phases.map((x) => [x.spec?.name, x.status])).toEqual([
        ['Core', 'done'],
        ['Polish', 'done'],
      ]);

      // Every event was persisted with consecutive seqs before subscribers saw it.
      expect(p.events.map((e) => e.seq)).toEqual(p.events.map((_, i) => i + 1));
      expect(await h.repos.events.after(p.projectId, 0)).toEqual(p.events);
      const types = new Set(p.events.map((e) => e.type));
      for (const t of [
        'phase_designing',
        'phase_designed',
        'file_start',
        'file_chunk',
        'file_end',
        'files_written',
        'deps_installed',
        'server_started',
        'review_result',
        'message',
        'generation_complete',
        'llm_usage',
      ] as const) {
        expect(types.has(t)).toBe(true);
      }
      const review = p.events.filter((e) => e.type === 'review_result');
      expect(review.map((e) => e.payload)).toEqual([{ round: 0, errors: [], fixed: false }]);

      // The DB holds byte-exact files; the sandbox holds the same.
      const files = await storedFiles(h, p.projectId);
      expect(files).toEqual(TODO_FILES);
      for (const [path, content] of files) expect(await p.sandbox.readFile(path)).toBe(content);

      // Stored state, messages and phase snapshots.
      const stored = await h.repos.agentStates.load(p.projectId);
      expect(stored?.snapshot.state).toBe('COMPLETE');
      expect(stored?.snapshot.lastSeq).toBe(p.events.at(-1)?.seq);
      expect(stored?.snapshot.usage.completionTokens).toBeGreaterThan(0);
      // One usage event per model call (2 designs, 2 implementations), priced by the table: the offline model is free.
      const usage = p.events.flatMap((e) => (e.type === 'llm_usage' ? [e.payload] : []));
      expect(usage.map((u) => [u.role, u.model, u.costUsd])).toEqual([
        ['designer', 'lathe-offline', 0],
        ['implementer', 'lathe-offline', 0],
        ['designer', 'lathe-offline', 0],
        ['implementer', 'lathe-offline', 0],
      ]);
      expect(usage.reduce((n, u) => n + u.completionTokens, 0)).toBe(stored?.snapshot.usage.completionTokens);
      expect(stored?.snapshot.usage.costUsd).toBe(0);
      const messages = await h.repos.messages.list(p.projectId);
      expect(messages.map((m) => m.role)).toEqual(['user', 'assistant']);
      expect(messages[1]?.content).toContain('offline model');
      expect((await h.repos.snapshots.list(p.projectId)).map((s) => [s.round, s.phaseIndex])).toEqual([
        [1, 0],
        [1, 1],
      ]);

      // The dev server serves the app.
      const preview = state.previewUrl ?? '';
      const html = await (await fetch(preview)).text();
      expect(html).toContain('<div id="root">');
      const app = await (await fetch(new URL('/src/App.tsx', preview))).text();
      expect(app).toContain('Todo List');

      // tsc --noEmit and a production build pass on the generated project.
      const tsc = await p.sandbox.exec({ shell: 'node node_modules/typescript/bin/tsc --noEmit' });
      expect(tsc.stdout + tsc.stderr).toBe('');
      expect(tsc.exitCode).toBe(0);
      const build = await p.sandbox.exec({ shell: 'node node_modules/vite/bin/vite.js build' });
      expect(build.exitCode).toBe(0);

      // A follow-up: a new round on top of the existing files.
      await p.agent.message('change the title to Groceries');
      await p.agent.whenIdle();
      expect(p.agent.getState().state).toBe('COMPLETE');
      expect(p.agent.getState().round).toBe(2);
      const after = await storedFiles(h, p.projectId);
      expect(after.get('src/App.tsx')).toContain('>Groceries</h1>');
      expect(await (await fetch(new URL('/src/App.tsx', preview))).text()).toContain('Groceries');
      // The dev server's output reaches clients as log events: the follow-up was a hot update of App.tsx.
      await waitForEvent(p, (events) =>
        events.some((e) => e.type === 'log' && e.payload.source === 'dev' && e.payload.text.includes('hmr update /src/App.tsx')),
      );
    } finally {
      await p.destroy();
    }
  });

  it('refuses a second round while one runs, and get_state reports the stored snapshot', async () => {
    const p = await createProject(h, model.url);
    try {
      await p.agent.generate('a counter');
      await expect(p.agent.generate('a notes app')).rejects.toMatchObject({ code: 'agent_busy' });
      // A resume while the round runs in this process does not start it twice.
      await p.agent.resume();
      await p.agent.whenIdle();
      expect(p.agent.getState().state).toBe('COMPLETE');
      expect((await h.repos.agentStates.load(p.projectId))?.snapshot).toEqual(p.agent.getState());
      expect(p.events.filter((e) => e.type === 'phase_designing')).toHaveLength(1);
      expect(p.events.filter((e) => e.type === 'file_end')).toHaveLength(4);
    } finally {
      await p.destroy();
    }
  });
});
