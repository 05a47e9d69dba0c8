import { describe, expect, it } from 'vitest';
import { backoffDelay, socketUrl } from '../src/lib/socket';

describe('socket helpers', () => {
  it('backs off exponentially with jitter, capped at 10 s', () => {
    const low = () => 0;
    const high = () => 0.999999;
    expect([0, 1, 2, 3].map((a) => backoffDelay(a, low))).toEqual([250, 500, 1000, 2000]);
    expect([0, 1, 2, 3].map((a) => backoffDelay(a, high))).toEqual([500, 1000, 2000, 4000]);
    expect(backoffDelay(20, high)).toBe(10_000);
    expect(backoffDelay(20, low)).toBe(5_000);
  });

  it('resumes after the given seq, on the page origin, with the matching scheme', () => {
    expect(socketUrl({ protocol: 'http:', host: 'localhost:3000' }, 'p 1', 42)).toBe('ws://localhost:3000/api/projects/p%201/ws?after=42');
    expect(socketUrl({ protocol: 'https:', host: 'lathe.example' }, 'abc', 0)).toBe('wss://lathe.example/api/projects/abc/ws?after=0');
  });
});
