import { afterAll, describe, expect, it } from 'vitest';
import { ApiProcess, FrameSocket, isEvent, signIn, signUp, socketUrl } from './helpers';

const PASSWORD = 'correct horse battery';

/** A sign-up or sign-in that may be refused: the status and better-auth's `{ code, message }`. */
async function auth(api: ApiProcess, kind: 'sign-up' | 'sign-in', email: string) {
  const res = await fetch(`${api.url}/api/auth/${kind}/email`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: api.origin },
    body: JSON.stringify({ email, password: PASSWORD, name: email.split('@')[0] }),
  });
  const body = (await res.json()) as { code?: string; message?: string; user?: { role: string; status: string } };
  return { status: res.status, body, cookie: res.headers.getSetCookie().join('; ') };
}

function get(api: ApiProcess, path: string, cookie: string) {
  return fetch(`${api.url}${path}`, { headers: { cookie } });
}

function patchUser(api: ApiProcess, cookie: string, userId: string, body: unknown) {
  return fetch(`${api.url}/api/admin/users/${userId}`, {
    method: 'PATCH',
    headers: { cookie, 'content-type': 'application/json', origin: api.origin },
    body: JSON.stringify(body),
  });
}

interface ListedUser {
  id: string;
  email: string;
  role: string;
  status: string;
  projects: number;
}

async function users(api: ApiProcess, cookie: string): Promise<{ signup: string; users: ListedUser[] }> {
  const res = await get(api, '/api/admin/users', cookie);
  expect(res.status).toBe(200);
  return (await res.json()) as { signup: string; users: ListedUser[] };
}

const servers: ApiProcess[] = [];
async function start(env: Record<string, string>): Promise<ApiProcess> {
  const api = await ApiProcess.start(env);
  servers.push(api);
  return api;
}

afterAll(async () => {
  await Promise.all(servers.map((s) => s.dispose()));
});

