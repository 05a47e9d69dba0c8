/**
 * Agent benchmark (`npm run bench:agent`). Prints medians of:
 *  - orchestration overhead: generate("a todo app") with a zero-delay offline model until the
 *    preview serves the app, and until the round is COMPLETE (two phases + review), on the local sandbox;
 *  - heredoc parser throughput (MB/s) for small (16-char) and large (4 KiB) stream chunks;
 *  - events persisted per second through the agent store (one per insert, and in batches of 50);
 *  - render_check_ms: the time review's browser check adds to a warm phase (the preview of a
 *    generated app loaded in headless Chromium, its errors read, a thumbnail taken; the browser
 *    already running, as after a server's first check).
 * Uses DATABASE_URL when set, else starts an embedded PostgreSQL. Last line: one JSON object.
 */
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDatabase, createRepositories, schema } from '@lathe/db';
import type { NewEvent } from '@lathe/protocol';
import { chromiumFromEnv, createSandboxProvider } from '@lathe/sandbox';
import { type RunningPostgres, startEmbeddedPostgres } from '../../../testing/postgres';
import {
  CodeGeneratorAgent,
  createDbAgentStore,
  createHeredocParser,
  createOpenAiLlmClient,
  phaseJson,
  startOfflineModel,
  startScriptedModel,
} from '../src/index';
import { buildApp } from '../src/offline/apps';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

/** A PostgreSQL for the run: DATABASE_URL, or an embedded server removed afterwards. */
function startPostgres(): Promise<RunningPostgres> {
  const given = process.env.DATABASE_URL?.trim();
  return given ? Promise.resolve({ url: given, stop: async () => {} }) : startEmbeddedPostgres({ name: 'agent-bench', durable: true });
}

function parserThroughput(chunkSize: number): number {
  const app = buildApp('a todo app');
  const one = app.phases.flatMap((p) => p.files.map((f) => `# note\ncat > ${f.path} << 'EOF'\n${f.content}EOF\n`)).join('');
  const text = one.repeat(Math.ceil((8 * 1024 * 1024) / one.length));
  const chunks: string[] = [];
  for (let i = 0; i < text.length; i += chunkSize) chunks.push(text.slice(i, i + chunkSize));
  const rates: number[] = [];
  for (let run = 0; run < 5; run++) {
    const parser = createHeredocParser();
    const start = performance.now();
    let items = 0;
    for (const c of chunks) items += parser.push(c).length;
    items += parser.end().length;
    const seconds = (performance.now() - start) / 1000;
    if (items === 0) throw new Error('the parser produced nothing');
    rates.push(Buffer.byteLength(text) / 1024 / 1024 / seconds);
  }
  return median(rates);
}

