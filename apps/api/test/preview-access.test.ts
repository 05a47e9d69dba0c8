import { describe, expect, it } from 'vitest';
import { PREVIEW_COOKIE, PreviewAccess, previewSetCookie, readCookies, safeNextPath } from '../src/preview-access';

const T0 = Date.UTC(2026, 0, 1);
const grant = { userId: 'u1', sessionId: 's1', projectId: 'p1' };
const input = { ...grant, previewToken: 'tok0123456789abcdefghijklm', sessionExpiresAt: new Date(T0 + 7 * 86_400_000) };

describe('preview access: tickets and cookies', () => {
  it('a ticket is redeemed once, for its own preview token, before it expires', () => {
    const access = new PreviewAccess('secret-secret-secret-secret-secret-32');
    const { ticket, expiresAt } = access.issueTicket(input, T0);
    expect(Date.parse(expiresAt)).toBe(T0 + 60_000);
    expect(access.redeemTicket(ticket, 'another-token-abcdefghijklmn', T0)).toBeNull();
    expect(access.redeemTicket(ticket, input.previewToken, T0 + 60_001)).toBeNull();
    const redeemed = access.redeemTicket(ticket, input.previewToken, T0 + 1000);
    expect(redeemed?.grant).toEqual(grant);
    expect(redeemed?.maxAgeS).toBe(12 * 3600 - 1);
    expect(access.redeemTicket(ticket, input.previewToken, T0 + 2000)).toBeNull();
  });

  it('the cookie carries the grant for its token only, and never outlives the session', () => {
    const access = new PreviewAccess('secret-secret-secret-secret-secret-32');
    const ending = { ...input, sessionExpiresAt: new Date(T0 + 3_600_000) };
    const redeemed = access.redeemTicket(access.issueTicket(ending, T0).ticket, input.previewToken, T0);
    if (!redeemed) throw new Error('not redeemed');
    expect(redeemed.maxAgeS).toBe(3600);
    const header = `a=1; ${PREVIEW_COOKIE}=${redeemed.cookie}; b=2`;
    expect(access.fromCookieHeader(header, input.previewToken, T0 + 1000)).toEqual(grant);
    expect(access.fromCookieHeader(header, 'another-token-abcdefghijklmn', T0 + 1000)).toBeNull();
    expect(access.fromCookieHeader(header, input.previewToken, T0 + 3_600_000)).toBeNull();
    expect(access.fromCookieHeader(null, input.previewToken, T0)).toBeNull();
    // A forged cookie of the same name in front (tossed by a sibling host) does not shadow the real one.
    expect(access.fromCookieHeader(`${PREVIEW_COOKIE}=forged.value; ${header}`, input.previewToken, T0 + 1000)).toEqual(grant);
  });

  it('refuses forgeries: another secret, a ticket used as a cookie, a tampered payload', () => {
    const access = new PreviewAccess('secret-secret-secret-secret-secret-32');
    const stranger = new PreviewAccess('another-secret-another-secret-000000');
    const { ticket } = stranger.issueTicket(input, T0);
    expect(access.redeemTicket(ticket, input.previewToken, T0)).toBeNull();
    const own = access.issueTicket(input, T0).ticket;
    expect(access.fromCookieHeader(`${PREVIEW_COOKIE}=${own}`, input.previewToken, T0)).toBeNull();
    const [payload, mac] = own.split('.');
    const tampered = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload ?? '', 'base64url').toString()), u: 'u2' })).toString(
      'base64url',
    );
    expect(access.redeemTicket(`${tampered}.${mac}`, input.previewToken, T0)).toBeNull();
    expect(access.redeemTicket('', input.previewToken, T0)).toBeNull();
    expect(access.redeemTicket('a.b.c', input.previewToken, T0)).toBeNull();
  });

  it('sets a partitioned cross-site cookie in secure contexts and a Lax one on plain http', () => {
    expect(previewSetCookie('v', 10, new URL('http://abc.preview.localhost:3000/'))).toBe(
      `${PREVIEW_COOKIE}=v; Path=/; Max-Age=10; HttpOnly; Secure; SameSite=None; Partitioned`,
    );
    expect(previewSetCookie('v', 10, new URL('https://abc.preview.example.com/'))).toContain('SameSite=None; Partitioned');
    expect(previewSetCookie('v', 10, new URL('http://abc.preview.example.lan/'))).toBe(
      `${PREVIEW_COOKIE}=v; Path=/; Max-Age=10; HttpOnly; SameSite=Lax`,
    );
  });

  it('redirects only to paths on the preview host itself', () => {
    expect(safeNextPath(null)).toBe('/');
    expect(safeNextPath('/todos?x=1#y')).toBe('/todos?x=1#y');
    for (const bad of ['https://evil.test/', '//evil.test/', '/\\evil.test', 'javascript:alert(1)', '/a\nb'])
      expect(safeNextPath(bad)).toBe('/');
    expect(readCookies('x=1; y = 2 ; y=3', 'y')).toEqual(['2', '3']);
    expect(readCookies(null, 'y')).toEqual([]);
  });
});
