import type { AgentEvent } from '@lathe/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiProcess, client, FrameSocket, isEvent, signUp, socketUrl, type TestUser } from './helpers';

describe('project WebSocket: reconnect, several viewers, malformed input', () => {
  let api: ApiProcess;
  let user: TestUser;

  beforeAll(async () => {
    // A rate-limited offline model, so the generation is still running when the socket drops.
    api = await ApiProcess.start({ LATHE_OFFLINE_TOKENS_PER_SECOND: '1500' });
    user = await signUp(api, 'reconnect');
  });

  afterAll(async () => {
    await api?.dispose();
  });

  it('a socket dropped mid-generation resumes with afterSeq and gets every event exactly once, in order', async () => {
    const http = client(api, user.cookie);
    const project = (await http.POST('/api/projects', { body: { prompt: 'A notes app', start: false } })).data;
    if (!project) throw new Error('no project');

    const watcher = new FrameSocket(socketUrl(api, project.id), { cookie: user.cookie });
    const first = new FrameSocket(socketUrl(api, project.id), { cookie: user.cookie });
    await Promise.all([watcher.opened, first.opened]);
    first.send({ type: 'generate', description: 'A notes app with a list and an editor' });
    await first.next(isEvent('file_end'));
    first.ws.terminate();
    await first.closed;
    const seen = first.events();
    const lastSeq = seen.at(-1)?.seq ?? 0;
    expect(lastSeq).toBeGreaterThan(0);

    const second = new FrameSocket(socketUrl(api, project.id, `?after=${lastSeq}`), { cookie: user.cookie });
    await second.opened;
    const end = await second.next((f) => isEvent('generation_complete')(f) || isEvent('error')(f), 170_000);
    expect(end).toMatchObject({ event: { type: 'generation_complete' } });
    // It was really mid-generation: the second socket got events the first never saw.
    expect(second.events().length).toBeGreaterThan(0);

    // The socket that stayed got the very same stream.
    await watcher.next(isEvent('generation_complete'));
    const combined = [...seen, ...second.events()];
    const seqs = combined.map((e) => e.seq);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
    // Once the round has stopped its file chunks are compacted away in the background (the files
    // hold their text): wait for that, so the log read below is the one a replay serves.
    const readLog = async () =>
      (await http.GET('/api/projects/{id}/events', { params: { path: { id: project.id }, query: { after: 0, limit: 1000 } } }))
        .data as AgentEvent[];
    let log = await readLog();
    while (log.some((e) => e.type === 'file_chunk')) {
      await new Promise((r) => setTimeout(r, 100));
      log = await readLog();
    }
    const lastLogged = log.at(-1)?.seq ?? 0;
    // The dev server may still log after generation_complete, so each stream is compared with the
    // log as far as both reach; both reach at least generation_complete.
    const samePrefix = (events: AgentEvent[]) => {
      const reach = Math.min(events.at(-1)?.seq ?? 0, lastLogged);
      const upTo = (list: AgentEvent[]) => list.filter((e) => e.seq <= reach && e.type !== 'file_chunk');
      expect(upTo(events)).toEqual(upTo(log));
      expect(upTo(events).some((e) => e.type === 'generation_complete')).toBe(true);
    };
    samePrefix(combined);
    samePrefix(watcher.events());

    // resume {afterSeq} on an open socket replays from there, again exactly once and in order:
    // every event the log still holds, with holes only where chunks were compacted.
    const expected = log.filter((e) => e.seq > 5).map((e) => e.seq);
    const firstExpected = expected[0] ?? 0;
    const third = new FrameSocket(socketUrl(api, project.id, `?after=${lastLogged}`), { cookie: user.cookie });
    await third.opened;
    await third.next((f) => f.frame === 'snapshot');
    const mark = third.frames.length;
    const sinceResume = () => third.frames.slice(mark).flatMap((f) => (f.frame === 'event' ? [f.event.seq] : []));
    third.send({ type: 'resume', afterSeq: 5 });
    const replayedUpTo = () => {
      const seqs = sinceResume();
      return seqs.indexOf(firstExpected) >= 0 ? (seqs.at(-1) ?? 0) : 0;
    };
    await third.next(() => replayedUpTo() >= lastLogged);
    // The dev server may still log after generation_complete: a live event can reach the socket
    // between its snapshot and the server reading the resume. Such events come first and are newer
    // than the log we read; from the resume on, the stream is the log's seqs after 5, in order.
    const seqs3 = sinceResume();
    const from = seqs3.indexOf(firstExpected);
    expect(from).toBeGreaterThanOrEqual(0);
    for (const seq of seqs3.slice(0, from)) expect(seq).toBeGreaterThan(lastLogged);
    const replayed = seqs3.slice(from);
    expect(replayed.slice(0, expected.length)).toEqual(expected);
    const later = replayed.slice(expected.length);
    expect(later).toEqual([...new Set(later)].sort((a, b) => a - b));
    for (const seq of later) expect(seq).toBeGreaterThan(lastLogged);

    for (const s of [watcher, second, third]) s.close();
  });

  it('answers malformed messages with an error frame and keeps the socket open', async () => {
    const http = client(api, user.cookie);
    const project = (await http.POST('/api/projects', { body: { prompt: 'A clock', start: false } })).data;
    if (!project) throw new Error('no project');
    const socket = new FrameSocket(socketUrl(api, project.id), { cookie: user.cookie });
    await socket.opened;
    await socket.next((f) => f.frame === 'snapshot');
    for (const bad of [
      'not json',
      '{"type":"bogus"}',
      '{"type":"generate"}',
      JSON.stringify({ type: 'generate', description: 'x'.repeat(20_001) }),
      '[]',
    ]) {
      const before = socket.frames.length;
      socket.send(bad);
      const reply = await socket.next((f) => socket.frames.indexOf(f) >= before && f.frame === 'error');
      expect(reply).toMatchObject({ frame: 'error', error: { code: 'bad_message' } });
    }
    const before = socket.frames.length;
    socket.send({ type: 'get_state' });
    const snap = await socket.next((f) => socket.frames.indexOf(f) >= before && f.frame === 'snapshot');
    expect(snap).toMatchObject({ frame: 'snapshot', snapshot: { projectId: project.id, state: 'IDLE' } });
    socket.close();
  });
});
