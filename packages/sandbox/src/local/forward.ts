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

export async function forwardToSocket(port: number, dir: string, name: string): Promise<Forwarder> {
  // A long data dir would not fit in sun_path: reach the socket through an open handle of its
  // directory instead (/proc/self/fd/N/name), which is short whatever the directory.
  let dirFd: number | null = null;
  let target = join(dir, name);
  if (Buffer.byteLength(target) > MAX_SOCKET_PATH) {
    dirFd = openSync(dir, 'r');
    target = `/proc/self/fd/${dirFd}/${name}`;
  }
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
    server.once('error', (e) => reject(new LatheError('sandbox_error', `could not listen on port ${port}: ${e.message}`)));
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of open) s.destroy();
        open.clear();
        server.close(() => resolve());
        if (dirFd !== null) {
          closeSync(dirFd);
          dirFd = null;
        }
      }),
  };
}
