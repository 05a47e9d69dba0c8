/**
 * `npm run bench:api` (Bun): N projects generate at once on the zero-delay offline model while M
 * sockets watch; prints relay latency (event `at` → socket receive), events/s, server RSS/CPU,
 * then the memory of an idle agent. The last line is one JSON object.
 *
 * BENCH_GENERATIONS (default 10), BENCH_VIEWERS (default 2 × generations), BENCH_IDLE_AGENTS
 * (default 100), DATABASE_URL (default: a throw-away embedded PostgreSQL started here).
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AgentEvent, parseServerFrame } from '@lathe/protocol';
import { createSandboxProvider } from '@lathe/sandbox';
import WebSocket from 'ws';
import { apiServerEnv } from '../../../testing/api-env';
import { spawnApiServer, waitHealthy } from '../../../testing/api-server';
import { freePort } from '../../../testing/net';
import { type RunningPostgres, startEmbeddedPostgres } from '../../../testing/postgres';
import { loadConfig } from '../src/config';
import { createServer } from '../src/server';

const GENERATIONS = Number(process.env.BENCH_GENERATIONS ?? 10);
const VIEWERS = Number(process.env.BENCH_VIEWERS ?? GENERATIONS * 2);
const IDLE_AGENTS = Number(process.env.BENCH_IDLE_AGENTS ?? 100);
const SANDBOX_DIR = join(tmpdir(), 'lathe-api-test-sandboxes');
const CLK_TCK = 100;

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

async function signUp(url: string, origin: string): Promise<string> {
  const res = await fetch(`${url}/api/auth/sign-up/email`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin },
    body: JSON.stringify({ email: `bench-${Date.now()}-${Math.random()}@example.test`, password: 'correct horse battery', name: 'bench' }),
  });
  if (!res.ok) throw new Error(`sign-up: ${res.status} ${await res.text()}`);
  return res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
}

async function createProject(url: string, cookie: string, i: number): Promise<string> {
  const res = await fetch(`${url}/api/projects`, {
    method: 'POST',
    headers: { cookie, 'content-type': 'application/json' },
    body: JSON.stringify({ prompt: `App number ${i}`, start: false }),
  });
  if (res.status !== 201) throw new Error(`create: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { id: string }).id;
}

/** utime+stime of a process in seconds, and its RSS in MB. */
function procStats(pid: number): { cpuS: number; rssMb: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpuS = (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return { cpuS, rssMb: Number(rss?.[1] ?? 0) / 1024 };
}

/** A PostgreSQL for the run: DATABASE_URL, or an embedded server removed afterwards. */
function database(): Promise<RunningPostgres> {
  const given = process.env.DATABASE_URL?.trim();
  return given ? Promise.resolve({ url: given, stop: async () => {} }) : startEmbeddedPostgres({ name: 'api-bench', durable: true });
}

interface Viewer {
  ws: WebSocket;
  projectId: string;
}

async function relayRun(databaseUrl: string): Promise<{
  relay_p50_ms: number;
  relay_p99_ms: number;
  events_per_s: number;
  server_rss_mb: number;
  cpu_pct: number;
}> {
  const dataDir = await mkdtemp(join(tmpdir(), 'lathe-api-bench-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const origin = `http://localhost:${port}`;
  // Only what the server needs: an LLM key in this shell must not replace the zero-delay offline model.
  const env = apiServerEnv(
    { port, databaseUrl, dataDir },
    {
      LATHE_SANDBOX_DIR: SANDBOX_DIR,
      LATHE_OFFLINE_TOKENS_PER_SECOND: '0',
      LATHE_MAX_ACTIVE_GENERATIONS: String(GENERATIONS + 1),
      LATHE_GENERATIONS_PER_HOUR: String(GENERATIONS * 10),
      // One user runs every generation at once: no per-user quotas.
      LATHE_QUOTA_PROJECTS: '0',
      LATHE_QUOTA_SANDBOXES: '0',
      LATHE_WEB_DIST: join(dataDir, 'none'),
    },
  );
  const api = spawnApiServer(env);
  const { proc } = api;
  const pid = proc.pid ?? 0;
  const projects: string[] = [];
  try {
    await waitHealthy(api, port);
    const cookie = await signUp(url, origin);
    for (let i = 0; i < GENERATIONS; i++) projects.push(await createProject(url, cookie, i));

    const latencies: number[] = [];
    const byType = new Map<string, number[]>();
    const seen = new Map<string, number>();
    const completed = new Set<string>();
    let onComplete: () => void = () => {};
    const allDone = new Promise<void>((resolve) => {
      onComplete = resolve;
    });
    const viewers: Viewer[] = [];
    for (let i = 0; i < Math.max(VIEWERS, GENERATIONS); i++) {
      const projectId = projects[i % projects.length] ?? '';
      const ws = new WebSocket(`ws://127.0.0.1:${port}/api/projects/${projectId}/ws`, { headers: { cookie } });
      ws.on('message', (data) => {
        const now = Date.now();
        const parsed = parseServerFrame(data.toString());
        if (!parsed.ok || parsed.value.frame !== 'event') return;
        const event: AgentEvent = parsed.value.event;
        const latency = now - Date.parse(event.at);
        latencies.push(latency);
        byType.set(event.type, [...(byType.get(event.type) ?? []), latency]);
        seen.set(projectId, Math.max(seen.get(projectId) ?? 0, event.seq));
        if (event.type === 'generation_complete' || event.type === 'error') {
          completed.add(projectId);
          if (completed.size === projects.length) onComplete();
        }
      });
      await new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('error', reject);
      });
      viewers.push({ ws, projectId });
    }

    const before = procStats(pid);
    let peakRss = before.rssMb;
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, procStats(pid).rssMb);
    }, 250);
    const started = performance.now();
    for (const projectId of projects) {
      viewers.find((v) => v.projectId === projectId)?.ws.send(JSON.stringify({ type: 'generate', description: 'A todo list app' }));
    }
    await allDone;
    const seconds = (performance.now() - started) / 1000;
    clearInterval(sampler);
    const after = procStats(pid);
    for (const v of viewers) v.ws.close();

    latencies.sort((a, b) => a - b);
    const slowest = [...byType]
      .map(([type, values]) => ({
        type,
        p99: percentile(
          values.sort((a, b) => a - b),
          99,
        ),
        n: values.length,
      }))
      .sort((a, b) => b.p99 - a.p99)
      .slice(0, 4)
      .map((t) => `${t.type} p99 ${t.p99} ms (n=${t.n})`)
      .join(', ');
    const events = [...seen.values()].reduce((a, b) => a + b, 0);
    const cpuPct = ((after.cpuS - before.cpuS) / seconds) * 100;
    console.log(
      `relay: ${GENERATIONS} generations, ${viewers.length} viewers, ${events} events in ${seconds.toFixed(1)} s, ` +
        `${latencies.length} deliveries; p50 ${percentile(latencies, 50)} ms, p99 ${percentile(latencies, 99)} ms, max ${latencies.at(-1)} ms; ` +
        `server peak RSS ${peakRss.toFixed(0)} MB, CPU ${cpuPct.toFixed(0)}% of one core (sandboxes excluded); slowest: ${slowest}`,
    );
    return {
      relay_p50_ms: percentile(latencies, 50),
      relay_p99_ms: percentile(latencies, 99),
      events_per_s: Math.round(events / seconds),
      server_rss_mb: Math.round(peakRss),
      cpu_pct: Math.round(cpuPct),
    };
  } finally {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // gone
    }
    await new Promise((r) => proc.once('exit', r).once('error', r));
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // group empty
    }
    await rm(dataDir, { recursive: true, force: true });
    // The template store in the shared sandbox dir stays (a cache); the projects go.
    const sandboxes = createSandboxProvider({ kind: 'local', dataDir: SANDBOX_DIR });
    for (const id of projects) await sandboxes.destroy(id);
  }
}

