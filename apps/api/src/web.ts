import { existsSync } from 'node:fs';
import { resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Log } from './context';
import { errorResponse } from './errors';

interface FetchModule {
  default: { fetch(request: Request): Response | Promise<Response> };
}

export type WebHandler = (request: Request) => Promise<Response>;

/**
 * The IDE: static files of the production build first, then its SSR fetch handler. Without a
 * build, a 503 that says how to make one.
 */
export async function createWebHandler(distDir: string, log: Log): Promise<WebHandler> {
  const entry = resolve(distDir, 'server/server.js');
  const clientDir = resolve(distDir, 'client');
  if (!existsSync(entry)) {
    return async () =>
      errorResponse(503, 'web_not_built', `the web app is not built: run "npm run build -w @lathe/web" (looked for ${entry})`);
  }
  const mod = (await import(pathToFileURL(entry).href)) as FetchModule;
  if (typeof mod.default?.fetch !== 'function') throw new Error(`${entry} has no default export with fetch(request)`);
  return async (request) => {
    if (request.method === 'GET' || request.method === 'HEAD') {
      const file = staticFile(clientDir, new URL(request.url).pathname);
      if (file) {
        const body = Bun.file(file);
        if (await body.exists()) {
          const immutable = file.startsWith(`${clientDir}${sep}assets${sep}`);
          return new Response(request.method === 'HEAD' ? null : body, {
            headers: { 'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache', 'content-type': body.type },
          });
        }
      }
    }
    try {
      return await mod.default.fetch(request);
    } catch (e) {
      log(`web app failed on ${new URL(request.url).pathname}: ${(e as Error).message}`);
      return errorResponse(500, 'internal_error', 'internal error');
    }
  };
}

/** Hop-by-hop headers are per connection and never forwarded. */
const HOP_BY_HOP = ['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection', 'te', 'trailer'];

/**
 * The IDE served by a separate web server (docker-compose's `web` service): requests are
 * forwarded as they are, so cookies and SSR behave exactly as with the in-process build.
 */
export function createWebProxy(origin: string, log: Log): WebHandler {
  return async (request) => {
    const incoming = new URL(request.url);
    const target = new URL(`${incoming.pathname}${incoming.search}`, origin);
    const headers = new Headers(request.headers);
    for (const h of HOP_BY_HOP) headers.delete(h);
    headers.set('x-forwarded-host', incoming.host);
    headers.set('x-forwarded-proto', incoming.protocol.replace(':', ''));
    try {
      const upstream = await fetch(target, {
        method: request.method,
        headers,
        body: request.method === 'GET' || request.method === 'HEAD' ? undefined : request.body,
        redirect: 'manual',
      });
      const out = new Headers(upstream.headers);
      for (const h of HOP_BY_HOP) out.delete(h);
      // fetch already decoded the body; the length and encoding no longer describe it.
      out.delete('content-encoding');
      out.delete('content-length');
      return new Response(upstream.body, { status: upstream.status, statusText: upstream.statusText, headers: out });
    } catch (e) {
      log(`web server at ${origin} failed on ${incoming.pathname}: ${(e as Error).message}`);
      return errorResponse(502, 'web_unavailable', 'the web app is not reachable right now');
    }
  };
}

/** The file under `root` for a URL path, or null when the path is not plainly inside it. */
function staticFile(root: string, pathname: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.endsWith('/')) return null;
  const file = resolve(root, `.${decoded}`);
  return file.startsWith(`${root}${sep}`) ? file : null;
}
