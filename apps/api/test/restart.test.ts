import type { AgentEvent, FileEntry } from '@lathe/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiProcess, client, FrameSocket, isEvent, signIn, signUp, socketUrl, type TestUser } from './helpers';

describe('restart: SIGKILL mid-generation, start again', () => {
  let api: ApiProcess;
  let user: TestUser;

  beforeAll(async () => {
    api = await ApiProcess.start({ LATHE_OFFLINE_TOKENS_PER_SECOND: '3000' });
    user = await signUp(api, 'restart');
  });

  afterAll(async () => {
    await api?.dispose();
  });

  it('resumes the generation, completes it, and loses no completed file', async () => {
    const http = client(api, user.cookie);
    const project = (await http.POST('/api/projects', { body: { prompt: 'A weather dashboard', start: false } })).data;
    if (!project) throw new Error('no project');
    const socket = new FrameSocket(socketUrl(api, project.id), { cookie: user.cookie });
    await socket.opened;
    socket.send({ type: 'generate', description: 'A weather dashboard with a city search' });
    // Kill once some files are complete but the round is not.
    await socket.next(() => socket.events().filter((e) => e.type === 'file_end').length >= 2);
    const before = ((await http.GET('/api/projects/{id}/files', { params: { path: { id: project.id } } })).data ?? []) as FileEntry[];
    api.signal('SIGKILL');
    await api.exit;
    const completed = socket.events().filter((e): e is Extract<AgentEvent, { type: 'file_end' }> => e.type === 'file_end');
    expect(completed.length).toBeGreaterThanOrEqual(2);
    expect(socket.events().some((e) => e.type === 'generation_complete')).toBe(false);
    const lastSeq = socket.events().at(-1)?.seq ?? 0;

    await api.launch();
    // The session survives the restart (it lives in the database).
    const cookie = user.cookie;
    const again = new FrameSocket(socketUrl(api, project.id, `?after=${lastSeq}`), { cookie });
    await again.opened;
    const end = await again.next((f) => isEvent('generation_complete')(f) || isEvent('error')(f), 170_000);
    expect(end).toMatchObject({ event: { type: 'generation_complete' } });

    const http2 = client(api, await signIn(api, user.email));
    const after = ((await http2.GET('/api/projects/{id}/files', { params: { path: { id: project.id } } })).data ?? []) as FileEntry[];
    for (const file of before)
      expect(
        after.map((f) => f.path),
        file.path,
      ).toContain(file.path);
    for (const end of completed)
      expect(
        after.map((f) => f.path),
        end.payload.path,
      ).toContain(end.payload.path);

    const log: AgentEvent[] = [];
    for (let cursor = 0; ; ) {
      const page = ((await http2.GET('/api/projects/{id}/events', { params: { path: { id: project.id }, query: { after: cursor } } }))
        .data ?? []) as AgentEvent[];
      log.push(...page);
      if (page.length < 1000) break;
      cursor = page.at(-1)?.seq ?? cursor;
    }
    // Seqs run in order with no duplicates; the only holes are file chunks compacted when the
    // round completed, and the sockets (before the kill and after the restart) saw each as a chunk.
    const seqs = log.map((e) => e.seq);
    expect(seqs).toEqual([...new Set(seqs)].sort((a, b) => a - b));
    const seen = new Map([...socket.events(), ...again.events()].map((e) => [e.seq, e.type]));
    const inLog = new Set(seqs);
    for (let seq = 1; seq <= (seqs.at(-1) ?? 0); seq++) if (!inLog.has(seq)) expect(seen.get(seq), `seq ${seq}`).toBe('file_chunk');
    const state = await http2.GET('/api/projects/{id}/state', { params: { path: { id: project.id } } });
    expect(state.data?.state).toBe('COMPLETE');
    again.close();
  });
});
