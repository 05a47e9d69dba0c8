import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CodeGeneratorAgent,
  createDbAgentStore,
  createOpenAiLlmClient,
  type PriceTable,
  type ScriptedModel,
  type ScriptStep,
  startScriptedModel,
} from '@lathe/agent';
import type { Repositories } from '@lathe/db';
import type { AgentEvent, Diagnostic } from '@lathe/protocol';
import type { SandboxProvider } from '@lathe/sandbox';
import type { Browser } from 'playwright-core';
import type { BehaviourCheck } from './checks';

/** One app to generate and check. */
export interface EvalCase {
  name: string;
  /** What the user asks for. */
  prompt: string;
  /** Follow-up messages sent after the first round, in order. */
  followUps?: string[];
  /** Offline: the scripted model's answers (live cases have none). */
  script?: ScriptStep[];
  /** What the case exercises, for the report. */
  about: string;
  check: BehaviourCheck;
  /** An intentionally hard case: why Lathe is not expected to recover (shown in the report). */
  hard?: string;
}

export interface ModelEndpoint {
  baseUrl: string;
  apiKey: string;
  model: string;
}

export interface EvalEnv {
  repos: Repositories;
  ownerId: string;
  provider: SandboxProvider;
  browser: Browser;
  /** null: each case's script is served by a scripted model. */
  live: ModelEndpoint | null;
  prices: PriceTable;
  reportDir: string;
  fixRounds: number;
  phaseBudget: number;
}

export interface CaseResult {
  name: string;
  about: string;
  hard: string | null;
  state: string;
  typecheckOk: boolean;
  renderOk: boolean;
  behaviourOk: boolean;
  /** The first review found errors (null: there was no review). */
  neededFix: boolean | null;
  /** The last review was clean after the first one was not (within the configured fix rounds). */
  fixed: boolean;
  fixerCalls: number;
  /** What the first review found (before any fix round). */
  firstErrors: string[];
  promptTokens: number;
  completionTokens: number;
  costUsd: number | null;
  durationMs: number;
  /** Relative path of the screenshot in the report directory, or null. */
  screenshot: string | null;
  /** What went wrong, one line each (empty when the case passed). */
  problems: string[];
}

/** A fixer answer used when the scripted one did not match: what a model says when it cannot see the bug. */
export const CLUELESS_FIXER: ScriptStep = {
  role: 'fixer',
  kind: 'reply',
  content: 'I went through the files and they look correct to me. The error may come from a stale build; try reloading the preview.',
};

const short = (d: Diagnostic) =>
  `${d.source}${d.file ? ` ${d.file}${d.line ? `:${d.line}` : ''}` : ''}: ${d.message.split('\n')[0]?.slice(0, 200)}`;

function slug(name: string): string {
  return name
    .replace(/[^a-z0-9]+/gi, '-')
    .replace(/^-|-$/g, '')
    .toLowerCase();
}

