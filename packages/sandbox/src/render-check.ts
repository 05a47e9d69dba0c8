import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { type Diagnostic, LatheError } from '@lathe/protocol';
import type { Browser, BrowserContext, CDPSession, Frame, Page, Request } from 'playwright-core';

/**
 * The render check: loads a dev server's page in headless Chromium as a user would, waits for the
 * network to settle, and reports what went wrong in the browser (uncaught errors, rejections,
 * console errors, failed loads, a blank page), with a small screenshot. One browser per server
 * process, started at the first check and shared by every sandbox. Each sandbox keeps one browser
 * context and one page while its dev server runs (so a warm check reuses the browser's HTTP cache
 * and compiled code of the dependencies, as a user's reload would); each check is a new document
 * in that page, with the origin's storage (cookies, localStorage, IndexedDB, ...) cleared first,
 * and the page goes back to about:blank after it. A page that failed or timed out is closed, and
 * the next check opens a new one. The page may reach only the dev
 * server it was opened on: anything else it asks for is refused, so generated code cannot use the
 * check to reach other hosts.
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
  /** Reports the page's own reporter posted to its dev server (they reach `reported` through its output). */
  reportsSent: number;
  ms: number;
}

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'];
const DEFAULT_TIMEOUT_MS = 20_000;
/** The network counts as settled once no request has been in flight for this long. */
const QUIET_MS = 150;
/** Longest wait for the network to settle (a page that polls forever is checked as it stands). */
const MAX_QUIET_WAIT_MS = 8_000;
/** Runs in the page: resolves after two frames and a moment, so effects run and errors surface. */
const AFTER_FRAMES = `new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(resolve, 50))))`;
/** Reloads by the dev server a check follows before it reports the page as not loading. */
const MAX_RELOADS = 3;
/** A page evaluation failed because the page navigated away (Playwright's wording). */
const isNavigationError = (e: unknown) => e instanceof Error && /Execution context was destroyed|navigat/i.test(e.message);
/** A sandbox's browser context is closed after this long without a check. */
const CONTEXT_IDLE_MS = 60_000;
/** Storage a check starts without; the HTTP cache is kept (it is what makes a warm check fast). */
const CLEARED_STORAGE = 'cookies,local_storage,indexeddb,service_workers,cache_storage,file_systems';
const RUNTIME_PATH = '/__lathe/runtime';
const CLEAR_WEB_STORAGE = `(() => {
  if (window !== window.top) return;
  try { localStorage.clear(); } catch (e) {}
  try { sessionStorage.clear(); } catch (e) {}
})()`;
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

interface SandboxContext {
  origin: string;
  context: Promise<BrowserContext>;
  /** The sandbox's page, on about:blank between checks (null: open a new one). */
  page: Promise<Page | null> | null;
  idle: ReturnType<typeof setTimeout> | null;
}

export class RenderChecker {
  private browser: Promise<Browser> | null = null;
  private readonly timeoutMs: number;
  private readonly contexts = new Map<string, SandboxContext>();
  private proxy: Promise<string> | null = null;
  private proxyServer: Server | null = null;

