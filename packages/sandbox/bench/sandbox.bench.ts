/**
 * Sandbox figures, per provider (run with Bun, like the API: `bun packages/sandbox/bench/sandbox.bench.ts`):
 * - cold ready: new project → dev server answering, local with no template store (npm installs it
 *   from the shared cache), Docker as the first container of a fresh provider;
 * - warm ready: the same with the store / image already in use;
 * - HMR: file write → Vite `update` message on a connected HMR websocket;
 * - idle RSS of one local project (dev server process group) after it settled.
 * Prints medians; the last line is one JSON object. Env: BENCH_RUNS (default 5), BENCH_SKIP_DOCKER=1.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { createSandboxProvider, type Sandbox, type SandboxKind, type SandboxProvider } from '../src/index';
import { connectHmr, processesIn } from '../test/helpers';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const COLD_RUNS = Math.max(1, Math.min(3, RUNS));
const dataDir = mkdtempSync(join(tmpdir(), 'lathe-bench-'));
let seq = 0;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  const v = s.length % 2 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
  return Math.round(v);
}

const providers: SandboxProvider[] = [];

function provider(kind: SandboxKind, ports: [number, number]): SandboxProvider {
  const p = createSandboxProvider({ kind, dataDir, portRange: ports });
  providers.push(p);
  return p;
}

async function timeReady(p: SandboxProvider): Promise<{ ms: number; sb: Sandbox; id: string }> {
  const id = `bench-${process.pid}-${seq++}`;
  const t0 = performance.now();
  const sb = await p.create(id);
  await sb.startDevServer();
  return { ms: performance.now() - t0, sb, id };
}

async function hmrTimes(sb: Sandbox): Promise<number[]> {
  const { url } = await sb.startDevServer();
  const hmr = await connectHmr(url);
  await fetch(`${url}/src/App.tsx`).then((r) => r.text());
  const app = await sb.readFile('src/App.tsx');
  const times: number[] = [];
  try {
    for (let i = 0; i < RUNS; i++) {
      // Past Vite's per-file change throttle, so the sandbox's own write spacing is not measured.
      await new Promise((res) => setTimeout(res, 100));
      const update = hmr.next((m) => m.type === 'update' && (m.updates ?? []).some((u) => u.path === '/src/App.tsx'));
      const t0 = performance.now();
      await sb.writeFiles([{ path: 'src/App.tsx', content: app.replace('Your app is being built', `Edit ${i}`) }]);
      await update;
      times.push(performance.now() - t0);
      // The browser would re-fetch the module; doing the same keeps it in Vite's module graph.
      await fetch(`${url}/src/App.tsx`).then((r) => r.text());
    }
  } finally {
    hmr.close();
  }
  return times;
}

function rssMb(pids: number[]): number {
  let kb = 0;
  for (const pid of pids) {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      kb += Number(m?.[1] ?? 0);
    } catch {
      // Exited meanwhile.
    }
  }
  return Math.round(kb / 1024);
}

async function benchLocal() {
  const cold: number[] = [];
  for (let i = 0; i < COLD_RUNS; i++) {
    rmSync(join(dataDir, 'templates'), { recursive: true, force: true });
    const p = provider('local', [44000, 44099]);
    const r = await timeReady(p);
    cold.push(r.ms);
    await p.destroy(r.id);
    await p.shutdown();
  }
  const p = provider('local', [44100, 44199]);
  const warm: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const r = await timeReady(p);
    warm.push(r.ms);
    await p.destroy(r.id);
  }
  const r = await timeReady(p);
  const hmr = await hmrTimes(r.sb);
  await new Promise((res) => setTimeout(res, 5000));
  const idle = rssMb(processesIn(join(dataDir, 'projects', r.id)));
  await p.destroy(r.id);
  await p.shutdown();
  console.log(
    `local: cold ready ${cold.map(Math.round).join(', ')} ms; warm ready ${warm.map(Math.round).join(', ')} ms; HMR ${hmr.map(Math.round).join(', ')} ms; idle RSS ${idle} MB`,
  );
  return { cold: median(cold), warm: median(warm), hmr: median(hmr), idle };
}

async function benchDocker() {
  const docker = new Docker();
  const cold: number[] = [];
  for (let i = 0; i < COLD_RUNS; i++) {
    const p = provider('docker', [44200, 44299]);
    const r = await timeReady(p);
    cold.push(r.ms);
    await p.destroy(r.id);
    await p.shutdown();
  }
  const p = provider('docker', [44300, 44399]);
  const keep = await timeReady(p);
  const warm: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const r = await timeReady(p);
    warm.push(r.ms);
    await p.destroy(r.id);
  }
  const hmr = await hmrTimes(keep.sb);
  await new Promise((res) => setTimeout(res, 5000));
  const [info] = await docker.listContainers({ filters: { label: [`lathe.project=${keep.id}`] } });
  const stats = await docker.getContainer(info?.Id ?? '').stats({ stream: false });
  const idle = Math.round((stats.memory_stats.usage ?? 0) / 1024 / 1024);
  await p.destroy(keep.id);
  await p.shutdown();
  console.log(
    `docker: cold ready ${cold.map(Math.round).join(', ')} ms; warm ready ${warm.map(Math.round).join(', ')} ms; HMR ${hmr.map(Math.round).join(', ')} ms; idle container memory ${idle} MB`,
  );
  return { cold: median(cold), warm: median(warm), hmr: median(hmr), idle };
}

try {
  const local = await benchLocal();
  const docker = process.env.BENCH_SKIP_DOCKER === '1' ? null : await benchDocker();
  console.log(
    JSON.stringify({
      local_cold_ready_ms: local.cold,
      local_warm_ready_ms: local.warm,
      docker_cold_ready_ms: docker?.cold ?? null,
      docker_warm_ready_ms: docker?.warm ?? null,
      local_hmr_ms: local.hmr,
      docker_hmr_ms: docker?.hmr ?? null,
      local_idle_rss_mb: local.idle,
      docker_idle_mem_mb: docker?.idle ?? null,
    }),
  );
} finally {
  // Nothing is left behind, even when a step failed.
  for (const p of providers) {
    for (const id of await p.list()) await p.destroy(id);
    await p.shutdown();
  }
  rmSync(dataDir, { recursive: true, force: true });
}
