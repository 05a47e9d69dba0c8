import type { UsageTotals } from '@lathe/protocol';
import type { UsageRecord } from './reducer';

/** Tokens and cost of some model calls; costUsd is null when none of them had a known cost. */
export interface UsageSum {
  calls: number;
  promptTokens: number;
  completionTokens: number;
  cachedTokens: number;
  costUsd: number | null;
  /** Calls whose cost is unknown (left out of costUsd). */
  unpricedCalls: number;
}

/** The server's ledger totals as a sum; a cost counts as unknown when no call was priced. */
export function fromTotals(t: UsageTotals): UsageSum {
  return { ...t, costUsd: t.calls > t.unpricedCalls ? t.costUsd : null };
}

export function sumUsage(
  records: readonly Pick<UsageRecord, 'promptTokens' | 'completionTokens' | 'cachedTokens' | 'costUsd'>[],
): UsageSum {
  const sum: UsageSum = { calls: 0, promptTokens: 0, completionTokens: 0, cachedTokens: 0, costUsd: null, unpricedCalls: 0 };
  for (const r of records) {
    sum.calls++;
    sum.promptTokens += r.promptTokens;
    sum.completionTokens += r.completionTokens;
    sum.cachedTokens += r.cachedTokens;
    if (r.costUsd === null) sum.unpricedCalls++;
    else sum.costUsd = (sum.costUsd ?? 0) + r.costUsd;
  }
  return sum;
}

/**
 * Each round's usage, keyed by the id of the round's last chat item. A round starts at a user
 * message and holds every call made until the next one (messages and calls ordered by time).
 */
export function roundUsage(
  items: readonly { id: string; role: string; at: string }[],
  usage: readonly UsageRecord[],
): ReadonlyMap<string, UsageSum> {
  const out = new Map<string, UsageSum>();
  const starts = items.flatMap((m, i) => (m.role === 'user' ? [i] : []));
  starts.forEach((start, n) => {
    const next = starts[n + 1];
    const from = items[start]?.at ?? '';
    const until = next === undefined ? null : (items[next]?.at ?? null);
    const calls = usage.filter((u) => u.at >= from && (until === null || u.at < until));
    const last = items[(next ?? items.length) - 1];
    if (calls.length > 0 && last) out.set(last.id, sumUsage(calls));
  });
  return out;
}

/** 850, 12.3k, 50k, 123k, 1.5M. */
export function formatTokens(n: number): string {
  const short = (x: number) => (x < 100 ? x.toFixed(1).replace(/\.0$/, '') : String(Math.round(x)));
  if (n < 1000) return String(n);
  if (n < 1_000_000) return `${short(n / 1000)}k`;
  return `${short(n / 1_000_000)}M`;
}

export function formatCost(usd: number): string {
  if (usd === 0) return '$0';
  if (usd < 0.01) return '<$0.01';
  return `$${usd.toFixed(2)}`;
}

/** "12.3k tokens · $0.04"; the cost is left out when unknown and marked "+" when some calls are unpriced. */
export function usageLine(sum: UsageSum): string {
  const tokens = `${formatTokens(sum.promptTokens + sum.completionTokens)} tokens`;
  if (sum.costUsd === null) return tokens;
  return `${tokens} · ${formatCost(sum.costUsd)}${sum.unpricedCalls > 0 ? '+' : ''}`;
}

/** The details behind a usage line, for a tooltip. */
export function usageTitle(sum: UsageSum): string {
  const n = (x: number) => x.toLocaleString('en-US');
  const cost =
    sum.costUsd === null
      ? 'cost unknown'
      : `$${sum.costUsd.toFixed(4)}${sum.unpricedCalls > 0 ? ` (${sum.unpricedCalls} calls unpriced)` : ''}`;
  return `${n(sum.promptTokens)} prompt tokens (${n(sum.cachedTokens)} cached), ${n(sum.completionTokens)} completion tokens, ${sum.calls} model call${sum.calls === 1 ? '' : 's'}, ${cost}`;
}
