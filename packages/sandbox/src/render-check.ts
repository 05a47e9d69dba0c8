import { existsSync } from 'node:fs';
import { type Diagnostic, LatheError } from '@lathe/protocol';
import type { Browser } from 'playwright-core';

/**
 * The render check: loads a dev server's page in headless Chromium as a user would, waits for the
 * network to settle, and reports what went wrong in the browser (uncaught errors, rejections,
 * console errors, failed loads, a blank page), with a small screenshot. One browser per server
 * process, started at the first check and shared by every sandbox; a page (in its own context)
 * per check. The page may reach only the dev server it was opened on: anything else it asks for
 * is refused, so generated code cannot use the check to reach other hosts.
 */

export interface RenderCheckConfig {
  /** Chromium's executable; null: checks are skipped with a note. */
  executablePath: string | null;
  /** Time one check may take, page load included. Default 20 000 ms. */
  timeoutMs?: number;
}

export interface RenderCheckResult {
  /** 'skipped' when no browser is available (see `note`). */
  status: 'checked' | 'skipped';
  note: string | null;
  /** The page shows nothing: #root (or the body) has no text and no media or controls. */
  blank: boolean;
  /** Errors the browser saw (source 'runtime'), including a blank page. */
  diagnostics: Diagnostic[];
  /** A JPEG thumbnail as a data URL (null when skipped or the page could not be captured). */
  screenshot: string | null;
  ms: number;
}

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'];
const DEFAULT_TIMEOUT_MS = 20_000;
/** After the network settles: time for effects to run and the page's reports to arrive. */
const SETTLE_MS = 400;
const MAX_SCREENSHOT_BYTES = 96 * 1024;
/** Runs in the page: true when #root (or the body) shows no text, media or controls. */
const BLANK_CHECK = `(() => {
  const root = document.getElementById('root') || document.body;
  const text = (root.innerText || '').trim();
  return text === '' && root.querySelector('img,svg,canvas,video,input,button,select,textarea,iframe') === null;
})()`;

/** LATHE_CHROMIUM_PATH ('none' turns the check off), else the first Chromium found in the usual places. */
export function chromiumFromEnv(env: Record<string, string | undefined>): string | null {
  const set = env.LATHE_CHROMIUM_PATH?.trim();
  if (set === 'none') return null;
  if (set) {
    if (!existsSync(set)) throw new LatheError('sandbox_error', `LATHE_CHROMIUM_PATH points to ${set}, which does not exist`);
    return set;
  }
  return CANDIDATES.find((p) => existsSync(p)) ?? null;
}

export const BLANK_PAGE_MESSAGE =
  'The page renders nothing: after loading, #root has no text, images or controls. The app may have thrown before rendering, returned null, or hidden everything.';

export class RenderChecker {
  private browser: Promise<Browser> | null = null;
  private readonly timeoutMs: number;

  constructor(private readonly config: RenderCheckConfig) {
    this.timeoutMs = config.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  get available(): boolean {
    return this.config.executablePath !== null;
  }

  /**
   * Loads `url` and reports what the browser saw. `reported()` returns the runtime errors the
   * page's own reporter sent to the dev server since `since` (they carry mapped file and line).
   */
  async check(url: string, reported: () => Diagnostic[], signal?: AbortSignal): Promise<RenderCheckResult> {
    const started = Date.now();
    if (!this.config.executablePath) {
      return {
        status: 'skipped',
        note: 'No Chromium is installed, so the preview was not checked in a browser (set LATHE_CHROMIUM_PATH).',
        blank: false,
        diagnostics: [],
        screenshot: null,
        ms: 0,
      };
    }
    const browser = await this.launch();
    const context = await browser.newContext({ viewport: { width: 1024, height: 640 }, deviceScaleFactor: 0.5, serviceWorkers: 'block' });
    const origin = new URL(url).origin;
    const onAbort = () => void context.close().catch(() => undefined);
    signal?.addEventListener('abort', onAbort, { once: true });
    const seen: string[] = [];
    try {
      await context.route('**/*', (route) => {
        const target = route.request().url();
        if (target.startsWith(`${origin}/`) || target === origin || target.startsWith('data:') || target.startsWith('blob:'))
          return route.continue();
        return route.abort('blockedbyclient');
      });
      const page = await context.newPage();
      page.on('pageerror', (e) => seen.push(e.message));
      const deadline = started + this.timeoutMs;
      const left = () => Math.max(1_000, deadline - Date.now());
      await page.goto(url, { waitUntil: 'load', timeout: left() });
      await page.waitForLoadState('networkidle', { timeout: Math.min(8_000, left()) }).catch(() => undefined);
      await page.waitForTimeout(SETTLE_MS);
      const blank = (await page.evaluate(BLANK_CHECK)) === true;
      const shot = await page.screenshot({ type: 'jpeg', quality: 55, timeout: left() }).catch(() => null);
      const diagnostics = mergeErrors(reported(), seen);
      if (blank) diagnostics.push({ source: 'runtime', file: null, line: null, column: null, message: BLANK_PAGE_MESSAGE });
      return {
        status: 'checked',
        note: null,
        blank,
        diagnostics,
        screenshot: shot && shot.length <= MAX_SCREENSHOT_BYTES ? `data:image/jpeg;base64,${shot.toString('base64')}` : null,
        ms: Date.now() - started,
      };
    } catch (e) {
      if (signal?.aborted) throw new LatheError('cancelled', 'the render check was cancelled');
      const message = e instanceof Error ? e.message.split('\n')[0] : String(e);
      return {
        status: 'checked',
        note: null,
        blank: false,
        diagnostics: [
          ...mergeErrors(reported(), seen),
          { source: 'runtime', file: null, line: null, column: null, message: `The page did not finish loading: ${message}` },
        ],
        screenshot: null,
        ms: Date.now() - started,
      };
    } finally {
      signal?.removeEventListener('abort', onAbort);
      await context.close().catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    const browser = this.browser;
    this.browser = null;
    if (browser) await (await browser.catch(() => null))?.close().catch(() => undefined);
  }

  private launch(): Promise<Browser> {
    if (!this.browser) {
      const executablePath = this.config.executablePath as string;
      // Chromium's own sandbox needs an unprivileged user; as root it refuses to start without this.
      const args = process.getuid?.() === 0 ? ['--no-sandbox'] : [];
      const starting = import('playwright-core').then(({ chromium }) => chromium.launch({ executablePath, args, headless: true }));
      this.browser = starting;
      starting
        .then((b) =>
          b.on('disconnected', () => {
            if (this.browser === starting) this.browser = null;
          }),
        )
        .catch(() => {
          if (this.browser === starting) this.browser = null;
        });
    }
    return this.browser;
  }
}

/** The page's own reports, then browser errors none of them already covers. */
function mergeErrors(reported: Diagnostic[], seen: string[]): Diagnostic[] {
  const out = [...reported];
  for (const message of new Set(seen)) {
    if (out.some((d) => d.message.includes(message))) continue;
    out.push({ source: 'runtime', file: null, line: null, column: null, message: `Uncaught in the browser: ${message}` });
  }
  return out;
}
