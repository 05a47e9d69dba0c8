import type { LogLine, OutputStream } from './contract';

const MAX_LINE_CHARS = 4000;

/** Splits process output into lines, keeps the last `capacity` of them and fans them out to live readers. */
export class LogHub {
  private readonly buffer: LogLine[] = [];
  private readonly readers = new Set<(line: LogLine | null) => void>();
  private closed = false;

  constructor(private readonly capacity = 1000) {}

  /** A line splitter for one process stream; call the returned function with each chunk, then with null at the end. */
  splitter(source: LogLine['source'], stream: OutputStream, keep: (text: string) => boolean = () => true): (chunk: string | null) => void {
    let partial = '';
    const emit = (text: string) => {
      if (keep(text)) this.push({ source, stream, text: text.slice(0, MAX_LINE_CHARS), time: Date.now() });
    };
    return (chunk) => {
      if (chunk === null) {
        if (partial) emit(partial);
        partial = '';
        return;
      }
      const parts = (partial + chunk).split(/\r?\n/);
      partial = parts.pop() ?? '';
      if (partial.length > MAX_LINE_CHARS) {
        parts.push(partial);
        partial = '';
      }
      for (const text of parts) emit(text);
    };
  }

  push(line: LogLine): void {
    if (this.closed) return;
    this.buffer.push(line);
    if (this.buffer.length > this.capacity) this.buffer.splice(0, this.buffer.length - this.capacity);
    for (const reader of this.readers) reader(line);
  }

  recent(): LogLine[] {
    return [...this.buffer];
  }

  /** Ends every live iteration (sandbox destroyed). */
  close(): void {
    this.closed = true;
    for (const reader of this.readers) reader(null);
    this.readers.clear();
  }

  async *follow(): AsyncGenerator<LogLine> {
    if (this.closed) return;
    const queue: (LogLine | null)[] = [];
    let wake: (() => void) | null = null;
    const reader = (line: LogLine | null) => {
      queue.push(line);
      // A reader that stopped pulling loses its oldest lines rather than growing without bound.
      if (queue.length > this.capacity * 5) queue.splice(0, queue.length - this.capacity * 5);
      wake?.();
    };
    this.readers.add(reader);
    try {
      for (;;) {
        while (queue.length === 0) await new Promise<void>((r) => (wake = r));
        wake = null;
        const line = queue.shift();
        if (line === null || line === undefined) return;
        yield line;
      }
    } finally {
      this.readers.delete(reader);
    }
  }
}