/** Heap growth per idle agent held by the AgentManager (generated, cancelled, kept live). */
async function idleAgentKb(): Promise<number> {
  const dataDir = await mkdtemp(join(tmpdir(), 'lathe-api-bench-idle-'));
  const server = await createServer(
    loadConfig({
      ...(process.env as Record<string, string>),
      PORT: '0',
      LATHE_DATA_DIR: dataDir,
      LATHE_SANDBOX_DIR: join(dataDir, 'sandboxes'),
      LATHE_OFFLINE_TOKENS_PER_SECOND: '1',
      LATHE_MAX_ACTIVE_GENERATIONS: String(IDLE_AGENTS + 1),
      LATHE_GENERATIONS_PER_HOUR: String(IDLE_AGENTS * 2),
      LATHE_QUOTA_PROJECTS: '0',
      LATHE_QUOTA_SANDBOXES: '0',
      LATHE_WEB_DIST: join(dataDir, 'none'),
    }),
    { log: () => {} },
  );
  try {
    const cookie = await signUp(server.url, server.ctx.config.publicUrl);
    const projects: string[] = [];
    for (let i = 0; i < IDLE_AGENTS; i++) projects.push(await createProject(server.url, cookie, i));
    const post = (path: string, body?: unknown) =>
      fetch(`${server.url}${path}`, {
        method: 'POST',
        headers: { cookie, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    // Warm every code path once so the measurement is of agents, not of lazily loaded modules.
    await post(`/api/projects/${projects[0]}/generate`, { description: 'warm-up' });
    await post(`/api/projects/${projects[0]}/cancel`);
    Bun.gc(true);
    const before = process.memoryUsage().heapUsed;
    for (const id of projects.slice(1)) {
      await post(`/api/projects/${id}/generate`, { description: 'A todo list app' });
      await post(`/api/projects/${id}/cancel`);
    }
    Bun.gc(true);
    const after = process.memoryUsage().heapUsed;
    const live = server.ctx.agents.liveCount;
    const kb = (after - before) / 1024 / Math.max(1, projects.length - 1);
    console.log(`idle agents: ${live} live, heap +${((after - before) / 1024 / 1024).toFixed(1)} MB → ${kb.toFixed(0)} KB per idle agent`);
    return Math.round(kb);
  } finally {
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

const db = await database();
let relay: Awaited<ReturnType<typeof relayRun>>;
let idle: number;
try {
  relay = await relayRun(db.url);
  idle = await idleAgentKb();
} finally {
  await db.stop();
}
console.log(
  JSON.stringify({
    generations: GENERATIONS,
    viewers: Math.max(VIEWERS, GENERATIONS),
    relay_p50_ms: relay.relay_p50_ms,
    relay_p99_ms: relay.relay_p99_ms,
    events_per_s: relay.events_per_s,
    server_rss_mb: relay.server_rss_mb,
    server_cpu_pct: relay.cpu_pct,
    idle_agent_kb: idle,
  }),
);
process.exit(0);
