import { AxeBuilder } from '@axe-core/playwright';
import type { Page } from 'playwright-core';

/** WCAG 2.0 and 2.1, levels A and AA: what the product promises (issue 17). */
const WCAG_AA = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

export interface AxeFinding {
  rule: string;
  impact: string;
  help: string;
  targets: string[];
}

/**
 * Serious and critical WCAG A/AA violations on the page as it is now. The preview frame is left
 * out: it shows the generated app, whose accessibility is the app's, not the IDE's.
 */
export async function auditPage(page: Page): Promise<AxeFinding[]> {
  // A theme switch fades colours (CSS transitions): axe must see the settled colours, not a blend.
  await page.waitForFunction(
    () => document.getAnimations().every((a) => a.playState !== 'running' || a.effect?.getTiming().iterations === Number.POSITIVE_INFINITY),
    null,
    { timeout: 10_000, polling: 50 },
  );
  const results = await new AxeBuilder({ page }).withTags(WCAG_AA).exclude('[data-testid=preview-frame]').analyze();
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({
      rule: v.id,
      impact: v.impact ?? '',
      help: v.help,
      targets: v.nodes.map((n) => `${n.target.join(' ')} — ${n.failureSummary?.replaceAll('\n', ' ') ?? ''}`),
    }));
}

/** A readable report for a failed expectation: rule, impact, summary and every target. */
export function formatFindings(state: string, findings: readonly AxeFinding[]): string {
  return findings.map((f) => `${state}: [${f.impact}] ${f.rule}: ${f.help}\n${f.targets.map((t) => `    ${t}`).join('\n')}`).join('\n');
}
