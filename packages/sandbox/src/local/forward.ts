import { closeSync, openSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { LatheError } from '@lathe/protocol';

/**
 * A TCP port on the host's loopback that carries each connection to a unix socket. A jailed dev
 * server has no network of its own (it cannot reach the host's or anyone's ports): it listens on
 * a socket in a directory bound into its jail, and the preview proxy and render check reach it
 * through this port as before.
 */
export interface Forwarder {
  readonly port: number;
  close(): Promise<void>;
}

/** Longest unix socket path we pass to connect(2) (sun_path holds 108 bytes with its NUL). */
const MAX_SOCKET_PATH = 100;

/**
 * A path for socket `name` in `dir` that fits in sun_path: a long data dir is reached through an
 * open handle of the directory (/proc/self/fd/N/name), short whatever the directory. `release`
 * closes the handle.
 */
export function socketPath(dir: string, name: string): { path: string; release(): void } {
  const direct = join(dir, name);
  if (Buffer.byteLength(direct) <= MAX_SOCKET_PATH) return { path: direct, release: () => undefined };
  let fd: number | null = openSync(dir, 'r');
  return {
    path: `/proc/self/fd/${fd}/${name}`,
    release: () => {
      if (fd !== null) closeSync(fd);
      fd = null;
    },
  };
}

export async function forwardToSocket(port: number, dir: string, name: string): Promise<Forwarder> {
  const socket = socketPath(dir, name);
  const target = socket.path;
  const open = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(target);
    open.add(client);
    open.add(upstream);
    const end = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e) => {
      socket.release();
      reject(new LatheError('sandbox_error', `could not listen on port ${port}: ${e.message}`));
    });
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of open) s.destroy();
        open.clear();
        server.close(() => resolve());
        socket.release();
      }),
  };
}