async function main(): Promise<void> {
  const pg = await startPostgres();
  const db = await createDatabase({ url: pg.url, dataDir: join(tmpdir(), 'lathe-bench-unused') });
  const repos = createRepositories(db);
  const store = createDbAgentStore(repos);
  const provider = createSandboxProvider({
    kind: 'local',
    dataDir: join(tmpdir(), 'lathe-agent-bench-sandboxes'),
    portRange: [43500, 43599],
    renderCheck: { executablePath: chromiumFromEnv(process.env) },
  });
  const model = await startOfflineModel({ tokensPerSecond: 0 });
  const ownerId = randomUUID();
  await db.orm.insert(schema.user).values({ id: ownerId, name: 'Bench', email: `${ownerId}@bench.lathe`, emailVerified: true });
  const newProject = async () =>
    (await repos.projects.create({ ownerId, name: 'Bench', initialPrompt: 'a todo app', template: 'react-vite' })).id;

  try {
    // Orchestration overhead.
    const preview: number[] = [];
    const complete: number[] = [];
    const role = { baseUrl: model.url, apiKey: 'offline', model: 'lathe-offline' };
    const llm = createOpenAiLlmClient(
      { designer: role, implementer: role, fixer: role },
      { maxRetries: 2, retryBaseMs: 100, stallTimeoutMs: 30_000 },
    );
    for (let run = 0; run < RUNS; run++) {
      const projectId = await newProject();
      const sandbox = await provider.create(projectId);
      const agent = await CodeGeneratorAgent.load({
        projectId,
        store,
        sandbox,
        llm,
        config: { phaseBudget: 6, fixRounds: 2, offline: true },
      });
      let served: Promise<number> | null = null;
      const start = performance.now();
      agent.subscribe((e) => {
        if (e.type === 'server_started' && served === null && e.payload.previewUrl) {
          const url = e.payload.previewUrl;
          served = (async () => {
            const app = await (await fetch(new URL('/src/App.tsx', url))).text();
            if (!app.includes('Todo List')) throw new Error('the preview does not serve the generated app');
            return performance.now() - start;
          })();
        }
      });
      await agent.generate('a todo app');
      await agent.whenIdle();
      const done = performance.now() - start;
      if (agent.getState().state !== 'COMPLETE' || served === null)
        throw new Error(`run ${run} did not complete: ${JSON.stringify(agent.getState().lastError)}`);
      preview.push(await served);
      complete.push(done);
      agent.dispose();
      await provider.destroy(projectId);
      console.log(`run ${run + 1}: preview serving after ${Math.round(preview.at(-1) ?? 0)} ms, complete after ${Math.round(done)} ms`);
    }

    // The render check on a warm phase: a generated app's dev server already serving.
    const render = await (async () => {
      const projectId = await newProject();
      const sandbox = await provider.create(projectId);
      try {
        const app = buildApp('a todo app');
        await sandbox.writeFiles(app.phases.flatMap((p) => p.files));
        await sandbox.startDevServer();
        const first = await sandbox.renderCheck();
        if (first.status !== 'checked') return { cold: null, warm: null, note: first.note };
        if (first.blank || first.diagnostics.length > 0)
          throw new Error(`the todo app did not render cleanly: ${JSON.stringify(first.diagnostics)}`);
        const warm: number[] = [];
        for (let run = 0; run < 5; run++) {
          const start = performance.now();
          await sandbox.renderCheck();
          warm.push(performance.now() - start);
        }
        return { cold: first.ms, warm: median(warm), note: null };
      } finally {
        await provider.destroy(projectId);
      }
    })();

    // Parser throughput.
    const smallChunks = parserThroughput(16);
    const largeChunks = parserThroughput(4096);

    // A cut answer completed by a continuation (1 when the files come out whole).
    const continuationOk = await (async () => {
      const app = 'export default function App() {\n  return <h1 className="text-2xl">Continued</h1>;\n}\n';
      const answer = `Here is the app:\n\n\`\`\`bash\ncat > src/App.tsx << 'EOF'\n${app}EOF\n\`\`\`\n`;
      const cut = answer.indexOf('<h1') + 5;
      const scripted = await startScriptedModel({
        script: [
          { role: 'designer', kind: 'reply', content: phaseJson(['src/App.tsx'], 'Continued') },
          { role: 'implementer', kind: 'reply', content: answer.slice(0, cut), finishReason: 'length' },
          { role: 'implementer', kind: 'reply', content: answer.slice(answer.lastIndexOf('\n', cut) + 1) },
        ],
      });
      const scriptedRole = { baseUrl: scripted.url, apiKey: 'k', model: 'scripted' };
      const projectId = await newProject();
      const sandbox = await provider.create(projectId);
      try {
        const agent = await CodeGeneratorAgent.load({
          projectId,
          store,
          sandbox,
          llm: createOpenAiLlmClient(
            { designer: scriptedRole, implementer: scriptedRole, fixer: scriptedRole },
            { maxRetries: 2, retryBaseMs: 100, stallTimeoutMs: 30_000 },
          ),
          config: { phaseBudget: 1, fixRounds: 0, offline: false },
        });
        await agent.generate('continued');
        await agent.whenIdle();
        agent.dispose();
        const saved = (await repos.files.readMany(projectId)).find((f) => f.path === 'src/App.tsx')?.content;
        return agent.getState().state === 'COMPLETE' && saved === app ? 1 : 0;
      } finally {
        await provider.destroy(projectId);
        await scripted.close();
      }
    })();

    // Events persisted per second.
    const projectId = await newProject();
    const event = (i: number): NewEvent => ({ type: 'file_chunk', payload: { path: 'src/App.tsx', chunk: `chunk ${i} `.repeat(8) } });
    const single: number[] = [];
    const batched: number[] = [];
    for (let run = 0; run < 3; run++) {
      let start = performance.now();
      for (let i = 0; i < 300; i++) await store.appendEvents(projectId, [event(i)]);
      single.push(300 / ((performance.now() - start) / 1000));
      start = performance.now();
      for (let i = 0; i < 40; i++)
        await store.appendEvents(
          projectId,
          Array.from({ length: 50 }, (_, j) => event(i * 50 + j)),
        );
      batched.push(2000 / ((performance.now() - start) / 1000));
    }

    const result = {
      overhead_ms: Math.round(median(preview)),
      complete_ms: Math.round(median(complete)),
      parser_mb_s: Math.round(smallChunks),
      parser_mb_s_4k_chunks: Math.round(largeChunks),
      events_per_s: Math.round(median(single)),
      events_per_s_batched: Math.round(median(batched)),
      continuation_ok: continuationOk,
      render_check_ms: render.warm === null ? null : Math.round(render.warm),
      render_check_first_ms: render.cold,
    };
    console.log(
      `generate → preview serving (median of ${RUNS}): ${result.overhead_ms} ms; → COMPLETE incl. review: ${result.complete_ms} ms`,
    );
    console.log(`parser: ${result.parser_mb_s} MB/s with 16-char chunks, ${result.parser_mb_s_4k_chunks} MB/s with 4 KiB chunks`);
    console.log(`continuation of a cut answer: ${continuationOk === 1 ? 'ok' : 'FAILED'}`);
    console.log(
      render.warm === null
        ? `render check: skipped (${render.note})`
        : `render check on a warm phase: ${result.render_check_ms} ms (median of 5); the server's first, with the browser's launch: ${render.cold} ms`,
    );
    console.log(`events persisted: ${result.events_per_s}/s one per insert, ${result.events_per_s_batched}/s in batches of 50`);
    console.log(JSON.stringify(result));
  } finally {
    await model.close();
    await provider.shutdown();
    await db.close();
    await pg.stop();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