  constructor(private readonly config: RenderCheckConfig) {
    this.timeoutMs = config.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  get available(): boolean {
    return this.config.executablePath !== null;
  }

  /**
   * Loads `url` for sandbox `key` and reports what the browser saw. `reported()` returns the
   * runtime errors the page's own reporter sent to the dev server (they carry mapped file and line).
   */
  async check(key: string, url: string, reported: () => Diagnostic[], signal?: AbortSignal): Promise<RenderCheckResult> {
    const started = Date.now();
    if (!this.config.executablePath) {
      return {
        status: 'skipped',
        note: 'No Chromium is installed, so the preview was not checked in a browser (set LATHE_CHROMIUM_PATH).',
        blank: false,
        diagnostics: [],
        screenshot: null,
        reportsSent: 0,
        ms: 0,
      };
    }
    const origin = new URL(url).origin;
    const context = await this.contextFor(key, origin);
    const page = (await this.takePage(key)) ?? (await openPage(context));
    let healthy = false;
    const onAbort = () => void page.close().catch(() => undefined);
    signal?.addEventListener('abort', onAbort, { once: true });
    const seen: string[] = [];
    const onError = (e: Error) => seen.push(e.message);
    // The dev server may reload the page under the check (a file written just before it, or the
    // dependency optimiser's reload): the new document is the one to judge, and the errors of the
    // one it replaced are stale.
    const onNavigated = (frame: Frame) => {
      if (frame === page.mainFrame()) seen.length = 0;
    };
    const network = trackNetwork(page);
    try {
      page.on('pageerror', onError);
      await clearStorage(context, page, origin);
      const deadline = started + this.timeoutMs;
      const left = () => Math.max(1_000, deadline - Date.now());
      await page.goto(url, { waitUntil: 'load', timeout: left() });
      page.on('framenavigated', onNavigated);
      let blank = false;
      for (let reloads = 0; ; reloads++) {
        try {
          await network.quiet(Math.min(MAX_QUIET_WAIT_MS, left()));
          await page.evaluate(AFTER_FRAMES);
          // Effects that fetched or reported after the first quiet spell: let those settle too.
          if (network.busySince()) await network.quiet(Math.min(MAX_QUIET_WAIT_MS, left()));
          blank = (await page.evaluate(BLANK_CHECK)) === true;
          break;
        } catch (e) {
          // A reload while the page was evaluated: judge the document that replaced it.
          if (reloads >= MAX_RELOADS || !isNavigationError(e)) throw e;
          await page.waitForLoadState('load', { timeout: left() });
        }
      }
      const shot = await page.screenshot({ type: 'jpeg', quality: 55, timeout: left() }).catch(() => null);
      healthy = true;
      const diagnostics = mergeErrors(reported(), seen);
      if (blank) diagnostics.push({ source: 'runtime', file: null, line: null, column: null, message: BLANK_PAGE_MESSAGE });
      return {
        status: 'checked',
        note: null,
        blank,
        diagnostics,
        screenshot: shot && shot.length <= MAX_SCREENSHOT_BYTES ? `data:image/jpeg;base64,${shot.toString('base64')}` : null,
        reportsSent: network.reports(),
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
        reportsSent: network.reports(),
        ms: Date.now() - started,
      };
    } finally {
      signal?.removeEventListener('abort', onAbort);
      page.off('pageerror', onError);
      page.off('framenavigated', onNavigated);
      network.dispose();
      this.park(key, page, healthy && !signal?.aborted);
    }
  }

  /** Closes sandbox `key`'s browser context (its dev server stopped: the next check starts cold). */
  async release(key: string): Promise<void> {
    const entry = this.contexts.get(key);
    if (!entry) return;
    this.contexts.delete(key);
    if (entry.idle) clearTimeout(entry.idle);
    void entry.page?.catch(() => undefined);
    await (await entry.context.catch(() => null))?.close().catch(() => undefined);
  }

  async close(): Promise<void> {
    await Promise.all([...this.contexts.keys()].map((key) => this.release(key)));
    const browser = this.browser;
    this.browser = null;
    if (browser) await (await browser.catch(() => null))?.close().catch(() => undefined);
    this.proxyServer?.close();
    this.proxyServer = null;
    this.proxy = null;
  }

  /** The sandbox's context for `origin`: kept between checks, new when the origin changed. */
  private async contextFor(key: string, origin: string): Promise<BrowserContext> {
    const entry = this.contexts.get(key);
    if (entry && entry.origin !== origin) await this.release(key);
    const kept = this.contexts.get(key);
    if (kept) {
      if (kept.idle) clearTimeout(kept.idle);
      kept.idle = null;
      try {
        return await kept.context;
      } catch {
        this.contexts.delete(key);
      }
    }
    // Everything but the dev server goes to a proxy that refuses it (loopback included: Playwright
    // proxies loopback unless the bypass names it). Routing would do the same but turns off the
    // HTTP cache, and does not see WebSockets.
    const context = Promise.all([this.launch(), this.refusingProxy()]).then(([browser, proxy]) =>
      browser.newContext({
        viewport: { width: 1024, height: 640 },
        deviceScaleFactor: 0.5,
        serviceWorkers: 'block',
        proxy: { server: proxy, bypass: new URL(origin).host },
      }),
    );
    const fresh: SandboxContext = { origin, context, page: null, idle: null };
    this.contexts.set(key, fresh);
    try {
      return await context;
    } catch (e) {
      if (this.contexts.get(key) === fresh) this.contexts.delete(key);
      throw e;
    }
  }

  /** The sandbox's parked page, if it is still open. */
  private async takePage(key: string): Promise<Page | null> {
    const entry = this.contexts.get(key);
    const parked = entry?.page ?? null;
    if (entry) entry.page = null;
    const page = parked ? await parked.catch(() => null) : null;
    return page && !page.isClosed() ? page : null;
  }

  /**
   * After a check: a healthy page leaves the app (about:blank, so nothing of it runs on) and waits
   * for the next check; a failed one is closed. The context stays until idle.
   */
  private park(key: string, page: Page, healthy: boolean): void {
    const entry = this.contexts.get(key);
    if (!entry || !healthy) {
      void page.close().catch(() => undefined);
      if (!entry) return;
    } else {
      const parked = page
        .goto('about:blank', { timeout: 5_000 })
        .then(() => page)
        .catch(async () => {
          await page.close().catch(() => undefined);
          return null;
        });
      entry.page?.then((old) => old?.close()).catch(() => undefined);
      entry.page = parked;
    }
    if (entry.idle) clearTimeout(entry.idle);
    entry.idle = setTimeout(() => void this.release(key), CONTEXT_IDLE_MS);
    entry.idle.unref?.();
  }

  /** A local proxy that answers every request with 403 and every tunnel with a closed socket. */
  private refusingProxy(): Promise<string> {
    if (!this.proxy) {
      const server = createServer((_req, res) => {
        res.writeHead(403, { 'content-type': 'text/plain' });
        res.end('The render check may reach only the dev server.');
      });
      server.on('connect', (_req, socket: Socket) => socket.end('HTTP/1.1 403 Forbidden\r\n\r\n'));
      server.on('clientError', (_e, socket) => socket.destroy());
      this.proxy = new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => {
          server.unref();
          this.proxyServer = server;
          resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
        });
      });
      this.proxy.catch(() => {
        this.proxy = null;
      });
    }
    return this.proxy;
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
            if (this.browser !== starting) return;
            this.browser = null;
            this.contexts.clear();
          }),
        )
        .catch(() => {
          if (this.browser === starting) this.browser = null;
        });
    }
    return this.browser;
  }
}

