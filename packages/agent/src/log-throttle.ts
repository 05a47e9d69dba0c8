/**
 * A per-project cap on output lines a second. A noisy dev server (or install) keeps the first
 * `perSecond` lines of each one-second window; the rest are counted so that one marker line can
 * say how many were dropped. Pure: the caller passes the clock.
 */
export class LogThrottle {
  #windowStart = Number.NEGATIVE_INFINITY;
  #kept = 0;
  #dropped = 0;

  constructor(readonly perSecond: number) {}

  /** Whether a line seen at `now` (ms) is kept; a dropped one is counted. */
  admit(now: number): boolean {
    if (now - this.#windowStart >= 1000) {
      this.#windowStart = now;
      this.#kept = 0;
    }
    if (this.#kept < this.perSecond) {
      this.#kept++;
      return true;
    }
    this.#dropped++;
    return false;
  }

  /** When the current window ends (ms): the earliest moment a dropped-lines marker is due. */
  get windowEnd(): number {
    return this.#windowStart + 1000;
  }

  /** Lines dropped since the last call. */
  takeDropped(): number {
    const n = this.#dropped;
    this.#dropped = 0;
    return n;
  }
}

/** The marker that stands for lines the throttle dropped. */
export function droppedLinesText(count: number, perSecond: number): string {
  return `… ${count} log line${count === 1 ? '' : 's'} dropped (more than ${perSecond} a second)`;
}