/** Generates the case's app through the real agent, then runs its behaviour check in Chromium. */
export async function runCase(env: EvalEnv, c: EvalCase): Promise<CaseResult> {
  const problems: string[] = [];
  let scripted: ScriptedModel | null = null;
  let endpoint: ModelEndpoint;
  if (env.live) endpoint = env.live;
  else {
    if (!c.script) throw new Error(`case ${c.name} has no script for the offline mode`);
    // Two clueless fixer answers: a fix the pipeline never asks for with the real error is not given.
    scripted = await startScriptedModel({ script: [...c.script, CLUELESS_FIXER, CLUELESS_FIXER] });
    endpoint = { baseUrl: scripted.url, apiKey: 'eval', model: 'lathe-eval-scripted' };
  }
  const project = await env.repos.projects.create({ ownerId: env.ownerId, name: c.name, initialPrompt: c.prompt, template: 'react-vite' });
  const sandbox = await env.provider.create(project.id);
  const llm = createOpenAiLlmClient(
    { designer: endpoint, implementer: endpoint, fixer: endpoint },
    { maxRetries: 3, retryBaseMs: env.live ? 1_000 : 50, stallTimeoutMs: env.live ? 120_000 : 60_000 },
  );
  const agent = await CodeGeneratorAgent.load({
    projectId: project.id,
    store: createDbAgentStore(env.repos),
    sandbox,
    llm,
    config: { phaseBudget: env.phaseBudget, fixRounds: env.fixRounds, offline: false, prices: env.prices },
  });
  const events: AgentEvent[] = [];
  agent.subscribe((e) => events.push(e));
  const start = performance.now();
  let screenshot: string | null = null;
  let behaviourOk = false;
  try {
    await agent.generate(c.prompt);
    await agent.whenIdle();
    for (const message of c.followUps ?? []) {
      await agent.message(message);
      await agent.whenIdle();
    }
    const durationMs = Math.round(performance.now() - start);
    const state = agent.getState();
    if (state.lastError) problems.push(`agent error ${state.lastError.code}: ${state.lastError.message}`);

    const reviews = events.flatMap((e) => (e.type === 'review_result' ? [e.payload] : []));
    const renders = events.flatMap((e) => (e.type === 'render_checked' ? [e.payload] : []));
    const lastReview = reviews.at(-1);
    const compileErrors = (lastReview?.errors ?? []).filter((d) => d.source !== 'runtime');
    const typecheckOk = lastReview !== undefined && compileErrors.length === 0;
    if (!lastReview) problems.push('no review ran');
    for (const d of compileErrors.slice(0, 5)) problems.push(`left after review: ${short(d)}`);
    const lastRender = renders.at(-1);
    const renderOk = lastRender?.status === 'checked' && !lastRender.blank && lastRender.errors.length === 0;
    if (!lastRender) problems.push('no render check ran');
    else if (lastRender.status === 'skipped') problems.push(`render check skipped: ${lastRender.note ?? ''}`);
    else {
      if (lastRender.blank) problems.push('the preview rendered a blank page');
      for (const d of lastRender.errors.slice(0, 5)) problems.push(`preview: ${short(d)}`);
    }
    const neededFix = reviews[0] ? reviews[0].errors.length > 0 : null;
    const fixed = neededFix === true && lastReview !== undefined && lastReview.errors.length === 0;
    const usage = events.flatMap((e) => (e.type === 'llm_usage' ? [e.payload] : []));
    const costs = usage.map((u) => u.costUsd);
    if (scripted && c.script) {
      // A scripted answer that requires text no request of its role ever contained: the error it
      // answers never reached that model (the fix stays unapplied, and the case says why).
      const asked = scripted.requests;
      for (const step of c.script) {
        const needles = step.requires ?? [];
        if (needles.length === 0) continue;
        const reached = asked.some(
          (r) =>
            (step.role === undefined || r.role === step.role) &&
            needles.every((n) =>
              r.messages
                .map((m) => (typeof m.content === 'string' ? m.content : JSON.stringify(m.content)))
                .join('\n')
                .includes(n),
            ),
        );
        if (!reached) problems.push(`never reached the ${step.role ?? 'model'}: ${needles.join(' + ')}`);
      }
    }

    // Behaviour, on the dev server the IDE's preview shows.
    const { url } = await sandbox.startDevServer();
    const page = await env.browser.newPage({ viewport: { width: 1024, height: 720 } });
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    try {
      await page.goto(url, { waitUntil: 'load', timeout: 30_000 });
      await page
        .locator('#root > *')
        .first()
        .waitFor({ timeout: 8_000 })
        .catch(() => {});
      await c.check(page);
      if (pageErrors.length > 0) throw new Error(`uncaught error while using the app: ${pageErrors[0]}`);
      behaviourOk = true;
    } catch (e) {
      problems.push(`behaviour: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]}`);
      const said = problems.at(-1) ?? '';
      if (pageErrors.length > 0 && !said.includes('uncaught error')) problems.push(`uncaught error while using the app: ${pageErrors[0]}`);
    } finally {
      await mkdir(join(env.reportDir, 'shots'), { recursive: true });
      const file = join('shots', `${slug(c.name)}.jpg`);
      try {
        await writeFile(join(env.reportDir, file), await page.screenshot({ type: 'jpeg', quality: 60, timeout: 10_000 }));
        screenshot = file;
      } catch {
        const thumb = lastRender?.screenshot?.match(/^data:image\/jpeg;base64,(.*)$/)?.[1];
        if (thumb) {
          await writeFile(join(env.reportDir, file), Buffer.from(thumb, 'base64'));
          screenshot = file;
        }
      }
      await page.close();
    }
    return {
      name: c.name,
      about: c.about,
      hard: c.hard ?? null,
      state: state.state,
      typecheckOk,
      renderOk,
      behaviourOk,
      neededFix,
      fixed,
      fixerCalls: usage.filter((u) => u.role === 'fixer').length,
      firstErrors: (reviews[0]?.errors ?? []).slice(0, 5).map(short),
      promptTokens: usage.reduce((s, u) => s + u.promptTokens, 0),
      completionTokens: usage.reduce((s, u) => s + u.completionTokens, 0),
      costUsd: costs.some((x) => x === null) ? null : costs.reduce<number>((s, x) => s + (x ?? 0), 0),
      durationMs,
      screenshot,
      problems,
    };
  } finally {
    agent.dispose();
    await env.provider.destroy(project.id).catch(() => {});
    await scripted?.close();
  }
}

