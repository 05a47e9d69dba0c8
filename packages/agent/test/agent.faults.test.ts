import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AgentEvent } from '@lathe/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { offlineAnswer } from '../src/offline/respond';
import { type ScriptedModel, type ScriptStep, startScriptedModel } from '../src/offline/scripted';
import {
  heredoc,
  pathAttackScript,
  phaseJson,
  SAFE_APP,
  TYPE_ERROR_APP,
  TYPE_ERROR_FIXED_APP,
  typeErrorScript,
} from '../src/offline/transcripts';
import { parseHeredoc } from '../src/parser';
import { createProject, FAST_RETRIES, type Harness, startHarness, storedFiles, type TestProject, waitForEvent } from './helpers/harness';
import { offlineRound } from './helpers/offline-round';
import { PORTS } from './helpers/sandbox';

function expectedFiles(request: string, phaseBudget = 6): Map<string, string> {
  const files = new Map<string, string>();
  offlineRound(files, { kind: 'generate', text: request, history: [] }, phaseBudget);
  return files;
}

const logs = (events: AgentEvent[]) => events.flatMap((e) => (e.type === 'log' ? [e.payload.text] : []));
const errorCodes = (events: AgentEvent[]) => events.flatMap((e) => (e.type === 'error' ? [e.payload.code] : []));

/** What a client shows per file: the chunks after that file's latest file_start. */
function clientBuffers(events: AgentEvent[]): Map<string, string> {
  const buffers = new Map<string, string>();
  for (const e of events) {
    if (e.type === 'file_start') buffers.set(e.payload.path, '');
    if (e.type === 'file_chunk') buffers.set(e.payload.path, (buffers.get(e.payload.path) ?? '') + e.payload.chunk);
  }
  return buffers;
}

