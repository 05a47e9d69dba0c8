import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HttpsGitServer, initBare, startHttpsGitServer } from '../../../testing/git-servers';
import { auditPage, formatFindings } from './axe';
import { ApiServer, CHROMIUM, CHROMIUM_ARGS, ROOT, register } from './support';

const ARTIFACTS = join(ROOT, 'test-artifacts/e2e');
const TOKEN = 'ghp_browser-test-token-0123';
const USER = 'ada';

let dir: string;
let git: HttpsGitServer;
let api: ApiServer;
let browser: Browser;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lathe-web-git-'));
  initBare(join(dir, 'repos', 'app.git'));
  git = await startHttpsGitServer(dir, join(dir, 'repos'), USER, TOKEN);
  api = await ApiServer.start({ LATHE_GIT_CA_FILE: git.caFile, LATHE_GIT_EDIT_BURST_MS: '600000' });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await api?.dispose();
  await git?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
}, 60_000);

async function audit(page: Page, state: string): Promise<void> {
  const findings = await auditPage(page);
  expect(findings, formatFindings(state, findings)).toEqual([]);
}

describe('Settings → Git and the Push dialog (real API, Chromium, a local HTTPS git server)', () => {
  it('stores a token, generates an SSH key, pushes a project and reports a wrong token clearly', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    context.setDefaultTimeout(60_000);
    const page = await context.newPage();
    await register(page, api.origin, 'gitter');
    const headers = { origin: api.origin };
    const created = await page.request.post(`${api.origin}/api/projects`, { headers, data: { prompt: 'A counter app', start: false } });
    const projectId = ((await created.json()) as { id: string }).id;
    const content = 'export default function App() {\n  return <h1>Pushed from the browser</h1>;\n}\n';
    await page.request.put(`${api.origin}/api/projects/${projectId}/file`, { headers, data: { path: 'src/App.tsx', content } });

    // Settings → Git: a token (shown masked only) and a generated SSH key with its public half.
    await page.getByRole('button', { name: 'Settings' }).click();
    const settings = page.getByRole('dialog', { name: 'Settings' });
    await settings.getByLabel('User name (optional)').fill(USER);
    await settings.getByLabel('Token', { exact: true }).fill('wrong-token-0000');
    await settings.getByRole('button', { name: 'Save token' }).click();
    await settings.getByTestId('git-token').getByText(`${USER} · …0000`).waitFor();
    await settings.getByRole('button', { name: 'Generate SSH key' }).click();
    const publicKey = settings.getByLabel(/Public key/);
    await publicKey.waitFor();
    expect(await publicKey.inputValue()).toMatch(/^ssh-ed25519 AAAA\S+ lathe:gitter-/);
    expect(await page.content()).not.toContain('PRIVATE KEY');
    await settings.getByRole('button', { name: 'Copy public key' }).click();
    await settings.getByRole('status').getByText('Copied').waitFor();
    await audit(page, 'settings with git credentials');
    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'git-settings.png') });
    await settings.getByRole('button', { name: 'Close settings' }).click();

    // The IDE's Push dialog: a bad URL is refused with the reason; a wrong token is named as such.
    await page.goto(`${api.origin}/project/${projectId}`);
    await page.getByRole('button', { name: 'Push to git' }).click();
    const dialog = page.getByRole('dialog', { name: 'Push to a git remote' });
    const url = dialog.getByLabel(/Remote URL/);
    await url.fill('file:///etc/passwd');
    await dialog.getByRole('button', { name: 'Save', exact: true }).click();
    expect(await dialog.getByRole('alert').textContent()).toContain('file:// remotes are not allowed');
    const remote = `https://127.0.0.1:${git.port}/app.git`;
    await url.fill(remote);
    await dialog.getByRole('button', { name: 'Save', exact: true }).click();
    await dialog.getByRole('button', { name: 'Push', exact: true }).click();
    const alert = dialog.getByRole('alert');
    await alert.getByText('Wrong credential.').waitFor();
    expect(await alert.textContent()).toContain('refused the HTTPS token');
    await audit(page, 'push dialog with an error');
    await dialog.getByRole('button', { name: 'Close push dialog' }).click();

    await page.getByRole('button', { name: 'Settings' }).click();
    await settings.getByLabel('User name (optional)').fill(USER);
    await settings.getByLabel('Token', { exact: true }).fill(TOKEN);
    await settings.getByRole('button', { name: 'Replace token' }).click();
    await settings.getByTestId('git-token').getByText(`${USER} · …0123`).waitFor();
    await settings.getByRole('button', { name: 'Close settings' }).click();

    await page.getByRole('button', { name: 'Push to git' }).click();
    await dialog.getByRole('button', { name: 'Push', exact: true }).click();
    const status = dialog.getByTestId('git-push-status');
    await status.getByText(`Pushed 1 commit to ${remote}`).waitFor();
    await dialog.getByRole('list', { name: 'Newest commits' }).getByText('Edit src/App.tsx').waitFor();
    await page.screenshot({ path: join(ARTIFACTS, 'git-push.png') });

    // The remote holds exactly the project's file.
    const clone = join(dir, 'clone');
    await promisify(execFile)('git', ['clone', '--quiet', join(dir, 'repos', 'app.git'), clone], {
      env: { PATH: process.env.PATH ?? '', GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' },
    });
    expect(await readFile(join(clone, 'src/App.tsx'), 'utf8')).toBe(content);
    await context.close();
  }, 240_000);
});
