import { heredoc, phaseJson, type ScriptedModel, startScriptedModel } from '@lathe/agent';
import type { AgentEvent, ServerFrame } from '@lathe/protocol';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiProcess, client, FrameSocket, previewLogin, requestWithHost, signUp, socketUrl, type TestUser } from './helpers';

const WORKING_APP = `import { Greeting } from './Greeting';\n\nexport default function App() {\n  return (\n    <main>\n      <h1>WORKING_APP</h1>\n      <Greeting />\n    </main>\n  );\n}\n`;
const GREETING = `export function Greeting() {\n  return <p>Hello from the greeting</p>;\n}\n`;
const EDITED_APP = WORKING_APP.replace('WORKING_APP', 'WORKING_APP_EDITED');
const BROKEN_APP = `import { Broken } from './Broken';\n\nexport default function App() {\n  return (\n    <main>\n      <h1>BROKEN_APP</h1>\n      <Broken />\n    </main>\n  );\n}\n`;
const BROKEN = `export function Broken() {\n  return <p>BROKEN_PART</p>;\n}\n`;
const EXTRA = `export function Extra() {\n  return <p>Extra</p>;\n}\n`;

/** The text of one section of a prompt: from its heading to the next blank-line-separated heading. */
function section(prompt: string, heading: string): string {
  const start = prompt.indexOf(heading);
  if (start === -1) return '';
  const end = prompt.indexOf('\nDependencies:', start);
  return prompt.slice(start, end === -1 ? undefined : end);
}

