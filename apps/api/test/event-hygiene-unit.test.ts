import type { AgentEvent, NewEvent } from '@lathe/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, createTestUser, type TestDatabase } from '../../../testing/db';
import { EventHygiene } from '../src/event-hygiene';

describe('EventHygiene on the real event log', () => {
  let tdb: TestDatabase;
  let owner: string;
  const logged: string[] = [];

  beforeAll(async () => {
    tdb = await createTestDatabase('pglite');
    owner = await createTestUser(tdb.db);
  });
  afterAll(async () => {
    await tdb?.close();
  });

  async function project(): Promise<string> {
    return (await tdb.repos.projects.create({ ownerId: owner, name: 'P', initialPrompt: 'x', template: 'react-vite' })).id;
  }

  /** Appends like an agent does and shows each stored event to the hygiene, as the manager does. */
  async function append(hygiene: EventHygiene, projectId: string, events: NewEvent[]): Promise<AgentEvent[]> {
    const stored = await tdb.repos.events.appendMany(projectId, events);
    for (const e of stored) hygiene.onEvent(e);
    return stored;
  }

  const log = (text: string): NewEvent => ({ type: 'log', payload: { source: 'dev', stream: 'stdout', text } });

  it('keeps a ring of log events, trimming every tenth of the ring', async () => {
    const id = await project();
    const hygiene = new EventHygiene(tdb.repos.events, 20, (line) => logged.push(line));
    for (let i = 0; i < 95; i++) await append(hygiene, id, [log(`line ${i}`)]);
    await hygiene.idle();
    const logs = (await tdb.repos.events.after(id, 0)).flatMap((e) => (e.type === 'log' ? [e.payload.text] : []));
    // The ring is 20; it is trimmed every 2 log events, so it never holds more than 20 + 1 between trims.
    expect(logs.length).toBeGreaterThanOrEqual(20);
    expect(logs.length).toBeLessThanOrEqual(21);
    expect(logs.at(-1)).toBe('line 94');
    expect(logs).toEqual(Array.from({ length: logs.length }, (_, i) => `line ${95 - logs.length + i}`));
    expect(logged).toEqual([]);
  });

  it('compacts file chunks when a round stops, not while it runs, and never another project', async () => {
    const id = await project();
    const other = await project();
    const hygiene = new EventHygiene(tdb.repos.events, 1000, (line) => logged.push(line));
    const file: NewEvent[] = [
      { type: 'file_start', payload: { phaseIndex: 0, path: 'a.ts' } },
      { type: 'file_chunk', payload: { path: 'a.ts', chunk: 'export ' } },
      { type: 'file_chunk', payload: { path: 'a.ts', chunk: 'const a = 1;\n' } },
      { type: 'file_end', payload: { phaseIndex: 0, path: 'a.ts', hash: 'h', size: 20 } },
    ];
    await append(hygiene, other, file);
    await append(hygiene, id, [{ type: 'state_change', payload: { from: 'IDLE', to: 'DESIGNING_PHASE' } }, ...file]);
    await append(hygiene, id, [{ type: 'state_change', payload: { from: 'DESIGNING_PHASE', to: 'IMPLEMENTING_PHASE' } }]);
    await hygiene.idle();
    expect(await tdb.repos.events.count(id)).toBe(6);
    await append(hygiene, id, [{ type: 'state_change', payload: { from: 'REVIEWING', to: 'COMPLETE' } }]);
    await hygiene.idle();
    expect((await tdb.repos.events.after(id, 0)).map((e) => `${e.seq}:${e.type}`)).toEqual([
      '1:state_change',
      '2:file_start',
      '5:file_end',
      '6:state_change',
      '7:state_change',
    ]);
    expect(await tdb.repos.events.count(other)).toBe(4);
    // A cancelled or failed round is compacted too.
    await append(hygiene, other, [{ type: 'state_change', payload: { from: 'IMPLEMENTING_PHASE', to: 'CANCELLED' } }]);
    await hygiene.idle();
    expect(await tdb.repos.events.count(other)).toBe(3);
    expect(logged).toEqual([]);
  });
});