describe('CodeGeneratorAgent under faults (scripted model over HTTP, real database and sandbox)', () => {
  let h: Harness;
  const open: { model: ScriptedModel; project: TestProject }[] = [];

  beforeAll(async () => {
    h = await startHarness([...PORTS.faults]);
  });
  afterAll(async () => {
    for (const o of open) {
      await o.project.destroy();
      await o.model.close();
    }
    await h?.close();
  });

  async function run(script: ScriptStep[], options: Parameters<typeof createProject>[2] = {}) {
    const model = await startScriptedModel({ script });
    const project = await createProject(h, model.url, options);
    open.push({ model, project });
    return { model, p: project };
  }

  it('429 with Retry-After on the designer and a 500 on the implementer: retried, completes', async () => {
    const { model, p } = await run([
      { role: 'designer', kind: 'status', status: 429, retryAfter: 1 },
      { role: 'implementer', kind: 'status', status: 500 },
    ]);
    await p.agent.generate('a counter');
    await p.agent.whenIdle();
    expect(p.agent.getState().state).toBe('COMPLETE');
    expect(model.requests.map((r) => r.role)).toEqual(['designer', 'designer', 'implementer', 'implementer']);
    // Retry-After: 1 (second) is honoured instead of the 20 ms backoff.
    expect(logs(p.events).some((l) => l.includes('after 1000 ms: the model answered HTTP 429'))).toBe(true);
    expect(logs(p.events).some((l) => l.includes('HTTP 500'))).toBe(true);
    expect(await storedFiles(h, p.projectId)).toEqual(expectedFiles('a counter'));
  });

  it('a connection reset mid-stream is retried with no duplicated content', async () => {
    const { p } = await run([{ role: 'implementer', kind: 'reset', afterChars: 1800 }]);
    await p.agent.generate('a todo app');
    await p.agent.whenIdle();
    expect(p.agent.getState().state).toBe('COMPLETE');
    const files = await storedFiles(h, p.projectId);
    expect(files).toEqual(expectedFiles('a todo app'));
    // Each file is committed once per phase, and what a client shows equals what was saved.
    const ends = p.events.flatMap((e) => (e.type === 'file_end' ? [`${e.payload.phaseIndex}:${e.payload.path}`] : []));
    expect(new Set(ends).size).toBe(ends.length);
    // The file the reset cut off (if the cut fell inside one) started again, once.
    const starts = p.events.flatMap((e) => (e.type === 'file_start' && e.payload.phaseIndex === 0 ? [e.payload.path] : []));
    expect([0, 1]).toContain(starts.length - new Set(starts).size);
    expect(logs(p.events).some((l) => l.startsWith('Retrying the implementer request'))).toBe(true);
    expect(clientBuffers(p.events)).toEqual(files);
  });

  it('a stalled stream is aborted and retried', async () => {
    const { p } = await run([{ role: 'implementer', kind: 'stall', afterChars: 600 }], {
      policy: { ...FAST_RETRIES, stallTimeoutMs: 1500 },
    });
    await p.agent.generate('a counter');
    await p.agent.whenIdle();
    expect(p.agent.getState().state).toBe('COMPLETE');
    expect(logs(p.events).some((l) => l.includes('stopped sending tokens'))).toBe(true);
    expect(await storedFiles(h, p.projectId)).toEqual(expectedFiles('a counter'));
  });

  it('a malformed SSE stream is retried; an invalid phase design is re-asked once with the error', async () => {
    const { model, p } = await run([
      { role: 'designer', kind: 'malformed' },
      {
        role: 'designer',
        kind: 'reply',
        content: 'Sure! Here is the plan:\n\n```json\n{"name": "Counter", "description": "A counter", "lastPhase": true}\n```',
      },
    ]);
    await p.agent.generate('a counter');
    await p.agent.whenIdle();
    expect(p.agent.getState().state).toBe('COMPLETE');
    const reask = model.requests.filter((r) => r.role === 'designer')[2];
    expect(String(reask?.messages.at(-1)?.content)).toContain('I could not use that answer: the plan lists no files to write');
  });

  it('a design that stays invalid fails with invalid_phase_design', async () => {
    const { p } = await run([
      { role: 'designer', kind: 'reply', content: 'no json here' },
      { role: 'designer', kind: 'reply', content: '{"name": "x"}' },
    ]);
    await p.agent.generate('a counter');
    await p.agent.whenIdle();
    const state = p.agent.getState();
    expect(state.state).toBe('ERROR');
    expect(state.lastError?.code).toBe('invalid_phase_design');
    expect(errorCodes(p.events)).toEqual(['invalid_phase_design']);
    expect((await h.repos.agentStates.load(p.projectId))?.snapshot.state).toBe('ERROR');
  });

  it('gives up with llm_unavailable after the retry limit', async () => {
    const fail: ScriptStep = { role: 'designer', kind: 'status', status: 503 };
    const { model, p } = await run([fail, fail, fail, fail]);
    await p.agent.generate('a counter');
    await p.agent.whenIdle();
    expect(p.agent.getState().lastError?.code).toBe('llm_unavailable');
    expect(model.requests).toHaveLength(4);
  });

  it('path attacks are refused with error events and nothing escapes the project', async () => {
    const outside = join(tmpdir(), `lathe-attack-${Math.random().toString(36).slice(2)}.ts`);
    const [designer, implementer] = pathAttackScript(outside);
    if (implementer?.kind !== 'reply' || !designer) throw new Error('unexpected script shape');
    const huge = heredoc('src/huge.ts', `// ${'x'.repeat(1024 * 1024)}`);
    const { p } = await run([designer, { ...implementer, content: huge + implementer.content }]);
    await p.agent.generate('anything');
    await p.agent.whenIdle();
    expect(p.agent.getState().state).toBe('COMPLETE');
    expect(errorCodes(p.events)).toEqual([
      'unsafe_path',
      'file_too_large',
      'unsafe_path',
      'unsafe_path',
      'unsafe_path',
      'unsafe_path',
      'unsafe_path',
    ]);
    expect(await storedFiles(h, p.projectId)).toEqual(new Map([['src/App.tsx', SAFE_APP]]));
    expect(existsSync(outside)).toBe(false);
    expect((await p.sandbox.listFiles()).map((f) => f.path)).not.toContain('escape.ts');
    expect(await p.sandbox.readFile('src/App.tsx')).toBe(SAFE_APP);
  });

  it('a transcript with a type error is fixed by the review step', async () => {
    const { model, p } = await run(typeErrorScript());
    await p.agent.generate('a broken counter');
    await p.agent.whenIdle();
    expect(p.agent.getState().state).toBe('COMPLETE');
    const reviews = p.events.flatMap((e) => (e.type === 'review_result' ? [e.payload] : []));
    expect(reviews).toHaveLength(2);
    expect(reviews[0]?.fixed).toBe(false);
    expect(reviews[0]?.errors.some((d) => d.source === 'tsc' && d.file === 'src/App.tsx' && d.line === 2)).toBe(true);
    expect(reviews[1]).toEqual({ round: 1, errors: [], fixed: true });
    expect((await storedFiles(h, p.projectId)).get('src/App.tsx')).toBe(TYPE_ERROR_FIXED_APP);
    expect(await p.sandbox.readFile('src/App.tsx')).toBe(TYPE_ERROR_FIXED_APP);
    const fixer = model.requests.find((r) => r.role === 'fixer');
    expect(String(fixer?.messages.at(-1)?.content)).toContain(TYPE_ERROR_APP);
  });

  it('errors that survive the fix rounds are recorded and the round still completes', async () => {
    const broken = 'export default function App() {\n  const n: number = "x";\n  return <h1>{n}</h1>;\n}\n';
    const { p } = await run(
      [
        { role: 'designer', kind: 'reply', content: phaseJson(['src/App.tsx']) },
        { role: 'implementer', kind: 'reply', content: heredoc('src/App.tsx', broken) },
      ],
      { fixRounds: 1 },
    );
    await p.agent.generate('a broken app');
    await p.agent.whenIdle();
    expect(p.agent.getState().state).toBe('COMPLETE');
    const reviews = p.events.flatMap((e) => (e.type === 'review_result' ? [e.payload] : []));
    expect(reviews.map((r) => [r.round, r.errors.length > 0, r.fixed])).toEqual([
      [0, true, false],
      [1, true, false],
    ]);
  });

  it('npm install lines are installed and stored; a fresh sandbox gets the dependency back', async () => {
    const app =
      "import classNames from 'classnames';\n\nexport default function App() {\n  return <h1 className={classNames('text-2xl', 'font-bold')}>Deps</h1>;\n}\n";
    const { model, p } = await run([
      { role: 'designer', kind: 'reply', content: phaseJson(['src/App.tsx']) },
      { role: 'implementer', kind: 'reply', content: `${heredoc('src/App.tsx', app)}npm install classnames@2.5.1\n` },
    ]);
    await p.agent.generate('an app that uses classnames');
    await p.agent.whenIdle();
    expect(p.agent.getState().state).toBe('COMPLETE');
    const installed = p.events.flatMap((e) => (e.type === 'deps_installed' ? [e.payload] : []));
    expect(installed).toEqual([{ packages: ['classnames@2.5.1'], ok: true }]);
    expect(JSON.parse((await storedFiles(h, p.projectId)).get('package.json') ?? '{}').dependencies).toMatchObject({ classnames: '2.5.1' });
    expect(p.events.findLast((e) => e.type === 'review_result')?.payload).toMatchObject({ errors: [] });

    const p2 = await p.reload({ freshSandbox: true });
    open.push({ model, project: p2 });
    await p2.agent.message('change the title to More deps');
    await p2.agent.whenIdle();
    expect(p2.agent.getState().state).toBe('COMPLETE');
    expect(p2.events.flatMap((e) => (e.type === 'deps_installed' ? [e.payload] : []))[0]).toEqual({
      packages: ['classnames@2.5.1'],
      ok: true,
    });
    // tsc resolves classnames in the fresh sandbox.
    expect(p2.events.findLast((e) => e.type === 'review_result')?.payload).toMatchObject({ errors: [] });
    expect(await p2.sandbox.readFile('src/App.tsx')).toContain('>More deps</h1>');
  });

  it('the fixer can repair a missing module with an npm install line', async () => {
    // A package name the model made up: the registry does not know it, so no install can help
    // before the fixer, which swaps it for a real one and installs that.
    const app =
      "import classNames from 'classnames-lathe-made-up';\n\nexport default function App() {\n  return <h1 className={classNames('a')}>Fixed by install</h1>;\n}\n";
    const fixed = app.replace('classnames-lathe-made-up', 'classnames');
    const { p } = await run([
      { role: 'designer', kind: 'reply', content: phaseJson(['src/App.tsx']) },
      { role: 'implementer', kind: 'reply', content: heredoc('src/App.tsx', app) },
      {
        role: 'fixer',
        kind: 'reply',
        requires: ['classnames-lathe-made-up'],
        content: `# that package does not exist; classnames does the same\nnpm install classnames@2.5.1\n${heredoc('src/App.tsx', fixed)}`,
      },
    ]);
    await p.agent.generate('an app that forgot a dependency');
    await p.agent.whenIdle();
    expect(p.agent.getState().state).toBe('COMPLETE');
    const reviews = p.events.flatMap((e) => (e.type === 'review_result' ? [e.payload] : []));
    expect(reviews[0]?.errors.some((d) => d.message.includes("'classnames-lathe-made-up'"))).toBe(true);
    expect(reviews.at(-1)).toMatchObject({ errors: [], fixed: true });
    expect(p.events.flatMap((e) => (e.type === 'deps_installed' ? [e.payload] : []))).toEqual([
      { packages: [], ok: false },
      { packages: ['classnames@2.5.1'], ok: true },
    ]);
  });

  it('cancel during implementation ends CANCELLED with no half-written file, and the agent can run again', async () => {
    const { model, p } = await run([{ role: 'implementer', kind: 'hold', afterChars: 1800 }]);
    const core = expectedFiles('a todo app', 1);
    const before = new Map<string, string | null>();
    for (const path of core.keys()) before.set(path, await p.sandbox.readFile(path).catch(() => null));
    await p.agent.generate('a todo app');
    // The file the stream stops in: parse the part of the answer the model sends before holding.
    await waitForEvent(p, () => model.requests.some((r) => r.role === 'implementer'));
    const request = model.requests.find((r) => r.role === 'implementer');
    const sent = parseHeredoc(offlineAnswer(request?.messages ?? [], request?.context).slice(0, 1800));
    const ended = new Set(sent.flatMap((i) => (i.type === 'file_end' ? [i.path] : [])));
    const openPath = sent.flatMap((i) => (i.type === 'file_start' && !ended.has(i.path) ? [i.path] : [])).at(-1) ?? '';
    expect(ended.size).toBeGreaterThan(0);
    await waitForEvent(
      p,
      (events) => p.agent.isWriting(openPath) && events.some((e) => e.type === 'file_chunk' && e.payload.path === openPath),
    );
    expect(p.agent.isWriting(openPath)).toBe(true);
    await p.agent.cancel();
    await p.agent.whenIdle();
    expect(p.agent.getState().state).toBe('CANCELLED');
    expect((await h.repos.agentStates.load(p.projectId))?.snapshot.state).toBe('CANCELLED');
    expect(p.agent.isWriting(openPath)).toBe(false);
    const files = await storedFiles(h, p.projectId);
    expect(files.has(openPath)).toBe(false);
    expect(files.size).toBeGreaterThan(0);
    for (const [path, content] of files) expect(content).toBe(core.get(path));
    expect(await p.sandbox.readFile(openPath).catch(() => null)).toBe(before.get(openPath));

    await p.agent.generate('a counter');
    await p.agent.whenIdle();
    expect(p.agent.getState().state).toBe('COMPLETE');
  });

  it('dropping the agent mid-phase and resuming from the store (on a fresh sandbox) ends with the same files', async () => {
    const { model, p } = await run([{ role: 'implementer', kind: 'hold', afterChars: 1800 }]);
    await p.agent.generate('a todo app');
    await waitForEvent(p, (events) => events.some((e) => e.type === 'file_end'));
    // Wait until the completed file is recorded in the stored state, as a crash could come any time after.
    for (;;) {
      const stored = await h.repos.agentStates.load(p.projectId);
      if ((stored?.snapshot.phases[0]?.completedFiles.length ?? 0) > 0) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const p2 = await p.reload({ freshSandbox: true });
    open.push({ model, project: p2 });
    const loaded = p2.agent.getState();
    expect(loaded.state).toBe('IMPLEMENTING_PHASE');
    const done = loaded.phases[0]?.completedFiles ?? [];
    expect(done.length).toBeGreaterThan(0);

    const requestsBefore = model.requests.length;
    await p2.agent.resume();
    await p2.agent.whenIdle();
    expect(p2.agent.getState().state).toBe('COMPLETE');
    const files = await storedFiles(h, p.projectId);
    expect(files).toEqual(expectedFiles('a todo app'));
    for (const [path, content] of files) expect(await p2.sandbox.readFile(path)).toBe(content);

    // The resumed implementation asked only for the files that were not completed.
    const resumed = model.requests.slice(requestsBefore).find((r) => r.role === 'implementer');
    const context = resumed?.context as { filesToWrite: string[] };
    expect(context.filesToWrite.length).toBeGreaterThan(0);
    for (const path of done) expect(context.filesToWrite).not.toContain(path);
  });
});
