import { createHash } from 'node:crypto';
import type { AgentEvent } from '@lathe/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiProcess, client, FrameSocket, isEvent, signUp, socketUrl, type TestUser } from './helpers';

/** The final text of each file as a client that saw every event live assembles it from chunks. */
function assembled(events: AgentEvent[]): Map<string, string> {
  const open = new Map<string, string>();
  const done = new Map<string, string>();
  for (const e of events) {
    if (e.type === 'file_start') open.set(e.payload.path, '');
    else if (e.type === 'file_chunk') open.set(e.payload.path, (open.get(e.payload.path) ?? '') + e.payload.chunk);
    else if (e.type === 'file_end') done.set(e.payload.path, open.get(e.payload.path) ?? '');
    else if (e.type === 'file_deleted') done.delete(e.payload.path);
  }
  return done;
}

describe('event log hygiene on the real server: chunk compaction and the log ring', () => {
  let api: ApiProcess;
  let user: TestUser;
  const RING = 1;

  beforeAll(async () => {
    api = await ApiProcess.start({ LATHE_LOG_RING: String(RING) });
    user = await signUp(api, 'hygiene');
  });
  afterAll(async () => {
    await api?.dispose();
  });

  it('a finished round leaves no file chunks, and a client replaying after that still gets the right files', async () => {
    const http = client(api, user.cookie);
    const project = (await http.POST('/api/projects', { body: { prompt: 'A notes app', start: false } })).data;
    if (!project) throw new Error('no project');
    const readLog = async (): Promise<AgentEvent[]> => {
      const all: AgentEvent[] = [];
      for (let after = 0; ; ) {
        const page = (await http.GET('/api/projects/{id}/events', { params: { path: { id: project.id }, query: { after, limit: 1000 } } }))
          .data as AgentEvent[];
        all.push(...page);
        if (page.length < 1000) return all;
        after = page.at(-1)?.seq ?? after;
      }
    };

    const live = new FrameSocket(socketUrl(api, project.id), { cookie: user.cookie });
    await live.opened;
    live.send({ type: 'generate', description: 'A notes app with a list and an editor' });
    const end = await live.next((f) => isEvent('generation_complete')(f) || isEvent('error')(f), 170_000);
    expect(end).toMatchObject({ event: { type: 'generation_complete' } });
    await live.next((f) => f.frame === 'event' && f.event.type === 'state_change' && f.event.payload.to === 'COMPLETE');
    const seen = live.events();
    const chunksSeen = seen.filter((e) => e.type === 'file_chunk').length;
    expect(chunksSeen).toBeGreaterThan(0);
    const expected = assembled(seen);
    expect(expected.size).toBeGreaterThan(0);

    // Compaction runs in the background once the round has stopped.
    let log = await readLog();
    while (log.some((e) => e.type === 'file_chunk')) {
      await new Promise((r) => setTimeout(r, 100));
      log = await readLog();
    }
    const lastSeq = seen.at(-1)?.seq ?? 0;
    const upToEnd = log.filter((e) => e.seq <= lastSeq);
    // The table shrank: every chunk is gone, and only chunks (and log lines beyond the ring) went.
    expect(upToEnd.length).toBeLessThan(seen.length);
    const kept = (events: AgentEvent[]) => events.filter((e) => e.type !== 'file_chunk' && e.type !== 'log');
    expect(kept(upToEnd)).toEqual(kept(seen));
    // Seqs were not reused or renumbered.
    expect(log.map((e) => e.seq)).toEqual([...log.map((e) => e.seq)].sort((a, b) => a - b));

    // Every file's stored text is what the live client assembled, and matches the file_end it replays.
    const files = (await http.GET('/api/projects/{id}/files', { params: { path: { id: project.id } } })).data ?? [];
    for (const [path, content] of expected) {
      const file = (await http.GET('/api/projects/{id}/file', { params: { path: { id: project.id }, query: { path } } })).data;
      expect(file?.content, path).toBe(content);
      expect(files.find((f) => f.path === path)?.hash).toBe(createHash('sha256').update(content).digest('hex'));
    }

    // A client that dropped mid-round resumes after compaction: the round's file events replay
    // in order without chunks; each file_end's hash and size name the stored file it should read.
    const firstStart = seen.find((e) => e.type === 'file_start')?.seq ?? 1;
    const resumed = new FrameSocket(socketUrl(api, project.id, `?after=${firstStart - 1}`), { cookie: user.cookie });
    await resumed.opened;
    await resumed.next((f) => isEvent('generation_complete')(f));
    const replay = resumed.events();
    expect(replay.some((e) => e.type === 'file_chunk')).toBe(false);
    const replaySeqs = replay.map((e) => e.seq);
    expect(replaySeqs).toEqual([...new Set(replaySeqs)].sort((a, b) => a - b));
    // Events may still land after the round (a version, the preview's state): read the log again.
    const logAfter = await readLog();
    expect(replaySeqs).toEqual(
      logAfter
        .filter((e) => e.seq >= firstStart)
        .map((e) => e.seq)
        .slice(0, replaySeqs.length),
    );
    const lastEnd = new Map<string, Extract<AgentEvent, { type: 'file_end' }>>();
    for (const e of replay) if (e.type === 'file_end') lastEnd.set(e.payload.path, e);
    expect(lastEnd.size).toBe(expected.size);
    for (const [path, e] of lastEnd) {
      const stored = files.find((f) => f.path === path);
      expect(stored?.hash, path).toBe(e.payload.hash);
      expect(stored?.size, path).toBe(e.payload.size);
    }

    // More dev-server output after the round: the user edits the app a few times (HMR lines,
    // each batch its own log event), so the log holds more log events than the ring keeps.
    const app = (await http.GET('/api/projects/{id}/file', { params: { path: { id: project.id }, query: { path: 'src/App.tsx' } } })).data;
    for (let i = 0; live.events().filter((e) => e.type === 'log').length <= RING + 1; i++) {
      if (i >= 40) throw new Error('the dev server logged nothing after edits');
      await http.PUT('/api/projects/{id}/file', {
        params: { path: { id: project.id } },
        body: { path: 'src/App.tsx', content: `${app?.content ?? ''}\n// edit ${i}\n` },
      });
      await new Promise((r) => setTimeout(r, 500));
    }
    // Log events form a ring of LATHE_LOG_RING (trimmed in the background as lines arrive).
    let logEvents = (await readLog()).filter((e) => e.type === 'log').length;
    while (logEvents > RING) {
      await new Promise((r) => setTimeout(r, 100));
      logEvents = (await readLog()).filter((e) => e.type === 'log').length;
    }
    expect(live.events().filter((e) => e.type === 'log').length).toBeGreaterThan(RING);

    for (const s of [live, resumed]) s.close();
  });
});