/**
 * A check starts as a first visit would: no cookies, IndexedDB or caches of the origin, and (in
 * the page, before its own scripts run, since a closed page's last writes may land late) empty
 * localStorage and sessionStorage.
 */
async function clearStorage(context: BrowserContext, page: Page, origin: string): Promise<void> {
  await context.clearCookies();
  const cdp = cdpSessions.get(page) ?? (await context.newCDPSession(page));
  cdpSessions.set(page, cdp);
  await cdp.send('Storage.clearDataForOrigin', { origin, storageTypes: CLEARED_STORAGE }).catch(() => undefined);
}

const cdpSessions = new WeakMap<Page, CDPSession>();

/** A new page for checks: web storage is cleared before each document's own scripts run. */
async function openPage(context: BrowserContext): Promise<Page> {
  const page = await context.newPage();
  await page.addInitScript(CLEAR_WEB_STORAGE);
  return page;
}

/**
 * Requests in flight on a page: `quiet` resolves once none has been for QUIET_MS (or at `maxMs`),
 * a tighter test than Playwright's networkidle (500 ms). Counts the reporter's posts too.
 */
function trackNetwork(page: Page) {
  let inFlight = 0;
  let lastChange = Date.now();
  let reports = 0;
  const done = () => {
    inFlight = Math.max(0, inFlight - 1);
    lastChange = Date.now();
  };
  const started = (r: Request) => {
    inFlight++;
    lastChange = Date.now();
    try {
      if (new URL(r.url()).pathname === RUNTIME_PATH) reports++;
    } catch {
      // not a URL we can parse: not a report
    }
  };
  page.on('request', started);
  page.on('requestfinished', done);
  page.on('requestfailed', done);
  let quietAt = 0;
  return {
    async quiet(maxMs: number): Promise<void> {
      const until = Date.now() + maxMs;
      while (Date.now() < until && (inFlight > 0 || Date.now() - lastChange < QUIET_MS)) await sleep(25);
      quietAt = Date.now();
    },
    /** A request started or ended since the last quiet spell. */
    busySince(): boolean {
      return inFlight > 0 || lastChange > quietAt;
    },
    reports: () => reports,
    dispose(): void {
      page.off('request', started);
      page.off('requestfinished', done);
      page.off('requestfailed', done);
    },
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
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
