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
