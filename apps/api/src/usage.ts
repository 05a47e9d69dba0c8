import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { type AgentStore, type PriceTable, parsePriceTable } from '@lathe/agent';
import type { UsageRepository } from '@lathe/db';
import { LatheError, type MonthlyUsage } from '@lathe/protocol';
import type { Log } from './context';
import { RateLimitedError } from './errors';

/**
 * The price table: LATHE_PRICES holds the JSON itself or names a JSON file (read once at start,
 * relative to the working directory), laid over the built-in defaults.
 */
export async function loadPriceTable(env: Record<string, string | undefined>, cwd: string): Promise<PriceTable> {
  const raw = env.LATHE_PRICES?.trim();
  if (!raw || raw.startsWith('{')) return parsePriceTable(raw);
  const path = isAbsolute(raw) ? raw : resolve(cwd, raw);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new LatheError('bad_config', `LATHE_PRICES names a file that cannot be read (${path}): ${(e as Error).message}`);
  }
  return parsePriceTable(text);
}

/** The calendar month (UTC) holding `now`: budgets count from its first instant. */
export function monthOf(now: Date): { since: Date; resetsAt: Date } {
  return {
    since: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)),
    resetsAt: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)),
  };
}

export async function monthlyUsage(
  usage: Pick<UsageRepository, 'userSince'>,
  userId: string,
  budget: number | null,
  now = new Date(),
): Promise<MonthlyUsage> {
  const { since, resetsAt } = monthOf(now);
  const spent = await usage.userSince(userId, since);
  return { since: since.toISOString(), resetsAt: resetsAt.toISOString(), tokens: spent.tokens, costUsd: spent.costUsd, budget };
}

/**
 * Refuses to start a round once the user's tokens this month reached the budget (429 with
 * Retry-After until the month turns). A round already running may finish past it.
 */
export async function checkTokenBudget(
  usage: Pick<UsageRepository, 'userSince'>,
  userId: string,
  budget: number | null,
  now = new Date(),
): Promise<void> {
  if (budget === null) return;
  const month = await monthlyUsage(usage, userId, budget, now);
  if (month.tokens < budget) return;
  const retryAfter = Math.max(1, Math.ceil((Date.parse(month.resetsAt) - now.getTime()) / 1000));
  throw new RateLimitedError(
    `you have used ${month.tokens.toLocaleString('en-US')} of your ${budget.toLocaleString('en-US')} tokens this month; ` +
      `new generations and follow-ups are possible again from ${month.resetsAt.slice(0, 10)} (UTC)`,
    retryAfter,
    'token_budget_exceeded',
  );
}

/**
 * The agent's store, recording each `llm_usage` event in the owner's ledger as it is persisted,
 * so the ledger is up to date before the agent goes on. A failed ledger write is logged and
 * does not stop the generation (the event log still holds the call).
 */
export function withUsageLedger(store: AgentStore, usage: Pick<UsageRepository, 'record'>, ownerId: string, log: Log): AgentStore {
  return {
    ...store,
    async appendEvents(projectId, events) {
      const stored = await store.appendEvents(projectId, events);
      for (const e of stored) {
        if (e.type !== 'llm_usage') continue;
        await usage.record({ userId: ownerId, projectId, eventSeq: e.seq, ...e.payload }).catch((err: unknown) => {
          log(`cannot record usage of project ${projectId} (event ${e.seq}): ${(err as Error).message}`);
        });
      }
      return stored;
    },
  };
}
