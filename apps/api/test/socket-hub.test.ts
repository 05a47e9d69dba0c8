import type { AgentEvent, ServerFrame } from '@lathe/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, createTestUser, type TestDatabase } from '../../../testing/db';
import { CLOSE_SLOW_CONSUMER, type HubSocket, ProjectHub, type ProjectSocketData } from '../src/socket-hub';

/**
 * A socket as Bun hands it to the hub, recording what is sent. `drainPerSend` 0 models a client
 * that reads nothing, so the server-side buffer only grows.
 */
class RecordingSocket implements HubSocket {
  readonly frames: ServerFrame[] = [];
  buffered = 0;
  closed: { code?: number; reason?: string } | null = null;
  constructor(
    readonly data: ProjectSocketData,
    private readonly reads: boolean,
  ) {}
  send(data: string | Bun.BufferSource): number {
    const text = String(data);
    this.frames.push(JSON.parse(text) as ServerFrame);
    if (!this.reads) this.buffered += text.length;
    return text.length;
  }
  getBufferedAmount(): number {
    return this.buffered;
  }
  close(code?: number, reason?: string): void {
    this.closed = { code, reason };
  }
  events(): AgentEvent[] {
    return this.frames.flatMap((f) => (f.frame === 'event' ? [f.event] : []));
  }
}

describe('ProjectHub on the real event log', () => {
  let tdb: TestDatabase;
  let projectId: string;
  let hub: ProjectHub;
  const commands: string[] = [];

  const append = async (n: number): Promise<AgentEvent[]> => {
    const out: AgentEvent[] = [];
    for (let i = 0; i < n; i++) {
      const event = await tdb.repos.events.append(projectId, {
        type: 'log',
        payload: { source: 'agent', stream: 'stdout', text: `line ${i} ${'x'.repeat(200)}` },
      });
      hub.publish(event);
      out.push(event);
    }
    return out;
  };

  const socket = (afterSeq: number, reads = true) =>
    new RecordingSocket({ kind: 'project', projectId, userId: 'u', sessionId: 's', afterSeq }, reads);

  beforeAll(async () => {
    tdb = await createTestDatabase('postgres');
    const ownerId = await createTestUser(tdb.db);
    projectId = (await tdb.repos.projects.create({ ownerId, name: 'hub', initialPrompt: 'x', template: 'react-vite' })).id;
    hub = new ProjectHub(
      tdb.repos.events,
      {
        snapshotFrame: async () => ({
          frame: 'snapshot',
          snapshot: {
            projectId,
            state: 'IDLE',
            round: 0,
            phases: [],
            currentPhase: null,
            lastSeq: await tdb.repos.events.lastSeq(projectId),
            lastError: null,
            previewUrl: null,
            usage: { promptTokens: 0, completionTokens: 0 },
            offlineModel: true,
          },
        }),
        command: async (_socket, message) => {
          commands.push(message.type);
        },
      },
      16 * 1024,
      () => {},
    );
  });

  afterAll(async () => {
    await tdb?.close();
  });

  it('replays the log and joins the live stream without a gap or a duplicate, while events keep coming', async () => {
    await append(30);
    const sockets = [socket(0), socket(10), socket(29)];
    // Open while appending: every event is either in the replay or in the live queue.
    const appending = append(40);
    await Promise.all(sockets.map((s) => hub.open(s)));
    await appending;
    await append(5);
    const last = await tdb.repos.events.lastSeq(projectId);
    for (const s of sockets) {
      expect(s.frames[0]?.frame).toBe('snapshot');
      const seqs = s.events().map((e) => e.seq);
      const from = s.data.afterSeq + 1;
      expect(seqs).toEqual(Array.from({ length: last - from + 1 }, (_, i) => from + i));
    }
    expect(hub.viewerCount(projectId)).toBe(3);
    for (const s of sockets) hub.close(s);
    expect(hub.viewerCount(projectId)).toBe(0);
  });

  it('a client that stops reading gets a resume hint at its last delivered seq and is closed; the others carry on', async () => {
    const slow = socket(await tdb.repos.events.lastSeq(projectId), false);
    const fast = socket(await tdb.repos.events.lastSeq(projectId));
    await hub.open(slow);
    await hub.open(fast);
    await append(200);
    expect(slow.closed?.code).toBe(CLOSE_SLOW_CONSUMER);
    const hint = slow.frames.at(-1);
    expect(hint?.frame).toBe('resume_hint');
    const delivered = slow.events();
    expect(hint).toEqual({ frame: 'resume_hint', afterSeq: delivered.at(-1)?.seq });
    // It stopped early, while the fast client got all 200.
    expect(delivered.length).toBeLessThan(200);
    expect(fast.events()).toHaveLength(200);
    expect(fast.closed).toBeNull();
    expect(hub.viewerCount(projectId)).toBe(1);
    hub.close(fast);
  });

  it('answers malformed messages with an error frame and passes valid commands on', async () => {
    const s = socket(await tdb.repos.events.lastSeq(projectId));
    await hub.open(s);
    for (const bad of ['{', '{"type":"nope"}', '{"type":"resume","afterSeq":-1}', 'null']) {
      await hub.message(s, bad);
      expect(s.frames.at(-1)).toMatchObject({ frame: 'error', error: { code: 'bad_message' } });
    }
    await hub.message(s, JSON.stringify({ type: 'cancel' }));
    await hub.message(s, Buffer.from(JSON.stringify({ type: 'generate', description: 'hi' })));
    expect(commands).toEqual(['cancel', 'generate']);
    expect(s.closed).toBeNull();
    hub.close(s);
  });

  it('follows the shared log for projects another process runs', async () => {
    const follower = new ProjectHub(
      tdb.repos.events,
      { snapshotFrame: async () => ({ frame: 'error', error: { code: 'x', message: 'no snapshot here' } }), command: async () => {} },
      16 * 1024,
      () => {},
      { isLocal: () => false, intervalMs: 20 },
    );
    const from = await tdb.repos.events.lastSeq(projectId);
    const s = socket(from);
    await follower.open(s);
    // Appended by "another process": nothing calls publish on this hub.
    for (let i = 0; i < 5; i++)
      await tdb.repos.events.append(projectId, { type: 'log', payload: { source: 'agent', stream: 'stdout', text: `remote ${i}` } });
    while (s.events().length < 5) await new Promise((r) => setTimeout(r, 20));
    expect(s.events().map((e) => e.seq)).toEqual([from + 1, from + 2, from + 3, from + 4, from + 5]);
    follower.close(s);
  });

  it('keeps projects apart', async () => {
    const other = await tdb.repos.projects.create({
      ownerId: await createTestUser(tdb.db),
      name: 'b',
      initialPrompt: 'x',
      template: 'react-vite',
    });
    const s = socket(await tdb.repos.events.lastSeq(projectId));
    await hub.open(s);
    const foreign = await tdb.repos.events.append(other.id, {
      type: 'log',
      payload: { source: 'agent', stream: 'stdout', text: 'elsewhere' },
    });
    hub.publish(foreign);
    expect(s.events()).toEqual([]);
    hub.close(s);
  });
});
