import { RateLimitedError } from './errors';

const HOUR_MS = 3_600_000;

/**
 * Per-user generation budget: a sliding one-hour window of starts, plus a cap on generations
 * running at once (counted by the caller, who knows which agents are busy).
 */
export class GenerationLimiter {
  readonly #starts = new Map<string, number[]>();

  constructor(
    private readonly perHour: number,
    private readonly maxActive: number,
  ) {}

  /** Throws `rate_limited` (with Retry-After seconds) when a start now would exceed a limit. */
  check(userId: string, activeNow: number, now = Date.now()): void {
    if (activeNow >= this.maxActive) {
      throw new RateLimitedError(`at most ${this.maxActive} generations may run at once; wait for one to finish or cancel it`, 10);
    }
    const recent = this.#recent(userId, now);
    if (recent.length >= this.perHour) {
      const retryAfter = Math.max(1, Math.ceil(((recent[0] ?? now) + HOUR_MS - now) / 1000));
      throw new RateLimitedError(`at most ${this.perHour} generations per hour; try again in ${retryAfter} s`, retryAfter);
    }
  }

  /** Checks, then records a start. */
  take(userId: string, activeNow: number, now = Date.now()): void {
    this.check(userId, activeNow, now);
    this.#recent(userId, now).push(now);
  }

  #recent(userId: string, now: number): number[] {
    const recent = (this.#starts.get(userId) ?? []).filter((t) => t > now - HOUR_MS);
    this.#starts.set(userId, recent);
    return recent;
  }
}
