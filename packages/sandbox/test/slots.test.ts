import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createSandboxProvider, sandboxConfigFromEnv } from '../src/index';
import { Slots } from '../src/slots';
import { errorCode } from './helpers';

describe('slots for heavy sandbox steps', () => {
  it('grants at most `size` at once, in arrival order, and each release frees one slot once', async () => {
    const slots = new Slots(2);
    const order: string[] = [];
    const a = await slots.acquire();
    const b = await slots.acquire();
    const c = slots.acquire().then((release) => {
      order.push('c');
      return release;
    });
    const d = slots.acquire().then((release) => {
      order.push('d');
      return release;
    });
    await Promise.resolve();
    expect(order).toEqual([]);
    expect(slots.queued).toBe(2);
    a();
    a(); // a second call must not free a second slot
    const releaseC = await c;
    await Promise.resolve();
    expect(order).toEqual(['c']);
    b();
    const releaseD = await d;
    expect(order).toEqual(['c', 'd']);
    releaseC();
    releaseD();
    // All free again: two immediate grants, the third waits.
    const [x, y] = [await slots.acquire(), await slots.acquire()];
    let third = false;
    const z = slots.acquire().then((r) => {
      third = true;
      return r;
    });
    await Promise.resolve();
    expect(third).toBe(false);
    x();
    (await z)();
    y();
  });

  it('a waiter that is cancelled leaves the queue; run() releases even when the work throws', async () => {
    const slots = new Slots(1);
    const held = await slots.acquire();
    const ctl = new AbortController();
    const waiting = slots.acquire(ctl.signal);
    ctl.abort();
    expect(await errorCode(waiting)).toBe('cancelled');
    expect(slots.queued).toBe(0);
    expect(await errorCode(slots.acquire(AbortSignal.abort()))).toBe('cancelled');
    held();
    await expect(
      slots.run(async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await slots.run(async () => 42)).toBe(42);
    expect(() => new Slots(0)).toThrow();
  });

  it('reads LATHE_SANDBOX_CONCURRENCY and refuses nonsense', () => {
    expect(sandboxConfigFromEnv({ LATHE_SANDBOX_CONCURRENCY: '3' }, '/tmp/x').heavySlots).toBe(3);
    expect(sandboxConfigFromEnv({}, '/tmp/x').heavySlots).toBeUndefined();
    for (const bad of ['0', '-1', '1.5', 'many']) {
      expect(() => sandboxConfigFromEnv({ LATHE_SANDBOX_CONCURRENCY: bad }, '/tmp/x')).toThrow(/LATHE_SANDBOX_CONCURRENCY/);
    }
  });

  it('with one slot, a second sandbox starts its dev server only after the first one serves', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'lathe-sbx-slots-'));
    const provider = createSandboxProvider({ kind: 'local', dataDir, portRange: [42300, 42399], heavySlots: 1 });
    try {
      const [a, b] = [await provider.create(`slots-a-${process.pid}`), await provider.create(`slots-b-${process.pid}`)];
      let aReadyAt = 0;
      const aStarted = a.startDevServer().then((r) => {
        aReadyAt = Date.now();
        return r;
      });
      const bStarted = b.startDevServer();
      const [ua, ub] = await Promise.all([aStarted, bStarted]);
      expect(ua.url).not.toBe(ub.url);
      const bFirstLine = b.recentLogs().find((l) => l.source === 'dev');
      expect(bFirstLine).toBeDefined();
      // B's dev server process printed nothing before A was serving: it was not running yet.
      expect(bFirstLine?.time ?? 0).toBeGreaterThanOrEqual(aReadyAt);
    } finally {
      for (const id of await provider.list()) await provider.destroy(id);
      await provider.shutdown();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 180_000);
});
