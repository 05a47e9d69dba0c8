import { createServer } from 'node:net';
import { LatheError } from '@lathe/protocol';

export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/** Hands out ports from a range, skipping ones this process holds or another process listens on. */
export class PortPool {
  private readonly held = new Set<number>();
  private next: number;

  constructor(private readonly range: [number, number]) {
    this.next = range[0];
  }

  async take(avoid: (port: number) => boolean = () => false): Promise<number> {
    const [lo, hi] = this.range;
    const size = hi - lo + 1;
    for (let i = 0; i < size; i++) {
      const port = this.next;
      this.next = port >= hi ? lo : port + 1;
      if (this.held.has(port) || avoid(port)) continue;
      if (await isPortFree(port)) {
        this.held.add(port);
        return port;
      }
    }
    throw new LatheError('no_free_port', `no free port in ${lo}-${hi}`);
  }

  hold(port: number): void {
    this.held.add(port);
  }

  release(port: number): void {
    this.held.delete(port);
  }
}
