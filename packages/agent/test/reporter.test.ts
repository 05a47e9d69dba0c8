import type { ProjectRow } from '@lathe/db';
import type { AgentEvent, NewEvent } from '@lathe/protocol';
import type { LogLine } from '@lathe/sandbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, createTestUser, type TestDatabase } from '../../../testing/db';
import { LogThrottle } from '../src/log-throttle';
import { LOG_BATCH_LINES } from '../src/outbox';
import { LOG_LINES_PER_SECOND, Reporter } from '../src/reporter';
import { type AgentStore, createDbAgentStore } from '../src/store';

/** A stream of dev-server lines the test pushes, ended by `end()`. */
function devOutput() {
  const lines: (LogLine | null)[] = [];
  let wake: (() => void) | null = null;
  return {
    push(text: string, stream: 'stdout' | 'stderr' = 'stdout') {
      lines.push({ source: 'dev', stream, text, time: Date.now() });
      wake?.();
    },
    end() {
      lines.push(null);
      wake?.();
    },
    async *logs(): AsyncGenerator<LogLine> {
      for (;;) {
        while (lines.length === 0) await new Promise<void>((r) => (wake = r));
        wake = null;
        const line = lines.shift();
        if (!line) return;
        yield line;
      }
    },
  };
}

async function until(test: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await test())) await new Promise((r) => setTimeout(r, 20));
}

describe('Reporter: dev-server output is batched and throttled', () => {
  let t: TestDatabase;
  let owner: string;
  beforeAll(async () => {
    t = await createTestDatabase('pglite');
    owner = await createTestUser(t.db);
  });
  afterAll(async () => {
    await t?.close();
  });

  /** A reporter on the real store, counting the transactions (appendEvents calls) it makes. */
  async function setUp() {
    const project: ProjectRow = await t.repos.projects.create({ ownerId: owner, name: 'Logs', initialPrompt: 'x', template: 'react-vite' });
    const store = createDbAgentStore(t.repos);
    let transactions = 0;
    const counting: AgentStore = {
      ...store,
      appendEvents(projectId: string, events: NewEvent[]) {
        transactions++;
        return store.appendEvents(projectId, events);
      },
    };
    const failures: unknown[] = [];
    const reporter = new Reporter(counting, project.id, { delivered: () => {}, failed: (e) => failures.push(e) });
    const delivered: AgentEvent[] = [];
    reporter.subscribe((e) => delivered.push(e));
    return { project, reporter, delivered, failures, transactions: () => transactions };
  }

  const logLines = (events: AgentEvent[]) => events.flatMap((e) => (e.type === 'log' ? e.payload.text.split('\n') : []));

  it('stores a burst of lines as a few log events in a few transactions, in order', async () => {
    const { project, reporter, delivered, failures, transactions } = await setUp();
    const out = devOutput();
    reporter.followDevLogs(out);
    const n = 150;
    for (let i = 0; i < n; i++) out.push(`line ${i}`);
    await until(() => logLines(delivered).length === n);
    await reporter.settled();
    expect(failures).toEqual([]);
    expect(logLines(delivered)).toEqual(Array.from({ length: n }, (_, i) => `line ${i}`));
    // One event per batch, not per line.
    expect(delivered.length).toBeLessThanOrEqual(Math.ceil(n / LOG_BATCH_LINES) + 2);
    expect(transactions()).toBe(delivered.length);
    expect(await t.repos.events.after(project.id, 0)).toEqual(delivered);
    out.end();
    reporter.close();
  });

  it('another event flushes queued lines first, so the log keeps the order things happened in', async () => {
    const { reporter, delivered } = await setUp();
    const line = (stream: 'stdout' | 'stderr', text: string): NewEvent => ({ type: 'log', payload: { source: 'dev', stream, text } });
    await reporter.emit(line('stdout', 'compiling'));
    await reporter.emit(line('stdout', 'compiled'));
    await reporter.emit(line('stderr', 'oops'));
    // Queued, not stored yet: they go out with the next event, ahead of it.
    expect(delivered).toEqual([]);
    await reporter.emit({ type: 'server_started', payload: { previewUrl: null } });
    expect(delivered.map((e) => (e.type === 'log' ? `${e.payload.stream}:${e.payload.text}` : e.type))).toEqual([
      'stdout:compiling\ncompiled',
      'stderr:oops',
      'server_started',
    ]);
    expect(delivered.map((e) => e.seq)).toEqual([1, 2, 3]);
    reporter.close();
  });

  it('keeps at most the per-second cap of a flood and says how many lines were dropped', async () => {
    const { project, reporter, delivered, failures } = await setUp();
    const out = devOutput();
    reporter.followDevLogs(out);
    const n = LOG_LINES_PER_SECOND * 4;
    for (let i = 0; i < n; i++) out.push(`noise ${i}`);
    const kept = () => logLines(delivered).filter((l) => l.startsWith('noise '));
    const dropped = () =>
      logLines(delivered)
        .map((l) => Number(/^… (\d+) log lines dropped/.exec(l)?.[1] ?? 0))
        .reduce((a, b) => a + b, 0);
    // Markers come when the throttle's one-second window ends; lines are read as they come, so a
    // slow machine may open a second window: count, do not time.
    await until(() => kept().length + dropped() === n);
    await reporter.settled();
    expect(failures).toEqual([]);
    expect(dropped()).toBeGreaterThan(0);
    expect(kept().length).toBeGreaterThanOrEqual(LOG_LINES_PER_SECOND);
    expect(kept()[0]).toBe('noise 0');
    expect(await t.repos.events.count(project.id)).toBe(delivered.length);
    out.end();
    reporter.close();
  });
});

describe('LogThrottle', () => {
  it('keeps the first N lines of each one-second window and counts the rest', () => {
    const th = new LogThrottle(3);
    const at = (ms: number) => th.admit(ms);
    expect([at(0), at(10), at(20), at(30), at(999)]).toEqual([true, true, true, false, false]);
    expect(th.windowEnd).toBe(1000);
    expect(th.takeDropped()).toBe(2);
    expect(th.takeDropped()).toBe(0);
    expect([at(1000), at(1001), at(1002), at(1003)]).toEqual([true, true, true, false]);
    expect(th.takeDropped()).toBe(1);
  });
});
