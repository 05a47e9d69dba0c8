import { type DbKind, schema } from '@lathe/db';
import { betterAuth } from 'better-auth';
import { drizzleAdapter } from 'better-auth/adapters/drizzle';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../testing/db';

// The api builds better-auth the same way; this proves the generated tables fit its adapter.
describe.each(['pglite', 'postgres'] satisfies DbKind[])('better-auth on the %s schema', (kind) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase(kind);
  });
  afterAll(async () => {
    await t?.close();
  });

  const makeAuth = () =>
    betterAuth({
      database: drizzleAdapter(t.db.orm, { provider: 'pg', schema }),
      emailAndPassword: { enabled: true },
      secret: 'test-secret-test-secret-test-secret-0123',
      baseURL: 'http://localhost:3000',
      logger: { disabled: true },
    });

  it('signs up and in, and a user owns projects that go when the user goes', async () => {
    const auth = makeAuth();
    const email = `ada-${kind}@example.com`;
    const signUp = await auth.api.signUpEmail({ body: { email, password: 'correct horse battery', name: 'Ada' } });
    expect(signUp.user.email).toBe(email);
    const signIn = await auth.api.signInEmail({ body: { email, password: 'correct horse battery' } });
    expect(signIn.token).toBeTruthy();
    await expect(auth.api.signInEmail({ body: { email, password: 'wrong password!' } })).rejects.toThrow();

    const [row] = await t.db.orm.select().from(schema.session).where(eq(schema.session.token, signIn.token));
    if (!row) throw new Error('no session row');
    const until = await t.repos.sessions.activeUntil(row.id, signUp.user.id);
    expect(until?.getTime()).toBe(row.expiresAt.getTime());
    expect(await t.repos.sessions.activeUntil(row.id, 'someone-else')).toBeNull();
    expect(await t.repos.sessions.activeUntil('no-such-session', signUp.user.id)).toBeNull();
    await t.db.orm
      .update(schema.session)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(schema.session.id, row.id));
    expect(await t.repos.sessions.activeUntil(row.id, signUp.user.id)).toBeNull();
    await t.db.orm.delete(schema.session).where(eq(schema.session.id, row.id));
    expect(await t.repos.sessions.activeUntil(row.id, signUp.user.id)).toBeNull();

    const [account] = await t.db.orm.select().from(schema.account).where(eq(schema.account.userId, signUp.user.id));
    expect(account?.password).not.toContain('correct horse');

    const project = await t.repos.projects.create({ ownerId: signUp.user.id, name: 'mine', initialPrompt: 'x', template: 'react-vite' });
    await t.db.orm.delete(schema.user).where(eq(schema.user.id, signUp.user.id));
    expect(await t.repos.projects.getAny(project.id)).toBeNull();
  });
});
