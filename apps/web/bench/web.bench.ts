/**
 * `npm run bench:web`: the gzipped JavaScript the project list page (/) loads in a real browser.
 *
 * Builds the web app if there is no build, serves the production build (static client files +
 * the SSR fetch handler) on a free port, opens / in Chromium as a signed-in user with no projects
 * (the two API calls the page makes are answered in the browser), and sums every JS response,
 * gzipped. The last line is JSON: {"list_page_js_gz_kb": N}. xterm.js (the IDE's terminal) must not be among
 * them: it is loaded only when a terminal opens on the IDE page.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS, DIST, ensureWebBuild } from '../test/support';

const BUDGET_KB = 300;
/** A class name only xterm.js's code carries. */
const XTERM_MARK = 'xterm-helper-textarea';
const TYPES: Record<string, string> = { '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.html': 'text/html' };

interface FetchHandler {
  default: { fetch(request: Request): Response | Promise<Response> };
}

async function serveBuild(): Promise<{ origin: string; close: () => Promise<void> }> {
  const handler = ((await import(pathToFileURL(join(DIST, 'server/server.js')).href)) as FetchHandler).default;
  const clientDir = join(DIST, 'client');
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const file = resolve(clientDir, `.${decodeURIComponent(url.pathname)}`);
    if (file.startsWith(`${clientDir}${sep}`) && existsSync(file) && statSync(file).isFile()) {
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
      createReadStream(file).pipe(res);
      return;
    }
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers.set(k, v);
    Promise.resolve(handler.fetch(new Request(url.href, { method: req.method ?? 'GET', headers })))
      .then(async (response) => {
        const body = Buffer.from(await response.arrayBuffer());
        res.writeHead(response.status, Object.fromEntries(response.headers));
        res.end(body);
      })
      .catch((e: unknown) => {
        res.writeHead(500);
        res.end(String(e));
      });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { origin: `http://localhost:${port}`, close: () => new Promise((r) => server.close(() => r())) };
}

async function main(): Promise<void> {
  await ensureWebBuild();
  const { origin, close } = await serveBuild();
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage();
    await page.route('**/api/**', (route) => {
      const path = new URL(route.request().url()).pathname;
      if (path === '/api/auth/get-session')
        return route.fulfill({ json: { user: { id: 'u1', email: 'bench@example.test', name: 'Bench' }, session: { id: 's1' } } });
      if (path === '/api/projects') return route.fulfill({ json: [] });
      return route.fulfill({ status: 404, json: { error: { code: 'not_found', message: 'not in the bench' } } });
    });
    const scripts = new Map<string, number>();
    const withXterm: string[] = [];
    page.on('response', async (response) => {
      const type = response.headers()['content-type'] ?? '';
      if (!type.includes('javascript') || !response.url().startsWith(origin)) return;
      const body = await response.body();
      if (body.includes(XTERM_MARK)) withXterm.push(new URL(response.url()).pathname);
      scripts.set(new URL(response.url()).pathname, gzipSync(body).length);
    });
    await page.goto(`${origin}/`, { waitUntil: 'networkidle' });
    await page.getByRole('heading', { name: 'What do you want to build?' }).waitFor();
    await page.waitForLoadState('networkidle');
    let total = 0;
    for (const [path, size] of [...scripts].sort((a, b) => b[1] - a[1])) {
      total += size;
      console.log(`${(size / 1024).toFixed(1).padStart(8)} KB  ${path}`);
    }
    const kb = Math.round((total / 1024) * 10) / 10;
    console.log(`${scripts.size} scripts, ${kb} KB gzipped (budget ${BUDGET_KB} KB)`);
    if (kb > BUDGET_KB) process.exitCode = 1;
    if (withXterm.length > 0) {
      console.log(`xterm.js is loaded by the project list: ${withXterm.join(', ')}`);
      process.exitCode = 1;
    }
    console.log(JSON.stringify({ list_page_js_gz_kb: kb }));
  } finally {
    await browser.close();
    await close();
  }
}

await main();
