import { LatheError } from '@lathe/protocol';

/**
 * A FIFO counting semaphore for the CPU-heavy steps of every sandbox of one provider (package
 * installs, dev-server start-up, type checks). A machine runs a few of them well and fifty of them
 * badly: beyond the slots they queue, so the server itself (relay, API) stays responsive and each
 * step finishes sooner than it would in a crowd.
 */
export class Slots {
  #free: number;
  readonly #waiting: { grant: () => void; reject: (e: unknown) => void }[] = [];

  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1) throw new LatheError('sandbox_error', `slot count must be a positive integer (got ${size})`);
    this.#free = size;
  }

  /** Steps queued behind the busy slots. */
  get queued(): number {
    return this.#waiting.length;
  }

  /** Waits for a slot (FIFO); the returned function gives it back (once). Rejects with `cancelled` on abort. */
  acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(new LatheError('cancelled', 'cancelled while waiting for a sandbox slot'));
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      const next = this.#waiting.shift();
      if (next) next.grant();
      else this.#free++;
    };
    if (this.#free > 0) {
      this.#free--;
      return Promise.resolve(release);
    }
    return new Promise((resolve, reject) => {
      const entry = {
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve(release);
        },
        reject,
      };
      const onAbort = () => {
        const i = this.#waiting.indexOf(entry);
        if (i >= 0) this.#waiting.splice(i, 1);
        reject(new LatheError('cancelled', 'cancelled while waiting for a sandbox slot'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiting.push(entry);
    });
  }

  /** Runs `work` in a slot. */
  async run<T>(work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const release = await this.acquire(signal);
    try {
      return await work();
    } finally {
      release();
    }
  }
}
