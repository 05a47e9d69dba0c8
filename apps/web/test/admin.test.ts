import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiServer, CHROMIUM, CHROMIUM_ARGS, ROOT } from './support';

const ARTIFACTS = join(ROOT, 'test-artifacts/e2e');

const PASSWORD = 'correct horse battery';

let api: ApiServer;
let browser: Browser;

beforeAll(async () => {
  api = await ApiServer.start({ LATHE_SIGNUP: 'approval' });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await api?.dispose();
}, 60_000);

async function newPage(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  context.setDefaultTimeout(60_000);
  return { context, page: await context.newPage() };
}

async function fillAuth(page: Page, path: '/register' | '/login', email: string): Promise<void> {
  await page.goto(`${api.origin}${path}`);
  if (path === '/register') await page.getByLabel('Name').fill(email.split('@')[0] ?? 'user');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: path === '/register' ? 'Create account' : 'Sign in' }).click();
}

describe('sign-up by approval and the admin page (real API, Chromium)', () => {
  it('a new account waits; the admin approves, promotes and disables it from the Users page', async () => {
    const admin = await newPage();
    const adminEmail = `admin-${Date.now()}@example.test`;
    await fillAuth(admin.page, '/register', adminEmail);
    await admin.page.getByRole('heading', { name: 'What do you want to build?' }).waitFor();

    // Anyone else who signs up is told, plainly, that an administrator must approve them.
    const user = await newPage();
    const email = `waiting-${Date.now()}@example.test`;
    await fillAuth(user.page, '/register', email);
    const notice = user.page.getByRole('status');
    await notice.waitFor();
    expect(await notice.textContent()).toContain('waiting for an administrator to approve it');
    await fillAuth(user.page, '/login', email);
    await user.page.getByRole('status').waitFor();
    expect(user.page.url()).toBe(`${api.origin}/login`);

    // The admin finds them on the Users page.
    await admin.page.getByRole('link', { name: 'Admin: users' }).click();
    await admin.page.getByRole('heading', { name: 'Users' }).waitFor();
    const row = admin.page.locator(`tr[data-user="${email}"]`);
    await row.getByText('Waiting for approval').waitFor();
    expect(await admin.page.locator(`tr[data-user="${adminEmail}"]`).textContent()).toContain('admin');
    expect(await admin.page.getByText('New accounts wait for an administrator to approve them.').isVisible()).toBe(true);

    await mkdir(ARTIFACTS, { recursive: true });
    await admin.page.screenshot({ path: join(ARTIFACTS, 'admin-users.png') });
    await row.getByRole('button', { name: `Approve: ${email}` }).click();
    await row.getByText('Active').waitFor();
    await fillAuth(user.page, '/login', email);
    await user.page.getByRole('heading', { name: 'What do you want to build?' }).waitFor();
    // Not an admin: no way to the Users page.
    expect(await user.page.getByRole('link', { name: 'Admin: users' }).count()).toBe(0);

    await row.getByRole('button', { name: `Make admin: ${email}` }).click();
    await row.getByRole('button', { name: `Remove admin: ${email}` }).waitFor();
    await row.getByRole('button', { name: `Remove admin: ${email}` }).click();
    await row.getByRole('button', { name: `Make admin: ${email}` }).waitFor();

    // Disabled: signed out, and told why at the next sign-in.
    await row.getByRole('button', { name: `Disable: ${email}` }).click();
    await row.getByText('Disabled').waitFor();
    await user.page.reload();
    await user.page.waitForURL(/\/login/);
    await fillAuth(user.page, '/login', email);
    const refused = user.page.getByRole('alert');
    await refused.waitFor();
    expect(await refused.textContent()).toContain('disabled by an administrator');

    await admin.context.close();
    await user.context.close();
  }, 300_000);
});
