import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { phaseJson, type ScriptedModel, startScriptedModel } from '@lathe/agent';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestPostgresUrl, type TestPostgres } from '../../testing/db';
import { APPS } from '../src/apps';
import { OFFLINE_CASES, SMOKE_CASES } from '../src/cases';
import { LIVE_CASES } from '../src/live';
import { liveFromEnv, runEval, selectCases } from '../src/run';

/**
 * The scoreboard's harness, not the score: two offline cases (one that passes, one whose failure
 * must be reported) and the live mode's plumbing with a scripted model standing in for the
 * endpoint. `npm run eval` runs the whole corpus.
 */
describe('npm run eval (smoke)', () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c();
  });

  async function setup(): Promise<{ pg: TestPostgres; dir: string }> {
    const pg = await createTestPostgresUrl();
    const dir = await mkdtemp(join(tmpdir(), 'lathe-eval-smoke-'));
    cleanup.push(pg.drop, () => rm(dir, { recursive: true, force: true }));
    return { pg, dir };
  }

  it('the corpus has at least 30 cases, unique names, and the filter rejects unknown names', () => {
    expect(OFFLINE_CASES.length).toBeGreaterThanOrEqual(30);
    expect(new Set(OFFLINE_CASES.map((c) => c.name)).size).toBe(OFFLINE_CASES.length);
    expect(LIVE_CASES.length).toBeGreaterThanOrEqual(15);
    expect(selectCases(OFFLINE_CASES, SMOKE_CASES.join(',')).map((c) => c.name)).toEqual(
      OFFLINE_CASES.filter((c) => SMOKE_CASES.includes(c.name)).map((c) => c.name),
    );
    expect(() => selectCases(OFFLINE_CASES, 'todo-claude-fenced,no-such-case')).toThrow(/no-such-case/);
    expect(liveFromEnv({})).toBeNull();
    expect(() => liveFromEnv({ LATHE_EVAL_BASE_URL: 'http://x' })).toThrow(/LATHE_EVAL_API_KEY/);
  });

  it('offline: a passing case scores, a wrong-result case is reported with what went wrong', async () => {
    const { pg, dir } = await setup();
    const lines: string[] = [];
    const report = await runEval({
      env: { ...process.env, LATHE_EVAL_CASES: SMOKE_CASES.join(',') },
      reportDir: dir,
      databaseUrl: pg.url,
      live: null,
      log: (l) => lines.push(l),
    });
    const byName = new Map(report.results.map((r) => [r.name, r]));
    expect(byName.get('todo-claude-fenced')).toMatchObject({ typecheckOk: true, renderOk: true, behaviourOk: true, problems: [] });
    const wrong = byName.get('hard-calculator-wrong-result');
    expect(wrong).toMatchObject({ typecheckOk: true, renderOk: true, behaviourOk: false });
    expect(wrong?.problems.join('\n')).toMatch(/does not show 36/);
    expect(report.summary).toMatchObject({
      cases: 2,
      typecheck_ok_pct: 100,
      render_ok_pct: 100,
      behaviour_ok_pct: 50,
      fixed_within_2_pct: null,
    });
    expect(report.summary.median_tokens).toBeGreaterThan(0);
    const md = await readFile(report.reportPath, 'utf8');
    expect(md).toContain('does not show 36');
    expect(md).toMatch(/!\[todo-claude-fenced\]\(shots\/todo-claude-fenced\.jpg\)/);
    expect((await readFile(join(dir, 'shots', 'todo-claude-fenced.jpg'))).subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
  });

  it('live: the natural prompt goes to the endpoint with its model name; tokens and cost are counted', async () => {
    const { pg, dir } = await setup();
    const files = APPS.calculator;
    const model: ScriptedModel = await startScriptedModel({
      script: [
        {
          role: 'designer',
          kind: 'reply',
          content: phaseJson(
            files.map((f) => f.path),
            'Calculator',
          ),
        },
        { role: 'implementer', kind: 'reply', content: files.map((f) => `cat > ${f.path} << 'EOF'\n${f.content}EOF\n`).join('\n') },
      ],
    });
    cleanup.push(() => model.close());
    const live = { baseUrl: model.url, apiKey: 'sk-test', model: 'openai/gpt-4o-mini' };
    const report = await runEval({
      env: { ...process.env, LATHE_EVAL_CASES: 'calculator' },
      reportDir: dir,
      databaseUrl: pg.url,
      live,
      log: () => {},
    });
    expect(model.requests.every((r) => r.model === 'openai/gpt-4o-mini')).toBe(true);
    expect(JSON.stringify(model.requests[0]?.messages)).toContain('A calculator with the four basic operations.');
    expect(report.results).toHaveLength(1);
    expect(report.results[0]).toMatchObject({ name: 'calculator', behaviourOk: true });
    expect(report.results[0]?.costUsd).toBeGreaterThan(0);
    expect(report.summary.total_cost_usd).toBeGreaterThan(0);
  });
});
