import { rmSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { LatheError } from '@lathe/protocol';
import { socketPath } from './forward';

/**
 * The only way out of a jailed install or terminal: an HTTP proxy on a unix socket bound into the
 * jail (an in-jail bridge gives npm a TCP address for it), which opens tunnels to the npm registry
 * and refuses everything else. So an install script or a command typed in the terminal reaches the
 * registry, and neither the host's loopback services, other projects' dev servers, metadata
 * addresses nor the rest of the internet. With an operator proxy (HTTPS_PROXY) the tunnels go
 * through it.
 */
export interface RegistryProxy {
  close(): Promise<void>;
}

export interface RegistryTarget {
  host: string;
  port: number;
}

/** The registry's host and port from its URL (npm's default when unset). */
export function registryTarget(registry: string | null): RegistryTarget {
  const url = new URL(registry ?? 'https://registry.npmjs.org/');
  const port = url.port ? Number(url.port) : url.protocol === 'http:' ? 80 : 443;
  return { host: url.hostname.toLowerCase(), port };
}

/** `host:port` of a CONNECT request, or null when malformed. */
function connectTarget(authority: string | undefined): RegistryTarget | null {
  const m = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+):(\d{1,5})$/i.exec(authority ?? '');
  return m?.[1] && m[2] ? { host: m[1].toLowerCase(), port: Number(m[2]) } : null;
}

function refuse(socket: Socket, status: string): void {
  socket.end(
    `HTTP/1.1 ${status}\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nOnly the npm registry is reachable from this sandbox.\n`,
  );
}

/** Opens a TCP connection to `target`, directly or through the operator's proxy. */
function tunnel(target: RegistryTarget, upstream: URL | null, onReady: (s: Socket) => void, onFail: () => void): void {
  if (!upstream) {
    const s = connect(target.port, target.host);
    s.once('connect', () => onReady(s)).once('error', onFail);
    return;
  }
  const auth = upstream.username
    ? {
        'proxy-authorization': `Basic ${Buffer.from(`${decodeURIComponent(upstream.username)}:${decodeURIComponent(upstream.password)}`).toString('base64')}`,
      }
    : {};
  const req = httpRequest({
    host: upstream.hostname,
    port: upstream.port || 80,
    method: 'CONNECT',
    path: `${target.host}:${target.port}`,
    headers: { host: `${target.host}:${target.port}`, ...auth },
  });
  req.once('connect', (res: IncomingMessage, s: Socket) => {
    if (res.statusCode === 200) return onReady(s);
    s.destroy();
    onFail();
  });
  req.once('error', onFail);
  req.end();
}

export async function startRegistryProxy(
  dir: string,
  name: string,
  target: RegistryTarget,
  upstreamProxy: string | null,
): Promise<RegistryProxy> {
  const socket = socketPath(dir, name);
  const upstream = upstreamProxy ? new URL(upstreamProxy) : null;
  const open = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    // Plain-HTTP proxying only for a plain-HTTP registry (a local mirror); npm uses CONNECT for https.
    let url: URL | null = null;
    try {
      url = new URL(req.url ?? '');
    } catch {
      url = null;
    }
    const port = url ? (url.port ? Number(url.port) : url.protocol === 'http:' ? 80 : 443) : 0;
    if (url?.protocol !== 'http:' || url.hostname.toLowerCase() !== target.host || port !== target.port || upstream) {
      res.writeHead(403, { 'content-type': 'text/plain' }).end('Only the npm registry is reachable from this sandbox.\n');
      return;
    }
    const headers = { ...req.headers };
    delete headers['proxy-connection'];
    delete headers['proxy-authorization'];
    const out = httpRequest({ host: target.host, port, method: req.method, path: `${url.pathname}${url.search}`, headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    out.on('error', () => res.writeHead(502).end());
    req.pipe(out);
  });
  server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    open.add(client);
    client.on('close', () => open.delete(client)).on('error', () => client.destroy());
    const wanted = connectTarget(req.url);
    if (!wanted || wanted.host !== target.host || wanted.port !== target.port) return refuse(client, '403 Forbidden');
    tunnel(
      wanted,
      upstream,
      (remote) => {
        open.add(remote);
        remote.on('close', () => {
          open.delete(remote);
          client.destroy();
        });
        remote.on('error', () => remote.destroy());
        client.on('close', () => remote.destroy());
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        if (head.length > 0) remote.write(head);
        client.pipe(remote);
        remote.pipe(client);
      },
      () => refuse(client, '502 Bad Gateway'),
    );
  });
  server.on('clientError', (_e, socket) => socket.destroy());
  rmSync(join(dir, name), { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e) => {
      socket.release();
      reject(new LatheError('sandbox_error', `could not open the registry proxy: ${e.message}`));
    });
    server.listen(socket.path, () => resolve());
  });
  return {
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of open) s.destroy();
        open.clear();
        server.close(() => {
          socket.release();
          rmSync(join(dir, name), { force: true });
          resolve();
        });
      }),
  };
}
