import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { heredoc, phaseJson, SAFE_APP, type ScriptedModel, startScriptedModel } from '@lathe/agent';
import type { EventOf } from '@lathe/protocol';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiProcess, client, FrameSocket, isEvent, signUp, socketUrl, type TestUser } from './helpers';

const MODEL = 'scripted/priced';
// USD per million tokens for MODEL (the price table prices calls the provider reports no cost for).
const PRICE = { input: 2, output: 10, cached: 1 };
const DESIGNER_COST = 0.0125;
const BUDGET = 500;

type Usage = EventOf<'llm_usage'>['payload'];

describe('tokens, cost and the monthly token budget (scripted model reporting usage)', () => {
  let model: ScriptedModel;
  let api: ApiProcess;
  let user: TestUser;
  let pricesFile = '';

  beforeAll(async () => {
    pricesFile = join(await mkdtemp(join(tmpdir(), 'lathe-prices-')), 'prices.json');
    await writeFile(pricesFile, JSON.stringify({ [MODEL]: PRICE }));
    // Like OpenRouter, the designer's answers carry a cost; the others report cached tokens only.
    // A real model (not the offline one) gets no structured input: its answers are scripted.
    model = await startScriptedModel({
      script: [
        { role: 'designer', kind: 'reply', content: phaseJson(['src/App.tsx'], 'Counter') },
        { role: 'implementer', kind: 'reply', content: `Here is the app:\n\n${heredoc('src/App.tsx', SAFE_APP)}` },
      ],
      usage: ({ role }) => (role === 'designer' ? { cached: 5, cost: DESIGNER_COST } : { cached: 3 }),
    });
    api = await ApiProcess.start({
      LATHE_LLM_BASE_URL: model.url,
      LATHE_LLM_API_KEY: 'test-key',
      LATHE_MODEL: MODEL,
      // A price file, as an operator would edit it.
      LATHE_PRICES: pricesFile,
      LATHE_MONTHLY_TOKEN_BUDGET: String(BUDGET),
    });
    user = await signUp(api, 'usage');
  });

  afterAll(async () => {
    await api?.dispose();
    await model?.close();
    if (pricesFile) await rm(dirname(pricesFile), { recursive: true, force: true });
  });

  it('reports every call, records it in the ledger, totals it per project, and refuses new rounds over budget with 429', async () => {
    const http = client(api, user.cookie);
    const before = await http.GET('/api/usage');
    expect(before.data).toMatchObject({ tokens: 0, costUsd: 0, budget: BUDGET });

    const created = await http.POST('/api/projects', { body: { prompt: 'A counter app', start: false } });
    const project = created.data;
    if (!project) throw new Error('no project');
    const socket = new FrameSocket(socketUrl(api, project.id), { cookie: user.cookie });
    await socket.opened;
    const started = await http.POST('/api/projects/{id}/generate', {
      params: { path: { id: project.id } },
      body: { description: 'A counter app' },
    });
    expect(started.response.status).toBe(202);
    const end = await socket.next((f) => isEvent('generation_complete')(f) || isEvent('error')(f), 170_000);
    expect(end).toMatchObject({ event: { type: 'generation_complete' } });
    socket.close();

    // One llm_usage event per model request, with the provider's figures or the table's price.
    const usage = socket.events().flatMap((e) => (e.type === 'llm_usage' ? [{ seq: e.seq, ...e.payload }] : []));
    expect(usage.length).toBe(model.requests.length);
    expect(usage.map((u) => u.role)).toEqual(model.requests.map((r) => r.role));
    expect(new Set(usage.map((u) => u.role))).toEqual(new Set(['designer', 'implementer']));
    for (const u of usage) {
      expect(u.model).toBe(MODEL);
      expect(u.promptTokens).toBeGreaterThan(0);
      expect(u.completionTokens).toBeGreaterThan(0);
      if (u.role === 'designer') {
        expect(u.cachedTokens).toBe(5);
        expect(u.costUsd).toBe(DESIGNER_COST);
      } else {
        expect(u.cachedTokens).toBe(3);
        const priced = ((u.promptTokens - 3) * PRICE.input + 3 * PRICE.cached + u.completionTokens * PRICE.output) / 1_000_000;
        expect(u.costUsd).toBeCloseTo(priced, 12);
      }
    }
    const sum = (f: (u: Usage) => number) => usage.reduce((n, u) => n + f(u), 0);
    const totals = {
      calls: usage.length,
      promptTokens: sum((u) => u.promptTokens),
      completionTokens: sum((u) => u.completionTokens),
      cachedTokens: sum((u) => u.cachedTokens),
      unpricedCalls: 0,
    };

    // The ledger holds one row per call, for this user and project.
    const sql = postgres(api.env.DATABASE_URL ?? '', { max: 1, onnotice: () => {} });
    try {
      const rows = await sql<{ user_id: string; project_id: string; event_seq: string; role: string; cost_usd: number | null }[]>`
        select user_id, project_id, event_seq, role, cost_usd from usage_ledger order by event_seq`;
      expect(
        rows.map((r) => ({ user: r.user_id, project: r.project_id, seq: Number(r.event_seq), role: r.role, cost: r.cost_usd })),
      ).toEqual(usage.map((u) => ({ user: user.id, project: project.id, seq: u.seq, role: u.role, cost: u.costUsd })));
    } finally {
      await sql.end({ timeout: 5 });
    }

    // Project totals (IDE header), the agent's own running sum, and the user's month.
    const projectUsage = await http.GET('/api/projects/{id}/usage', { params: { path: { id: project.id } } });
    expect(projectUsage.data).toMatchObject(totals);
    expect(projectUsage.data?.costUsd).toBeCloseTo(
      sum((u) => u.costUsd ?? 0),
      12,
    );
    const state = await http.GET('/api/projects/{id}/state', { params: { path: { id: project.id } } });
    const snapshotUsage = (state.data as { usage: Record<string, number> } | undefined)?.usage;
    expect(snapshotUsage).toMatchObject({ promptTokens: totals.promptTokens, completionTokens: totals.completionTokens });
    expect(snapshotUsage?.cachedTokens).toBe(totals.cachedTokens);
    expect(snapshotUsage?.costUsd).toBeCloseTo(
      sum((u) => u.costUsd ?? 0),
      12,
    );
    const spent = totals.promptTokens + totals.completionTokens;
    expect(spent).toBeGreaterThanOrEqual(BUDGET);
    const month = await http.GET('/api/usage');
    expect(month.data).toMatchObject({ tokens: spent, budget: BUDGET });

    // Over budget: a follow-up, a new generation and a project that would start one get 429.
    const requestsBefore = model.requests.length;
    const followUp = await http.POST('/api/projects/{id}/messages', {
      params: { path: { id: project.id } },
      body: { text: 'Add a reset button' },
    });
    expect(followUp.response.status).toBe(429);
    expect(followUp.error).toEqual({ error: { code: 'token_budget_exceeded', message: expect.stringContaining(`of your 500 tokens`) } });
    expect(Number(followUp.response.headers.get('retry-after'))).toBeGreaterThan(0);
    const again = await http.POST('/api/projects/{id}/generate', {
      params: { path: { id: project.id } },
      body: { description: 'Another app' },
    });
    expect(again.response.status).toBe(429);
    const listed = (await http.GET('/api/projects')).data?.length;
    const fresh = await http.POST('/api/projects', { body: { prompt: 'Another app' } });
    expect(fresh.response.status).toBe(429);
    expect((await http.GET('/api/projects')).data?.length).toBe(listed);
    expect(model.requests.length).toBe(requestsBefore);

    // Deleting the project gives no tokens back.
    await http.DELETE('/api/projects/{id}', { params: { path: { id: project.id } } });
    expect((await http.GET('/api/usage')).data?.tokens).toBe(spent);
  });
});
