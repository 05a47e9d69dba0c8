import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiProcess, signIn, signUp, type TestUser } from './helpers';

async function attempt(api: ApiProcess, email: string, password: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${api.url}/api/auth/sign-in/email`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: api.origin, ...headers },
    body: JSON.stringify({ email, password }),
  });
}

describe('sign-in rate limit (on in every mode, NODE_ENV unset)', () => {
  let api: ApiProcess;
  let victim: TestUser;
  let bystander: TestUser;

  beforeAll(async () => {
    api = await ApiProcess.start();
    victim = await signUp(api, 'victim');
    bystander = await signUp(api, 'bystander');
  });
  afterAll(async () => {
    await api?.dispose();
  });

  it('five failed guesses at one account lock it for that address, whatever X-Forwarded-For the client sends', async () => {
    for (let i = 0; i < 5; i++) {
      const res = await attempt(api, victim.email, `wrong password ${i}`, { 'x-forwarded-for': `203.0.113.${i}` });
      expect(res.status).toBe(401);
    }
    for (const xff of ['203.0.113.77', '198.51.100.1, 203.0.113.78', '']) {
      const res = await attempt(api, victim.email, 'correct horse battery', xff ? { 'x-forwarded-for': xff } : {});
      expect(res.status, xff).toBe(429);
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('rate_limited');
    }
    // Other users on the same address (a whole test suite from 127.0.0.1, an office) are not slowed.
    for (let i = 0; i < 10; i++) expect(await signIn(api, bystander.email)).toContain('session_token');
  });
});

describe('sign-in rate limit behind a trusted proxy (LATHE_TRUSTED_PROXY)', () => {
  let api: ApiProcess;
  let user: TestUser;

  beforeAll(async () => {
    api = await ApiProcess.start({ LATHE_TRUSTED_PROXY: '127.0.0.1', LATHE_SIGNIN_MAX_FAILURES: '2' });
    user = await signUp(api, 'proxied');
  });
  afterAll(async () => {
    await api?.dispose();
  });

  it("counts per forwarded client: the proxy's last hop is the client, entries the client wrote before it are ignored", async () => {
    for (let i = 0; i < 2; i++)
      expect((await attempt(api, user.email, 'nope nope', { 'x-forwarded-for': '203.0.113.5' })).status).toBe(401);
    expect((await attempt(api, user.email, 'nope nope', { 'x-forwarded-for': '203.0.113.5' })).status).toBe(429);
    // A client that prepends its own X-Forwarded-For is still the address the proxy appended.
    expect((await attempt(api, user.email, 'nope nope', { 'x-forwarded-for': '192.0.2.1, 203.0.113.5' })).status).toBe(429);
    // Another client behind the same proxy has its own budget.
    expect((await attempt(api, user.email, 'correct horse battery', { 'x-forwarded-for': '203.0.113.6' })).status).toBe(200);
  });
});
