import type { ServerWebSocket } from 'bun';
import type { Log } from './context';
import { errorResponse } from './errors';

/** Data of a browser socket proxied to a sandbox dev server (Vite HMR). */
export interface PreviewSocketData {
  kind: 'preview';
  projectId: string;
  /** The owner's sign-in session behind the preview cookie; the socket closes when it ends. */
  userId: string;
  sessionId: string;
  target: string;
  protocols: string[];
  upstream: WebSocket | null;
  /** Client frames that arrive before the upstream socket is open. */
  queue: (string | Buffer)[];
  /** Their total size in bytes. */
  queuedBytes: number;
}

/** Finds the preview token in a Host header `<token>.<domain>[:port]`, or null. */
export function previewTokenOf(host: string | null, domain: string): string | null {
  if (!host) return null;
  const name = host.toLowerCase().replace(/:\d+$/, '');
  const suffix = `.${domain}`;
  if (!name.endsWith(suffix)) return null;
  const token = name.slice(0, -suffix.length);
  return /^[a-z0-9]{16,64}$/.test(token) ? token : null;
}

// Hop-by-hop headers and the IDE's credentials never cross the proxy.
const DROP_REQUEST = [
  'cookie',
  'authorization',
  'host',
  'connection',
  'keep-alive',
  'upgrade',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
];
const HOP_BY_HOP_RESPONSE = ['connection', 'keep-alive', 'transfer-encoding', 'content-encoding', 'content-length'];
/**
 * What a generated app may not say to the browser, because it reaches past its own preview host:
 * cookies (the proxy owns the preview's cookie, and a Domain cookie could reach the IDE's site);
 * Clear-Site-Data (its "cookies" directive clears the whole registrable domain, signing the user
 * out of the IDE); Strict-Transport-Security and Alt-Svc (transport policy is the operator's);
 * Access-Control-Allow-Credentials (the preview cookie is the owner's credential, not the app's to
 * share with other sites). Everything else, service workers included, stays within the app's
 * own preview origin and is left alone.
 */
export const PREVIEW_DROPPED_RESPONSE_HEADERS = [
  'set-cookie',
  'set-cookie2',
  'clear-site-data',
  'strict-transport-security',
  'alt-svc',
  'access-control-allow-credentials',
];
const DROP_RESPONSE = [...HOP_BY_HOP_RESPONSE, ...PREVIEW_DROPPED_RESPONSE_HEADERS];

/** Forwards one HTTP request to the dev server at `target` (an origin like http://127.0.0.1:41000). */
export async function proxyHttp(request: Request, target: string, log: Log): Promise<Response> {
  const url = new URL(request.url);
  const headers = new Headers(request.headers);
  for (const name of DROP_REQUEST) headers.delete(name);
  let upstream: Response;
  try {
    upstream = await fetch(`${target}${url.pathname}${url.search}`, {
      method: request.method,
      headers,
      body: request.method === 'GET' || request.method === 'HEAD' ? null : request.body,
      redirect: 'manual',
    });
  } catch (e) {
    log(`preview upstream ${target} failed: ${(e as Error).message}`);
    return errorResponse(502, 'preview_unreachable', 'the preview server is not answering; it may be restarting');
  }
  const out = new Headers(upstream.headers);
  for (const name of DROP_RESPONSE) out.delete(name);
  return new Response(upstream.body, { status: upstream.status, statusText: upstream.statusText, headers: out });
}

/** The ws:// URL of the dev server for a proxied socket. */
export function upstreamSocketUrl(request: Request, target: string): string {
  const url = new URL(request.url);
  return `${target.replace(/^http/, 'ws')}${url.pathname}${url.search}`;
}

const MAX_QUEUED_FRAMES = 256;
/** What a browser may send before the dev server's socket opens. */
export const MAX_QUEUED_BYTES = 1024 * 1024;
/**
 * Bytes either side may leave unsent before the proxied socket is closed: a peer that does not
 * read must not make the server hold the other side's stream in memory.
 */
export const MAX_PROXY_BUFFERED_BYTES = 4 * 1024 * 1024;

export const previewSocketHandlers = {
  open(ws: ServerWebSocket<PreviewSocketData>): void {
    const upstream = new WebSocket(ws.data.target, ws.data.protocols);
    upstream.binaryType = 'arraybuffer';
    ws.data.upstream = upstream;
    upstream.onopen = () => {
      for (const frame of ws.data.queue) upstream.send(frame);
      ws.data.queue = [];
      ws.data.queuedBytes = 0;
    };
    upstream.onmessage = (event: MessageEvent) => {
      if (ws.getBufferedAmount() > MAX_PROXY_BUFFERED_BYTES) {
        ws.close(1013, 'browser not reading the preview socket');
        return;
      }
      const data = event.data;
      ws.send(typeof data === 'string' ? data : new Uint8Array(data as ArrayBuffer));
    };
    upstream.onclose = (event: CloseEvent) => ws.close(closeCode(event.code), event.reason);
    upstream.onerror = () => ws.close(1011, 'preview server unreachable');
  },
  message(ws: ServerWebSocket<PreviewSocketData>, message: string | Buffer): void {
    const upstream = ws.data.upstream;
    if (upstream && upstream.readyState === WebSocket.OPEN) {
      if (upstream.bufferedAmount > MAX_PROXY_BUFFERED_BYTES) ws.close(1013, 'preview server not reading its socket');
      else upstream.send(message);
      return;
    }
    const size = typeof message === 'string' ? Buffer.byteLength(message) : message.byteLength;
    if (ws.data.queue.length >= MAX_QUEUED_FRAMES || ws.data.queuedBytes + size > MAX_QUEUED_BYTES) {
      ws.close(1013, 'preview server not ready');
      return;
    }
    ws.data.queue.push(message);
    ws.data.queuedBytes += size;
  },
  close(ws: ServerWebSocket<PreviewSocketData>, code: number, reason: string): void {
    const upstream = ws.data.upstream;
    if (upstream && upstream.readyState <= WebSocket.OPEN) upstream.close(closeCode(code), reason);
  },
};

/** Codes a peer may send on close: 1000 and the 3000–4999 range; anything else becomes 1000. */
function closeCode(code: number): number {
  return code === 1000 || (code >= 3000 && code <= 4999) ? code : 1000;
}

/**
 * Preview errors: a small page for a browser (the iframe), retrying by itself while the preview
 * starts; the JSON error shape for everything else.
 */
export function previewError(request: Request, status: 401 | 404 | 429 | 503, code: string, message: string): Response {
  if (!(request.headers.get('accept') ?? '').includes('text/html')) return errorResponse(status, code, message);
  const retry = status === 503 ? '<meta http-equiv="refresh" content="2">' : '';
  const html = `<!doctype html><html><head><meta charset="utf-8">${retry}<title>Preview</title></head><body style="font:14px system-ui;color:#888;display:grid;place-items:center;height:90vh"><p>${escapeHtml(message)}</p></body></html>`;
  return new Response(html, { status, headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' } });
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
