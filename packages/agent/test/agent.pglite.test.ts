import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OfflineModel, startOfflineModel } from '../src/offline/server';
import { createProject, type Harness, startHarness, storedFiles } from './helpers/harness';
import { offlineRound } from './helpers/offline-round';
import { PORTS } from './helpers/sandbox';

/** `npm start` with no DATABASE_URL runs on embedded PGlite: the agent must behave the same there. */
describe('CodeGeneratorAgent on PGlite', () => {
  let h: Harness;
  let model: OfflineModel;

  beforeAll(async () => {
    h = await startHarness([...PORTS.pglite], 'pglite');
    model = await startOfflineModel({ tokensPerSecond: 0 });
  });
  afterAll(async () => {
    await model?.close();
    await h?.close();
  });

  it('generates a calculator and a follow-up, with consecutive persisted events', async () => {
    const p = await createProject(h, model.url);
    try {
      await p.agent.generate('a calculator');
      await p.agent.whenIdle();
      await p.agent.message('make it dark');
      await p.agent.whenIdle();
      expect(p.agent.getState().state).toBe('COMPLETE');
      expect(p.events.map((e) => e.seq)).toEqual(p.events.map((_, i) => i + 1));
      expect(await h.repos.events.after(p.projectId, 0)).toEqual(p.events);
      const expected = new Map<string, string>();
      offlineRound(expected, { kind: 'generate', text: 'a calculator', history: [] });
      offlineRound(expected, { kind: 'message', text: 'make it dark', history: ['a calculator'] });
      expect(await storedFiles(h, p.projectId)).toEqual(expected);
      expect((await h.repos.agentStates.load(p.projectId))?.snapshot).toEqual(p.agent.getState());
    } finally {
      await p.destroy();
    }
  });
});