export interface Summary {
  cases: number;
  typecheck_ok_pct: number;
  render_ok_pct: number;
  behaviour_ok_pct: number;
  /** Of the cases whose first review found errors, the share fixed by the (at most 2) fix rounds; null when none needed a fix. */
  fixed_within_2_pct: number | null;
  median_tokens: number;
  median_duration_ms: number;
  total_cost_usd?: number | null;
}

export function median(xs: number[]): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] ?? 0) : Math.round(((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2);
}

const pct = (n: number, of: number) => (of === 0 ? 0 : Math.round((1000 * n) / of) / 10);

export function summarise(results: CaseResult[], live: boolean): Summary {
  const needed = results.filter((r) => r.neededFix === true);
  const summary: Summary = {
    cases: results.length,
    typecheck_ok_pct: pct(results.filter((r) => r.typecheckOk).length, results.length),
    render_ok_pct: pct(results.filter((r) => r.renderOk).length, results.length),
    behaviour_ok_pct: pct(results.filter((r) => r.behaviourOk).length, results.length),
    fixed_within_2_pct: needed.length === 0 ? null : pct(needed.filter((r) => r.fixed).length, needed.length),
    median_tokens: median(results.map((r) => r.promptTokens + r.completionTokens)),
    median_duration_ms: median(results.map((r) => r.durationMs)),
  };
  if (live) {
    const costs = results.map((r) => r.costUsd);
    summary.total_cost_usd = costs.some((c) => c === null) ? null : Math.round(costs.reduce<number>((s, c) => s + (c ?? 0), 0) * 1e4) / 1e4;
  }
  return summary;
}

const esc = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The Markdown report: the summary, a table of cases, then each case with its screenshot and problems. */
export function markdownReport(results: CaseResult[], summary: Summary, meta: { mode: string; model: string; at: string }): string {
  const yes = (b: boolean) => (b ? '✅' : '❌');
  const lines = [
    '# Lathe generation scoreboard',
    '',
    `Mode: **${meta.mode}**, model \`${meta.model}\`, ${meta.at}.`,
    '',
    '```json',
    JSON.stringify(summary),
    '```',
    '',
    '| case | typecheck | render | behaviour | fixer calls | tokens | cost (USD) | ms |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...results.map(
      (r) =>
        `| ${esc(r.name)}${r.hard ? ' (hard)' : ''} | ${yes(r.typecheckOk)} | ${yes(r.renderOk)} | ${yes(r.behaviourOk)} | ${r.fixerCalls} | ${r.promptTokens + r.completionTokens} | ${r.costUsd === null ? 'n/a' : r.costUsd.toFixed(4)} | ${r.durationMs} |`,
    ),
    '',
  ];
  for (const r of results) {
    lines.push(`## ${r.name}`, '', r.about, '');
    if (r.hard) lines.push(`*Intentionally hard:* ${r.hard}`, '');
    lines.push(
      `Final state ${r.state}; first review ${r.neededFix === null ? 'did not run' : r.neededFix ? 'found errors' : 'was clean'}${r.neededFix ? (r.fixed ? ', fixed' : ', not fixed') : ''}.`,
      '',
    );
    if (r.problems.length === 0) lines.push('Nothing went wrong.', '');
    else lines.push('What went wrong:', '', ...r.problems.map((p) => `- ${p}`), '');
    if (r.screenshot) lines.push(`![${r.name}](${r.screenshot})`, '');
  }
  return lines.join('\n');
}
