import { heredoc, phaseJson, type ScriptedModel, startScriptedModel } from '@lathe/agent';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiProcess, client, FrameSocket, isEvent, signUp, socketUrl, type TestUser } from './helpers';

describe('with a configured LLM (a scripted model over HTTP)', () => {
  let model: ScriptedModel;
  let api: ApiProcess;
  let user: TestUser;

  beforeAll(async () => {
    // The implementer stops mid-file until released: the agent is writing that file meanwhile.
    // A real model (not the offline one) gets no structured input: every answer is scripted.
    const notes = Array.from({ length: 20 }, (_, i) => `  // Step ${i + 1} of the counter's behaviour, described for the reader.\n`).join(
      '',
    );
    const counter = `export function Counter() {\n${notes}  return <p>0</p>;\n}\n`;
    const app =
      "import { Counter } from './Counter';\n\nexport default function App() {\n  return (\n    <main>\n      <h1>Counter</h1>\n      <Counter />\n    </main>\n  );\n}\n";
    model = await startScriptedModel({
      script: [
        { role: 'designer', kind: 'reply', content: phaseJson(['src/Counter.tsx', 'src/App.tsx'], 'Counter') },
        {
          role: 'implementer',
          kind: 'hold',
          afterChars: 400,
          content: `Here you go:\n\n${heredoc('src/Counter.tsx', counter)}${heredoc('src/App.tsx', app)}`,
        },
      ],
    });
    api = await ApiProcess.start({ LATHE_LLM_BASE_URL: model.url, LATHE_LLM_API_KEY: 'test-key', LATHE_MODEL: 'scripted' });
    user = await signUp(api, 'scripted');
  });

  afterAll(async () => {
    await api?.dispose();
    await model?.close();
  });

  it('refuses a user edit of the file the agent is writing (409 file_busy), accepts others, and finishes', async () => {
    const http = client(api, user.cookie);
    const models = await http.GET('/api/models');
    expect(models.data).toMatchObject({ offline: false, roles: { implementer: 'scripted' } });
    // The user's choice replaces the server's model for that role in their generations.
    const chosen = await http.PUT('/api/models', { body: { implementer: 'chosen/implementer' } });
    expect(chosen.data?.roles).toEqual({ designer: 'scripted', implementer: 'chosen/implementer', fixer: 'scripted' });

    const project = (await http.POST('/api/projects', { body: { prompt: 'A counter app', start: false } })).data;
    if (!project) throw new Error('no project');
    const socket = new FrameSocket(socketUrl(api, project.id), { cookie: user.cookie });
    await socket.opened;
    const snapshot = await socket.next((f) => f.frame === 'snapshot');
    expect(snapshot).toMatchObject({ snapshot: { offlineModel: false } });
    socket.send({ type: 'generate', description: 'A counter app' });

    // The stream is held mid-answer: some file has a file_start but will not get its file_end.
    let writing: string | null = null;
    while (writing === null) {
      const seen = socket.frames.length;
      const events = socket.events();
      const ended = new Set(events.flatMap((e) => (e.type === 'file_end' ? [e.payload.path] : [])));
      const open = events.flatMap((e) => (e.type === 'file_start' && !ended.has(e.payload.path) ? [e.payload.path] : [])).at(-1);
      const stored = open
        ? await http.GET('/api/projects/{id}/file', { params: { path: { id: project.id }, query: { path: open } } })
        : null;
      if (open && stored?.response.status === 404) writing = open;
      else await socket.next(() => socket.frames.length > seen);
    }
    const busy = await http.PUT('/api/projects/{id}/file', {
      params: { path: { id: project.id } },
      body: { path: writing, content: 'mine' },
    });
    expect(busy.response.status).toBe(409);
    expect(busy.error).toEqual({ error: { code: 'file_busy', message: expect.stringContaining(writing) } });
    const other = await http.PUT('/api/projects/{id}/file', {
      params: { path: { id: project.id } },
      body: { path: 'notes.md', content: '# mine\n' },
    });
    expect(other.response.status).toBe(200);

    const listed = await http.GET('/api/projects');
    expect(listed.data?.find((p) => p.id === project.id)?.status).toBe('generating');

    model.release();
    const end = await socket.next((f) => isEvent('generation_complete')(f) || isEvent('error')(f), 170_000);
    expect(end).toMatchObject({ event: { type: 'generation_complete' } });
    const usedModels = new Set(model.requests.map((r) => `${r.role}:${r.model}`));
    expect(usedModels.has('implementer:chosen/implementer')).toBe(true);
    expect(usedModels.has('designer:scripted')).toBe(true);
    expect([...usedModels].filter((m) => m.startsWith('implementer:'))).toEqual(['implementer:chosen/implementer']);
    const done = await http.GET('/api/projects/{id}', { params: { path: { id: project.id } } });
    expect(done.data?.status).toBe('ready');
    const note = await http.GET('/api/projects/{id}/file', { params: { path: { id: project.id }, query: { path: 'notes.md' } } });
    expect(note.data?.content).toBe('# mine\n');
    socket.close();
  });
});