describe('version history: phases, edit bursts, restore, ZIP, authorization', () => {
  let model: ScriptedModel;
  let api: ApiProcess;
  let owner: TestUser;
  let other: TestUser;
  let projectId: string;
  let socket: FrameSocket;

  const http = () => client(api, owner.cookie);
  const id = () => ({ params: { path: { id: projectId } } });
  const versions = async () => (await http().GET('/api/projects/{id}/versions', id())).data ?? [];
  const storedFiles = async (): Promise<Record<string, string>> => {
    const out: Record<string, string> = {};
    for (const f of (await http().GET('/api/projects/{id}/files', id())).data ?? []) {
      const read = await http().GET('/api/projects/{id}/file', { params: { path: { id: projectId }, query: { path: f.path } } });
      out[f.path] = read.data?.content ?? '';
    }
    return out;
  };
  const roundEnd = (after: number) => (f: ServerFrame) =>
    f.frame === 'event' && f.event.seq > after && (f.event.type === 'generation_complete' || f.event.type === 'error');
  const lastSeq = () => socket.events().at(-1)?.seq ?? 0;

  beforeAll(async () => {
    model = await startScriptedModel({
      script: [
        { role: 'designer', kind: 'reply', content: phaseJson(['src/App.tsx', 'src/Greeting.tsx'], 'Greeting page') },
        { role: 'implementer', kind: 'reply', content: `${heredoc('src/App.tsx', WORKING_APP)}${heredoc('src/Greeting.tsx', GREETING)}` },
        { role: 'designer', kind: 'reply', content: phaseJson(['src/App.tsx', 'src/Broken.tsx'], 'Broken feature') },
        { role: 'implementer', kind: 'reply', content: `${heredoc('src/App.tsx', BROKEN_APP)}${heredoc('src/Broken.tsx', BROKEN)}` },
        { role: 'designer', kind: 'reply', content: phaseJson(['src/Extra.tsx'], 'Extra part') },
        // Held after the file's header line: the agent is writing src/Extra.tsx until released.
        { role: 'implementer', kind: 'hold', afterChars: 40, content: heredoc('src/Extra.tsx', EXTRA) },
      ],
    });
    api = await ApiProcess.start({
      LATHE_LLM_BASE_URL: model.url,
      LATHE_LLM_API_KEY: 'test-key',
      LATHE_MODEL: 'scripted',
      LATHE_CHROMIUM_PATH: 'none',
      LATHE_FIX_ROUNDS: '0',
    });
    owner = await signUp(api, 'history-owner');
    other = await signUp(api, 'history-other');
    const project = (await http().POST('/api/projects', { body: { prompt: 'A greeting page', start: false } })).data;
    if (!project) throw new Error('no project');
    projectId = project.id;
    socket = new FrameSocket(socketUrl(api, projectId), { cookie: owner.cookie });
    await socket.opened;
    await socket.next((f) => f.frame === 'snapshot');
  });

  afterAll(async () => {
    socket?.close();
    await api?.dispose();
    await model?.close();
  });

  it('records a version per phase, and one per burst of user edits', async () => {
    socket.send({ type: 'generate', description: 'A greeting page' });
    expect(await socket.next(roundEnd(0), 170_000)).toMatchObject({ event: { type: 'generation_complete' } });
    const afterRound1 = await versions();
    expect(afterRound1).toHaveLength(1);
    expect(afterRound1[0]).toMatchObject({
      seq: 1,
      kind: 'phase',
      label: 'Greeting page',
      round: 1,
      changes: { added: ['src/App.tsx', 'src/Greeting.tsx'], modified: [], deleted: [] },
    });

    // Two saves in a row are one burst: one version that moves on.
    for (const [path, content] of [
      ['src/App.tsx', EDITED_APP],
      ['notes.md', '# my notes\n'],
    ] as const) {
      const put = await http().PUT('/api/projects/{id}/file', { ...id(), body: { path, content } });
      expect(put.response.status).toBe(200);
    }
    const afterEdits = await versions();
    expect(afterEdits.map((v) => `${v.seq}:${v.kind}`)).toEqual(['2:edit', '1:phase']);
    expect(afterEdits[0]).toMatchObject({
      label: 'Edited src/App.tsx, notes.md',
      changes: { added: ['notes.md'], modified: ['src/App.tsx'], deleted: [] },
      fileCount: 3,
    });
    const told = () => socket.events().filter(isVersionEvent);
    await expect.poll(() => told().map((e) => e.payload.version.seq)).toEqual([1, 2, 2]);

    // Saves while typing (the editor saves 700 ms after each pause) do not flood the sockets or
    // the event log: within the announce window the burst waits, then its latest state is told once.
    for (const content of ['# my notes\n1\n', '# my notes\n2\n', '# my notes\n3\n', '# my notes\n']) {
      const put = await http().PUT('/api/projects/{id}/file', { ...id(), body: { path: 'notes.md', content } });
      expect(put.response.status).toBe(200);
    }
    expect(told()).toHaveLength(3);
    await expect.poll(() => told().length, { timeout: 10_000 }).toBe(4);
    await new Promise((r) => setTimeout(r, 6_000));
    expect(told().map((e) => e.payload.version.seq)).toEqual([1, 2, 2, 2]);
    const latest = told().at(-1)?.payload.version;
    expect(latest?.updatedAt).toBe((await versions())[0]?.updatedAt);
  });

  it('a breaking follow-up, then restore: the exact files come back (later files removed), in the sandbox too, as a new version', async () => {
    const before = lastSeq();
    socket.send({ type: 'message', text: 'Add the broken feature' });
    expect(await socket.next(roundEnd(before), 170_000)).toMatchObject({ event: { type: 'generation_complete' } });
    expect(Object.keys(await storedFiles()).sort()).toEqual(['notes.md', 'src/App.tsx', 'src/Broken.tsx', 'src/Greeting.tsx']);
    const phase2 = (await versions())[0];
    expect(phase2).toMatchObject({ seq: 3, kind: 'phase', label: 'Broken feature', round: 2 });

    // The version's files compared with now.
    const detail = await http().GET('/api/projects/{id}/versions/{seq}', { params: { path: { id: projectId, seq: 2 } } });
    expect(detail.data?.files.map((f) => `${f.status} ${f.path}`)).toEqual([
      'unchanged notes.md',
      'modified src/App.tsx',
      'added src/Broken.tsx',
      'unchanged src/Greeting.tsx',
    ]);
    const old = await http().GET('/api/projects/{id}/versions/{seq}/file', {
      params: { path: { id: projectId, seq: 2 }, query: { path: 'src/App.tsx' } },
    });
    expect(old.data).toMatchObject({ seq: 2, path: 'src/App.tsx', content: EDITED_APP });

    const preview = await previewLogin(api, owner.cookie, projectId);
    const servedApp = async () => (await requestWithHost(api, preview.host, '/src/App.tsx', { cookie: preview.cookie })).body;
    expect(await servedApp()).toContain('BROKEN_APP');

    const restoreAt = lastSeq();
    const restored = await http().POST('/api/projects/{id}/versions/{seq}/restore', { params: { path: { id: projectId, seq: 2 } } });
    expect(restored.response.status).toBe(200);
    expect(restored.data).toMatchObject({
      version: { seq: 4, kind: 'restore', restoredFrom: 2, label: 'Restored version 2' },
      written: ['src/App.tsx'],
      deleted: ['src/Broken.tsx'],
    });
    expect(await storedFiles()).toEqual({ 'notes.md': '# my notes\n', 'src/App.tsx': EDITED_APP, 'src/Greeting.tsx': GREETING });
    expect((await versions()).map((v) => `${v.seq}:${v.kind}`)).toEqual(['4:restore', '3:phase', '2:edit', '1:phase']);
    const event = await socket.next((f) => f.frame === 'event' && f.event.seq > restoreAt && isVersionEvent(f.event));
    expect(event).toMatchObject({ event: { payload: { version: { seq: 4 }, written: ['src/App.tsx'], deleted: ['src/Broken.tsx'] } } });

    // The dev server serves the restored module (the sandbox got the files; Vite picks them up).
    let served = await servedApp();
    for (let i = 0; i < 60 && !served.includes('WORKING_APP_EDITED'); i++) {
      await new Promise((r) => setTimeout(r, 500));
      served = await servedApp();
    }
    expect(served).toContain('WORKING_APP_EDITED');
    expect(served).not.toContain('BROKEN_APP');

    // The restore is a commit in the project's git repository too, after the phases' commits.
    let commits: string[] = [];
    for (let i = 0; i < 40 && !commits.includes('Restored version 2'); i++) {
      const git = await fetch(`${api.url}/api/projects/${projectId}/git`, { headers: { cookie: owner.cookie } });
      commits = ((await git.json()) as { commits: { message: string }[] }).commits.map((c) => c.message);
      if (!commits.includes('Restored version 2')) await new Promise((r) => setTimeout(r, 250));
    }
    expect(commits[0]).toBe('Restored version 2');
    expect(commits.some((m) => m.startsWith('Phase '))).toBe(true);

    // The broken round stays in the history: restoring it is just another version.
    const zip = await fetch(`${api.url}/api/projects/${projectId}/versions/3/download`, { headers: { cookie: owner.cookie } });
    expect(zip.status).toBe(200);
    expect(zip.headers.get('content-disposition')).toMatch(/filename=".*-v3\.zip"/);
    const entries = unzipSync(new Uint8Array(await zip.arrayBuffer()));
    const names = Object.keys(entries).map((n) => n.replace(/^[^/]+\//, ''));
    expect(names.sort()).toEqual(['notes.md', 'src/App.tsx', 'src/Broken.tsx', 'src/Greeting.tsx']);
    const brokenApp = Object.entries(entries).find(([n]) => n.endsWith('/src/App.tsx'))?.[1];
    expect(new TextDecoder().decode(brokenApp)).toBe(BROKEN_APP);
  });

  it("another user's versions, restore and ZIP are 404, like a project that does not exist", async () => {
    const base = `${api.url}/api/projects/${projectId}`;
    const asStranger = (path: string, method = 'GET') => fetch(`${base}${path}`, { method, headers: { cookie: other.cookie } });
    const responses = [
      await asStranger('/versions'),
      await asStranger('/versions/1'),
      await asStranger('/versions/1/file?path=src%2FApp.tsx'),
      await asStranger('/versions/1/restore', 'POST'),
      await asStranger('/versions/1/download'),
    ];
    for (const res of responses) {
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({ error: { code: 'not_found', message: 'project not found' } });
    }
    // Nothing changed for the owner; an unknown version of their own project is a 404 too.
    expect((await versions())[0]?.seq).toBe(4);
    const missing = await http().POST('/api/projects/{id}/versions/{seq}/restore', { params: { path: { id: projectId, seq: 99 } } });
    expect(missing.response.status).toBe(404);
    expect(missing.error).toEqual({ error: { code: 'not_found', message: 'version 99 not found' } });
  });

  it('refuses a restore while a round runs (409), and the next round starts from the restored files', async () => {
    const before = lastSeq();
    socket.send({ type: 'message', text: 'Add an extra part' });
    await socket.next((f) => f.frame === 'event' && f.event.seq > before && f.event.type === 'file_start', 120_000);
    const busy = await http().POST('/api/projects/{id}/versions/{seq}/restore', { params: { path: { id: projectId, seq: 1 } } });
    expect(busy.response.status).toBe(409);
    expect(busy.error).toEqual({ error: { code: 'busy', message: expect.stringContaining('working') } });
    model.release();
    expect(await socket.next(roundEnd(before), 170_000)).toMatchObject({ event: { type: 'generation_complete' } });

    const implementer = model.requests.filter((r) => r.role === 'implementer').at(-1);
    const prompt = (implementer?.messages ?? []).map((m) => (typeof m.content === 'string' ? m.content : '')).join('\n');
    const tree = section(prompt, 'Project files:');
    expect(tree).toContain('App.tsx');
    expect(tree).toContain('Greeting.tsx');
    expect(tree).not.toContain('Broken.tsx');
    expect(prompt).toContain('WORKING_APP_EDITED');
    expect(await storedFiles()).toEqual({
      'notes.md': '# my notes\n',
      'src/App.tsx': EDITED_APP,
      'src/Extra.tsx': EXTRA,
      'src/Greeting.tsx': GREETING,
    });
    expect((await versions()).map((v) => `${v.seq}:${v.kind}`)).toEqual(['5:phase', '4:restore', '3:phase', '2:edit', '1:phase']);
  });
});

function isVersionEvent(e: AgentEvent): e is Extract<AgentEvent, { type: 'version_created' }> {
  return e.type === 'version_created';
}
