import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parsePriceTable } from '@lathe/agent';
import { createDatabase, createRepositories, schema } from '@lathe/db';
import { chromiumFromEnv, createSandboxProvider } from '@lathe/sandbox';
import { chromium } from 'playwright-core';
import { startEmbeddedPostgres } from '../../testing/postgres';
import { OFFLINE_CASES } from './cases';
import { type CaseResult, type EvalCase, type ModelEndpoint, markdownReport, runCase, type Summary, summarise } from './harness';
import { LIVE_CASES } from './live';

export interface EvalOptions {
  env: NodeJS.ProcessEnv;
  reportDir: string;
  log: (line: string) => void;
  /** A database URL to use instead of DATABASE_URL or an embedded PostgreSQL. */
  databaseUrl?: string;
  /** Live mode with this endpoint (the tests stand a scripted model in for it); default from the environment. */
  live?: ModelEndpoint | null;
  /** The cases to run instead of the corpus (tests). */
  cases?: EvalCase[];
}

export interface EvalReport {
  summary: Summary;
  results: CaseResult[];
  reportPath: string;
}

/** The live endpoint from LATHE_EVAL_BASE_URL / _API_KEY / _MODEL: all three or none. */
export function liveFromEnv(env: NodeJS.ProcessEnv): ModelEndpoint | null {
  const baseUrl = env.LATHE_EVAL_BASE_URL?.trim();
  const apiKey = env.LATHE_EVAL_API_KEY?.trim();
  const model = env.LATHE_EVAL_MODEL?.trim();
  if (!baseUrl && !apiKey && !model) return null;
  if (!baseUrl || !apiKey || !model)
    throw new Error(
      'live mode needs all of LATHE_EVAL_BASE_URL, LATHE_EVAL_API_KEY and LATHE_EVAL_MODEL (set none for the offline corpus)',
    );
  return { baseUrl, apiKey, model };
}

/** The cases named in LATHE_EVAL_CASES (comma-separated), or all; an unknown name is an error. */
export function selectCases(all: EvalCase[], filter: string | undefined): EvalCase[] {
  const names = (filter ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (names.length === 0) return all;
  const unknown = names.filter((n) => !all.some((c) => c.name === n));
  if (unknown.length > 0) throw new Error(`LATHE_EVAL_CASES names unknown cases: ${unknown.join(', ')}`);
  return all.filter((c) => names.includes(c.name));
}

export async function runEval(options: EvalOptions): Promise<EvalReport> {
  const { env, log } = options;
  const live = options.live !== undefined ? options.live : liveFromEnv(env);
  const cases = selectCases(options.cases ?? (live ? LIVE_CASES : OFFLINE_CASES), env.LATHE_EVAL_CASES);
  const concurrency = Math.max(1, Number.parseInt(env.LATHE_EVAL_CONCURRENCY ?? '1', 10) || 1);
  const prices = parsePriceTable(env.LATHE_PRICES);
  const given = options.databaseUrl ?? env.DATABASE_URL?.trim();
  const pg = given ? { url: given, stop: async () => {} } : await startEmbeddedPostgres({ name: 'eval' });
  const db = await createDatabase({ url: pg.url, dataDir: join(tmpdir(), 'lathe-eval-unused') });
  const executablePath = chromiumFromEnv(env);
  const provider = createSandboxProvider({
    kind: 'local',
    dataDir: join(tmpdir(), 'lathe-eval-sandboxes'),
    portRange: [44000, 44099],
    renderCheck: { executablePath },
  });
  if (!executablePath) throw new Error('no Chromium found: set LATHE_CHROMIUM_PATH');
  const browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
  await mkdir(options.reportDir, { recursive: true });
  try {
    const repos = createRepositories(db);
    const ownerId = randomUUID();
    await db.orm.insert(schema.user).values({ id: ownerId, name: 'Eval', email: `${ownerId}@eval.lathe`, emailVerified: true });
    const evalEnv = {
      repos,
      ownerId,
      provider,
      browser,
      live,
      prices,
      reportDir: options.reportDir,
      fixRounds: 2,
      phaseBudget: Number.parseInt(env.LATHE_EVAL_PHASE_BUDGET ?? '6', 10) || 6,
    };
    log(
      `lathe eval: ${cases.length} case(s), ${live ? `live model ${live.model} at ${live.baseUrl}` : 'offline corpus'}, concurrency ${concurrency}`,
    );
    const results: CaseResult[] = new Array(cases.length);
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < cases.length; i = next++) {
        const c = cases[i] as EvalCase;
        const started = performance.now();
        let r: CaseResult;
        try {
          r = await runCase(evalEnv, c);
        } catch (e) {
          r = {
            name: c.name,
            about: c.about,
            hard: c.hard ?? null,
            state: 'HARNESS_ERROR',
            typecheckOk: false,
            renderOk: false,
            behaviourOk: false,
            neededFix: null,
            fixed: false,
            fixerCalls: 0,
            firstErrors: [],
            promptTokens: 0,
            completionTokens: 0,
            costUsd: null,
            durationMs: Math.round(performance.now() - started),
            screenshot: null,
            problems: [`the harness failed: ${e instanceof Error ? e.message : String(e)}`],
          };
        }
        results[i] = r;
        const mark = (b: boolean) => (b ? 'ok' : 'FAIL');
        log(
          `[${i + 1}/${cases.length}] ${c.name}: typecheck ${mark(r.typecheckOk)}, render ${mark(r.renderOk)}, behaviour ${mark(r.behaviourOk)}, ${r.promptTokens + r.completionTokens} tokens${r.costUsd !== null && live ? `, $${r.costUsd.toFixed(4)}` : ''}, ${r.durationMs} ms${r.problems.length ? `\n    ${r.problems.join('\n    ')}` : ''}`,
        );
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, cases.length) }, worker));
    const summary = summarise(results, live !== null);
    const reportPath = join(options.reportDir, 'report.md');
    await writeFile(
      reportPath,
      markdownReport(results, summary, {
        mode: live ? 'live' : 'offline corpus',
        model: live?.model ?? 'scripted transcripts',
        at: new Date().toISOString(),
      }),
    );
    await writeFile(join(options.reportDir, 'results.json'), `${JSON.stringify({ summary, results }, null, 2)}\n`);
    log(`report: ${reportPath}`);
    return { summary, results, reportPath };
  } finally {
    await browser.close();
    await provider.shutdown();
    await db.close();
    await pg.stop();
  }
}
