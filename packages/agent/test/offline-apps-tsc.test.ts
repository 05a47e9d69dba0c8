import type { Sandbox, SandboxProvider } from '@lathe/sandbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { offlineRound } from './helpers/offline-round';
import { PORTS, randomProjectId, testSandboxProvider } from './helpers/sandbox';

/** Every offline app, and its follow-up edits, type-checks against the real template. */
describe('offline apps pass tsc --noEmit in the template', () => {
  let provider: SandboxProvider;
  let sandbox: Sandbox;
  const id = randomProjectId('offline-apps');

  beforeAll(async () => {
    provider = testSandboxProvider([...PORTS.offlineApps]);
    sandbox = await provider.create(id);
  });
  afterAll(async () => {
    await provider.destroy(id);
    await provider.shutdown();
  });

  const apps = [
    'a todo app',
    'a notes app',
    'a counter',
    'a calculator',
    'a pomodoro timer',
    'a kanban board',
    'a recipe tracker with "quotes" {braces} <tags>',
  ];
  for (const request of apps) {
    it(request, async () => {
      const files = new Map<string, string>();
      offlineRound(files, { kind: 'generate', text: request, history: [] });
      await sandbox.writeFiles([...files].map(([path, content]) => ({ path, content })));
      expect(await sandbox.diagnostics()).toEqual([]);
    });
  }

  it('follow-ups on the todo app', async () => {
    const files = new Map<string, string>();
    offlineRound(files, { kind: 'generate', text: 'a todo app', history: [] });
    for (const text of ['change the title to "Chores {weekly}"', 'make it dark', 'add a "pricing" section with </div> in it']) {
      offlineRound(files, { kind: 'message', text, history: ['a todo app'] });
    }
    await sandbox.writeFiles([...files].map(([path, content]) => ({ path, content })));
    expect(await sandbox.diagnostics()).toEqual([]);
    expect(files.get('src/App.tsx')).toContain('>Chores weekly</h1>');
  });

  it('the check itself catches a type error', async () => {
    await sandbox.writeFiles([{ path: 'src/broken.ts', content: 'export const n: number = "not a number";\n' }]);
    const errors = await sandbox.diagnostics();
    expect(errors.some((d) => d.source === 'tsc' && d.file?.endsWith('src/broken.ts'))).toBe(true);
    await sandbox.deleteFile('src/broken.ts');
  });
});
