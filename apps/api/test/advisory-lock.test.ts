import { randomBytes } from 'node:crypto';
import type { AgentEvent } from '@lathe/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiProcess, client, FrameSocket, signUp, socketUrl, type TestUser } from './helpers';

describe('two API processes on one database', () => {
  let a: ApiProcess;
  let b: ApiProcess;
  let user: TestUser;

  beforeAll(async () => {
    // Shared secrets, as two replicas behind one load balancer would have.
    const secrets = { BETTER_AUTH_SECRET: randomBytes(32).toString('hex'), LATHE_ENCRYPTION_KEY: randomBytes(32).toString('hex') };
    a = await ApiProcess.start({ ...secrets, LATHE_OFFLINE_TOKENS_PER_SECOND: '1000', LATHE_AGENT_IDLE_MS: '3000' });
    b = await ApiProcess.start({ ...secrets, LATHE_OFFLINE_TOKENS_PER_SECOND: '1000' }, a);
    user = await signUp(a, 'replicas');
  });

  afterAll(async () => {
    await b?.dispose();
    await a?.dispose();
  });

  it("never run the same project's agent; the lock passes on when its holder stops", async () => {
    const onA = client(a, user.cookie);
    const onB = client(b, user.cookie);
    const project = (await onA.POST('/api/projects', { body: { prompt: 'A timer app' } })).data;
    if (!project) throw new Error('no project');

    // The session and the project are visible from both processes.
    expect((await onB.GET('/api/projects/{id}', { params: { path: { id: project.id } } })).response.status).toBe(200);
    const fromB = await onB.POST('/api/projects/{id}/messages', { params: { path: { id: project.id } }, body: { text: 'Make it blue' } });
    expect(fromB.response.status).toBe(409);
    expect(fromB.error).toEqual({ error: { code: 'busy', message: expect.stringContaining('another server process') } });

    // A socket on B follows, live, the generation that A runs.
    const lastSeq = (await onB.GET('/api/projects/{id}/state', { params: { path: { id: project.id } } })).data?.lastSeq ?? 0;
    const watcher = new FrameSocket(socketUrl(b, project.id, `?after=${lastSeq}`), { cookie: user.cookie });
    await watcher.opened;
    const live = await watcher.next((f) => f.frame === 'event');
    expect(live.frame === 'event' && live.event.seq).toBeGreaterThan(lastSeq);

    // A still holds its agent right after the cancel; B keeps refusing until A lets go.
    await onA.POST('/api/projects/{id}/cancel', { params: { path: { id: project.id } } });
    const cancelled = await watcher.next(
      (f) => f.frame === 'event' && f.event.type === 'state_change' && f.event.payload.to === 'CANCELLED',
    );
    expect(cancelled.frame).toBe('event');
    // In order, no duplicates, nothing the log holds missed. B reads A's events by polling the
    // log, and the cancelled round's file chunks are compacted away at once: a chunk A stored
    // and deleted between two of B's polls is the only thing the watcher may not see.
    const seqs = watcher.events().map((e) => e.seq);
    expect(seqs).toEqual([...new Set(seqs)].sort((x, y) => x - y));
    expect(seqs[0]).toBe(lastSeq + 1);
    const upTo = cancelled.frame === 'event' ? cancelled.event.seq : 0;
    const logged = (
      (await onB.GET('/api/projects/{id}/events', { params: { path: { id: project.id }, query: { after: lastSeq, limit: 1000 } } }))
        .data as AgentEvent[]
    ).filter((e) => e.seq <= upTo);
    expect(seqs.filter((seq) => seq <= upTo)).toEqual(expect.arrayContaining(logged.map((e) => e.seq)));
    const missed = new Set(Array.from({ length: upTo - lastSeq }, (_, i) => lastSeq + 1 + i).filter((seq) => !seqs.includes(seq)));
    expect(logged.filter((e) => missed.has(e.seq))).toEqual([]);
    watcher.close();
    const stillA = await onB.POST('/api/projects/{id}/generate', { params: { path: { id: project.id } }, body: { description: 'Again' } });
    expect(stillA.response.status).toBe(409);

    // A evicts the idle agent (LATHE_AGENT_IDLE_MS) and releases the lock: B may take over.
    let afterEviction = 409;
    for (let attempt = 0; attempt < 60 && afterEviction === 409; attempt++) {
      await new Promise((r) => setTimeout(r, 500));
      const res = await onB.POST('/api/projects/{id}/generate', { params: { path: { id: project.id } }, body: { description: 'Again' } });
      afterEviction = res.response.status;
    }
    expect(afterEviction).toBe(202);
    await onB.POST('/api/projects/{id}/cancel', { params: { path: { id: project.id } } });

    // A process that stops releases its locks at once.
    const second = (await onA.POST('/api/projects', { body: { prompt: 'A second app' } })).data;
    if (!second) throw new Error('no project');
    const refused = await onB.POST('/api/projects/{id}/messages', { params: { path: { id: second.id } }, body: { text: 'Blue' } });
    expect(refused.response.status).toBe(409);
    await a.stop();
    // B takes the interrupted round over: it can cancel it and start a new one.
    expect((await onB.POST('/api/projects/{id}/cancel', { params: { path: { id: second.id } } })).response.status).toBe(202);
    const state = await onB.GET('/api/projects/{id}/state', { params: { path: { id: second.id } } });
    expect(state.data?.state).toBe('CANCELLED');
    const taken = await onB.POST('/api/projects/{id}/messages', { params: { path: { id: second.id } }, body: { text: 'Make it blue' } });
    expect(taken.response.status).toBe(202);
    await onB.POST('/api/projects/{id}/cancel', { params: { path: { id: second.id } } });
  });
});