describe('who may use the server', () => {
  it('open (the default on loopback): everyone signs up and in; the first account alone is the admin', async () => {
    const api = await start({});
    const admin = await auth(api, 'sign-up', `admin-${Date.now()}@example.test`);
    expect(admin.status).toBe(200);
    expect(admin.body.user).toMatchObject({ role: 'admin', status: 'active' });
    const second = await signUp(api, 'second');
    expect((await get(api, '/api/projects', second.cookie)).status).toBe(200);
    // A new account cannot make itself an admin: the fields are not sign-up input.
    const sneaky = await fetch(`${api.url}/api/auth/sign-up/email`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: api.origin },
      body: JSON.stringify({ email: `sneaky-${Date.now()}@example.test`, password: PASSWORD, name: 's', role: 'admin', status: 'active' }),
    });
    expect(((await sneaky.json()) as { user: { role: string } }).user.role).toBe('user');
    const listed = await users(api, admin.cookie);
    expect(listed.signup).toBe('open');
    expect(listed.users.map((u) => u.role)).toEqual(['admin', 'user', 'user']);
    expect((await get(api, '/api/admin/users', second.cookie)).status).toBe(403);
  });

  it('approval (the default beyond loopback): a new account waits for an admin, who approves, disables and promotes', async () => {
    // A slow offline model, so the user's round is still running when they are disabled.
    const api = await start({ HOST: '0.0.0.0', LATHE_OFFLINE_TOKENS_PER_SECOND: '20' });
    const adminEmail = `admin-${Date.now()}@example.test`;
    const admin = await auth(api, 'sign-up', adminEmail);
    expect(admin.status).toBe(200);
    expect(admin.body.user).toMatchObject({ role: 'admin', status: 'active' });

    const email = `waiting-${Date.now()}@example.test`;
    const pending = await auth(api, 'sign-up', email);
    expect(pending.status).toBe(403);
    expect(pending.body).toEqual({ code: 'account_pending', message: expect.stringContaining('approve') });
    expect(pending.cookie).not.toContain('session_token=');
    // Asking again and again with the right password is not guessing: never the sign-in limiter's 429.
    for (let i = 0; i < 7; i++) {
      const again = await auth(api, 'sign-in', email);
      expect(again.status).toBe(403);
      expect(again.body.code).toBe('account_pending');
    }
    // The wrong password learns nothing about the account's state.
    const wrong = await fetch(`${api.url}/api/auth/sign-in/email`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: api.origin },
      body: JSON.stringify({ email, password: 'not the password' }),
    });
    expect(wrong.status).toBe(401);

    const listed = await users(api, admin.cookie);
    expect(listed.signup).toBe('approval');
    const waiting = listed.users.find((u) => u.email === email);
    expect(waiting).toMatchObject({ role: 'user', status: 'pending', projects: 0 });
    const id = waiting?.id ?? '';

    // Approve: the account signs in and uses the API.
    const approved = await patchUser(api, admin.cookie, id, { status: 'active' });
    expect(approved.status).toBe(200);
    expect(await approved.json()).toMatchObject({ id, status: 'active', role: 'user', liveSandboxes: 0, tokensThisMonth: 0 });
    const cookie = await signIn(api, email);
    expect((await get(api, '/api/projects', cookie)).status).toBe(200);
    expect((await get(api, '/api/admin/users', cookie)).status).toBe(403);
    expect((await patchUser(api, cookie, id, { role: 'admin' })).status).toBe(403);

    // Make admin: the admin routes open to them.
    expect((await patchUser(api, admin.cookie, id, { role: 'admin' })).status).toBe(200);
    expect((await get(api, '/api/admin/users', cookie)).status).toBe(200);
    expect((await patchUser(api, admin.cookie, id, { role: 'user' })).status).toBe(200);

    // Disable: the session in hand stops working at once, the running round is cancelled, and signing in is refused.
    const created = await fetch(`${api.url}/api/projects`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json', origin: api.origin },
      body: JSON.stringify({ prompt: 'A todo app' }),
    });
    expect(created.status).toBe(201);
    const projectId = ((await created.json()) as { id: string }).id;
    const socket = new FrameSocket(socketUrl(api, projectId), { cookie, origin: api.origin });
    await socket.next(isEvent('file_chunk'));
    const disabled = await patchUser(api, admin.cookie, id, { status: 'disabled' });
    expect(disabled.status).toBe(200);
    expect((await get(api, '/api/projects', cookie)).status).toBe(401);
    await socket.next((f) => f.frame === 'event' && f.event.type === 'state_change' && f.event.payload.to === 'CANCELLED');
    // Its socket closes too, at the next session check.
    expect((await socket.closed).reason).toContain('signed out');
    const refused = await auth(api, 'sign-in', email);
    expect(refused.status).toBe(403);
    expect(refused.body).toEqual({ code: 'account_disabled', message: expect.any(String) });

    // An admin cannot lock themselves out; unknown accounts and bad bodies are refused.
    const adminId = listed.users.find((u) => u.email === adminEmail)?.id ?? '';
    const self = await patchUser(api, admin.cookie, adminId, { status: 'disabled' });
    expect(self.status).toBe(409);
    expect(((await self.json()) as { error: { code: string } }).error.code).toBe('conflict');
    expect((await patchUser(api, admin.cookie, 'no-such-user', { status: 'active' })).status).toBe(404);
    expect((await patchUser(api, admin.cookie, id, { status: 'pending' })).status).toBe(422);
    expect((await patchUser(api, admin.cookie, id, {})).status).toBe(422);
    expect((await patchUser(api, admin.cookie, id, { role: 'root' })).status).toBe(422);
  });

  it('closed: only the very first account, the admin, can be created', async () => {
    const api = await start({ LATHE_SIGNUP: 'closed' });
    const adminEmail = `admin-${Date.now()}@example.test`;
    const admin = await auth(api, 'sign-up', adminEmail);
    expect(admin.status).toBe(200);
    expect(admin.body.user).toMatchObject({ role: 'admin', status: 'active' });
    const refused = await auth(api, 'sign-up', `late-${Date.now()}@example.test`);
    expect(refused.status).toBe(403);
    expect(refused.body).toEqual({ code: 'signup_closed', message: expect.stringContaining('administrator') });
    // The same answer for an address that has an account: sign-up tells nobody who is registered.
    expect(await auth(api, 'sign-up', adminEmail)).toMatchObject({ status: 403, body: refused.body });
    expect((await users(api, admin.cookie)).users).toHaveLength(1);
  });
});
