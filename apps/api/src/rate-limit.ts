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

export interface SignInLimits {
  /** Failed attempts per client address and account within the window. */
  perAccount: number;
  /** Failed attempts per client address, whatever the account. */
  perIp: number;
  windowMs: number;
}

/** How many keys the limiter tracks before it forgets the expired ones. */
const MAX_TRACKED_KEYS = 100_000;

/**
 * Guesses at passwords: every sign-in attempt counts against its client address and against that
 * address with the account's email, and is given back when it succeeds, so only failures add up
 * (many users signing in from one address are not slowed) while concurrent guesses are counted
 * before they are answered.
 */
export class SignInLimiter {
  readonly #attempts = new Map<string, number[]>();

  constructor(private readonly limits: SignInLimits) {}

  /**
   * Records an attempt and returns a function that gives it back (call it on success); or, when
   * the attempt would pass a limit, the seconds until one frees up.
   */
  begin(ip: string, email: string, now = Date.now()): { ok: true; succeeded: () => void } | { ok: false; retryAfterS: number } {
    if (this.#attempts.size > MAX_TRACKED_KEYS) this.#forgetExpired(now);
    const net = networkOf(ip);
    const keys: [string, number][] = [
      [`ip\u0000${net}`, this.limits.perIp],
      [`account\u0000${net}\u0000${email.trim().toLowerCase()}`, this.limits.perAccount],
    ];
    let retryAfterS = 0;
    for (const [key, max] of keys) {
      const recent = this.#recent(key, now);
      if (recent.length >= max) {
        retryAfterS = Math.max(retryAfterS, Math.ceil(((recent[0] ?? now) + this.limits.windowMs - now) / 1000));
      }
    }
    if (retryAfterS > 0) return { ok: false, retryAfterS: Math.max(1, retryAfterS) };
    for (const [key] of keys) this.#recent(key, now).push(now);
    return {
      ok: true,
      succeeded: () => {
        for (const [key] of keys) {
          const recent = this.#attempts.get(key);
          const at = recent?.lastIndexOf(now) ?? -1;
          if (recent && at >= 0) recent.splice(at, 1);
        }
      },
    };
  }

  #recent(key: string, now: number): number[] {
    const recent = (this.#attempts.get(key) ?? []).filter((t) => t > now - this.limits.windowMs);
    this.#attempts.set(key, recent);
    return recent;
  }

  #forgetExpired(now: number): void {
    for (const [key, times] of this.#attempts) {
      if (!times.some((t) => t > now - this.limits.windowMs)) this.#attempts.delete(key);
    }
    // Still too many (a flood of distinct addresses): start over rather than grow without bound.
    if (this.#attempts.size > MAX_TRACKED_KEYS) this.#attempts.clear();
  }
}

/** An IPv6 client usually holds a whole /64, so that is what it is counted by; IPv4 as it is. */
export function networkOf(ip: string): string {
  if (!ip.includes(':')) return ip;
  const [head = '', tail] = ip.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = tail === undefined ? left : [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}
