import { describe, expect, it } from 'vitest';
import { clientIp, normalizeIp } from '../src/client-ip';
import { networkOf, SignInLimiter } from '../src/rate-limit';

describe('client address', () => {
  const proxy = new Set(['10.0.0.2']);

  it('is the socket peer, whatever X-Forwarded-For says, unless the peer is a trusted proxy', () => {
    expect(clientIp('198.51.100.7', '203.0.113.9', new Set())).toBe('198.51.100.7');
    expect(clientIp('198.51.100.7', '203.0.113.9', proxy)).toBe('198.51.100.7');
    expect(clientIp('::ffff:198.51.100.7', null, proxy)).toBe('198.51.100.7');
    expect(clientIp(null, '203.0.113.9', proxy)).toBe('unknown');
  });

  it('behind a trusted proxy: the last forwarded hop that is not a trusted proxy (client-written entries before it are ignored)', () => {
    expect(clientIp('10.0.0.2', '203.0.113.9', proxy)).toBe('203.0.113.9');
    expect(clientIp('10.0.0.2', '1.1.1.1, 203.0.113.9', proxy)).toBe('203.0.113.9');
    expect(clientIp('10.0.0.2', '203.0.113.9, 10.0.0.2', proxy)).toBe('203.0.113.9');
    expect(clientIp('10.0.0.2', 'garbage', proxy)).toBe('10.0.0.2');
    expect(clientIp('10.0.0.2', '', proxy)).toBe('10.0.0.2');
  });

  it('normalises addresses and IPv6 networks', () => {
    expect(normalizeIp(' [2001:DB8::1] ')).toBe('2001:db8::1');
    expect(normalizeIp('nope')).toBeNull();
    expect(networkOf('2001:db8:1:2:3:4:5:6')).toBe('2001:db8:1:2::/64');
    expect(networkOf('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(networkOf('::1')).toBe('0:0:0:0::/64');
    expect(networkOf('198.51.100.7')).toBe('198.51.100.7');
  });
});

describe('sign-in limiter', () => {
  const T0 = Date.UTC(2026, 0, 1);

  it('counts failures per address and account, gives successes back, and frees up after the window', () => {
    const limiter = new SignInLimiter({ perAccount: 2, perIp: 3, windowMs: 60_000 });
    for (let i = 0; i < 10; i++) {
      const ok = limiter.begin('1.2.3.4', 'good@example.test', T0);
      if (!ok.ok) throw new Error('successful sign-ins must not add up');
      ok.succeeded();
    }
    expect(limiter.begin('1.2.3.4', 'victim@example.test', T0).ok).toBe(true);
    expect(limiter.begin('1.2.3.4', 'Victim@Example.test ', T0 + 1000).ok).toBe(true);
    expect(limiter.begin('1.2.3.4', 'victim@example.test', T0 + 2000)).toEqual({ ok: false, retryAfterS: 58 });
    // Another address has its own budget; the per-address budget caps guesses across accounts.
    expect(limiter.begin('5.6.7.8', 'victim@example.test', T0 + 2000).ok).toBe(true);
    expect(limiter.begin('1.2.3.4', 'other@example.test', T0 + 2000).ok).toBe(true);
    expect(limiter.begin('1.2.3.4', 'third@example.test', T0 + 2000).ok).toBe(false);
    expect(limiter.begin('1.2.3.4', 'victim@example.test', T0 + 60_001).ok).toBe(true);
  });
});
