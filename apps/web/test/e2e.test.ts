import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { strFromU8, unzipSync } from 'fflate';
import { type Browser, type BrowserContext, chromium, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { auditPage, formatFindings } from './axe';
import { KEYBOARD_EDIT, keyboardWalk } from './keyboard';
import { ApiServer, CHROMIUM, CHROMIUM_ARGS, PASSWORD, previewFrame, ROOT, register } from './support';

const ARTIFACTS = join(ROOT, 'test-artifacts/e2e');
const NEW_TITLE = 'Groceries Today';

let api: ApiServer;
let browser: Browser;

beforeAll(async () => {
  await mkdir(ARTIFACTS, { recursive: true });
  // Slow enough that a file is visibly written token by token, even on a busy machine.
  api = await ApiServer.start({ LATHE_OFFLINE_TOKENS_PER_SECOND: '60' });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await api?.dispose();
}, 60_000);

/**
 * A fresh, isolated browser profile. Waits are bounded generously: the machine running the suite
 * may be busy, and every wait is for a state, never for a duration.
 */
async function newContext(): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  context.setDefaultTimeout(120_000);
  context.setDefaultNavigationTimeout(120_000);
  return context;
}

/** Console errors and uncaught exceptions of the IDE itself (the generated app is not ours). */
function watchErrors(page: Page, origin: string): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && msg.location().url.startsWith(origin)) errors.push(`console: ${msg.text()}`);
  });
  return errors;
}

/** The text Monaco currently renders (it draws spaces as U+00A0). */
const editorText = (page: Page) =>
  page
    .locator('.monaco-editor .view-lines')
    .textContent()
    .then((t) => (t ?? '').replaceAll('\u00a0', ' '));

type Theme = 'dark' | 'light';

/** Switches the theme as a user would: the header's toggle, or (signed out) the stored choice. */
async function setTheme(page: Page, theme: Theme, ready: Locator): Promise<void> {
  const dark = theme === 'dark';
  if ((await page.evaluate(() => document.documentElement.classList.contains('dark'))) !== dark) {
    const toggle = page.getByRole('button', { name: /^Switch to (light|dark) theme$/ });
    if (await toggle.count()) await toggle.click();
    else {
      await page.evaluate((t) => localStorage.setItem('lathe-theme', t), theme);
      await page.reload();
    }
  }
  await ready.waitFor();
  // Monaco re-themes once its highlighter is loaded; the audit must see the new colours.
  await page.waitForFunction((d) => {
    const editor = document.querySelector('.monaco-editor');
    return document.documentElement.classList.contains('dark') === d && (!editor || editor.classList.contains(d ? 'vs-dark' : 'vs'));
  }, dark);
}

/**
 * Runs the axe audit (WCAG 2.1 A/AA) in the light and the dark theme and returns the serious and
 * critical findings as text; `prepare` brings the page into the state to audit (e.g. opens a dialog)
 * and `undo` takes it back out. The page is left in the dark theme.
 */
async function auditThemes(
  page: Page,
  state: string,
  ready: Locator,
  steps: { prepare?: () => Promise<void>; undo?: () => Promise<void> } = {},
): Promise<string[]> {
  const report: string[] = [];
  for (const theme of ['light', 'dark'] as const) {
    await setTheme(page, theme, ready);
    await steps.prepare?.();
    const findings = await auditPage(page);
    if (findings.length > 0) report.push(formatFindings(`${state} (${theme})`, findings));
    await steps.undo?.();
  }
  return report;
}

describe('the IDE against the real API (offline model, local sandbox)', () => {
  let context: BrowserContext;
  let page: Page;
  let projectUrl = '';
  let projectId = '';
  let previewUrl = '';
  let usedTicket = '';

  it('builds a todo app from one sentence, live, and lets the user edit, download and come back to it', async () => {
    context = await newContext();
    page = await context.newPage();
    onTestFailed(async () => {
      await page.screenshot({ path: join(ARTIFACTS, 'failed-ide.png') });
      await writeFile(join(ARTIFACTS, 'failed-ide.html'), await page.content());
      await writeFile(join(ARTIFACTS, 'failed-api.log'), api.output);
    });
    const errors = watchErrors(page, api.origin);
    const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });

    // Signed out, the app sends the user to sign in and remembers where they were going.
    await page.goto(`${api.origin}/`);
    await page.waitForURL(/\/login\?redirect=/);
    await shot('01-login');
    // Accessibility (WCAG 2.1 A/AA, axe-core) of every page and IDE state, in both themes; the
    // findings are collected and checked at the end so one run reports all of them.
    const a11y: string[] = [];
    a11y.push(...(await auditThemes(page, 'sign-in', page.getByRole('button', { name: 'Sign in' }))));
    await page.goto(`${api.origin}/register`);
    a11y.push(...(await auditThemes(page, 'register', page.getByRole('button', { name: 'Create account' }))));

    await register(page, api.origin, 'ada');
    const listHeading = page.getByRole('heading', { name: 'What do you want to build?' });
    await listHeading.waitFor();
    await shot('02-project-list');
    a11y.push(...(await auditThemes(page, 'project list (empty)', listHeading)));
    a11y.push(
      ...(await auditThemes(page, 'settings dialog', listHeading, {
        prepare: async () => {
          await page.getByRole('button', { name: 'Settings' }).click();
          await page.getByRole('button', { name: 'Save models' }).waitFor();
        },
        undo: async () => {
          await page.keyboard.press('Escape');
          await page.locator('dialog[open]').waitFor({ state: 'detached' });
        },
      })),
    );

    await page.getByLabel('What do you want to build?').fill('a todo app');
    await page.getByRole('button', { name: 'Build it' }).click();
    await page.waitForURL(/\/project\/[^/]+$/);
    projectUrl = page.url();
    projectId = projectUrl.split('/').pop() ?? '';

    // Phases advance: the current phase is being written...
    await page.locator('[data-testid=phase-timeline] li[aria-current=step][data-phase-status=implementing]').waitFor();
    // ...and the file being written shows its text arriving in Monaco, read-only until it is done.
    const streaming = await page.waitForFunction(() => {
      const state = document.querySelector('[data-testid=save-state]')?.getAttribute('data-state');
      const text = document.querySelector('.monaco-editor .view-lines')?.textContent ?? '';
      const tab = document.querySelector('[role=tab][aria-selected=true]')?.getAttribute('title');
      return state === 'writing' && text.trim().length > 0 && tab ? { tab, text } : null;
    });
    const midStream = await streaming.jsonValue();
    if (!midStream) throw new Error('unreachable: waitForFunction resolves with a truthy value');
    expect(midStream.text.length).toBeGreaterThan(0);
    await shot('03-streaming');
    const ideReady = page.locator('[data-testid=agent-state]');
    a11y.push(...(await auditThemes(page, 'IDE generating', ideReady)));

    // The round completes with every phase done, and the preview serves the generated app.
    await page.locator('[data-testid=agent-state][data-state=COMPLETE]').waitFor({ timeout: 240_000 });
    const statuses = await page
      .locator('[data-testid=phase-timeline] > li')
      .evaluateAll((lis) => lis.map((li) => li.getAttribute('data-phase-status')));
    expect(statuses.length).toBeGreaterThanOrEqual(2);
    expect(statuses).toEqual(statuses.map(() => 'done'));
    const finalFile = await page.request.get(`${api.origin}/api/projects/${projectId}/file?path=${encodeURIComponent(midStream.tab)}`);
    expect(finalFile.ok()).toBe(true);
    expect(((await finalFile.json()) as { content: string }).content.length).toBeGreaterThan(0);

    const frameLocator = page.locator('[data-testid=preview-frame]');
    await frameLocator.waitFor();
    // The frame signs in to the private preview with a one-time link, then shows the app at /.
    const frameSrc = (await frameLocator.getAttribute('src')) ?? '';
    expect(frameSrc).toMatch(/^http:\/\/[a-z0-9]+\.preview\.localhost:\d+\/__lathe\/auth\?ticket=[\w.-]+$/);
    previewUrl = new URL('/', frameSrc).toString();
    usedTicket = frameSrc;
    let frame = await previewFrame(page);
    await frame.getByPlaceholder('What needs doing?').waitFor();
    await frame.getByPlaceholder('What needs doing?').fill('Buy milk');
    await frame.getByRole('button', { name: 'Add' }).click();
    await frame.getByText('Buy milk').waitFor();
    await shot('04-preview-todo-added');

    // Editing App.tsx in Monaco updates the preview by hot reload: the page is not reloaded.
    await frame.evaluate(() => {
      (window as unknown as { __latheMarker: string }).__latheMarker = 'kept';
    });
    await page.locator('[data-path="src/App.tsx"]').click();
    await page.locator('[role=tab][aria-selected=true][title="src/App.tsx"]').waitFor();
    await page.waitForFunction(() =>
      document.querySelector('.monaco-editor .view-lines')?.textContent?.replaceAll('\u00a0', ' ').includes('Todo List'),
    );
    await page.locator('.monaco-editor .view-lines').click();
    await page.keyboard.press('Control+F');
    await page.keyboard.type('Todo List');
    await page.keyboard.press('Escape');
    await page.keyboard.type(NEW_TITLE);
    await page.keyboard.press('Control+S');
    await page.locator('[data-testid=save-state][data-state=saved]').waitFor();
    expect(await editorText(page)).toContain(`<h1 className="mt-2 text-4xl font-bold tracking-tight">${NEW_TITLE}</h1>`);
    frame = await previewFrame(page);
    await frame.waitForFunction((title) => document.querySelector('h1')?.textContent === title, NEW_TITLE);
    expect(await frame.evaluate(() => (window as unknown as { __latheMarker?: string }).__latheMarker)).toBe('kept');
    await shot('05-title-hot-reloaded');

    // "Open in a new tab" signs the new tab in to the preview too, with its own one-time link.
    const [tab] = await Promise.all([
      context.waitForEvent('page'),
      page.getByRole('button', { name: 'Open preview in a new tab' }).click(),
    ]);
    await tab.waitForURL((url) => url.host === new URL(previewUrl).host && url.pathname === '/');
    await tab.getByRole('heading', { name: NEW_TITLE }).waitFor();
    await tab.close();

    // The preview can be narrowed to a phone's width; the logs show what the sandbox did.
    await page.getByRole('button', { name: 'Mobile (375 px)' }).click();
    expect((await page.locator('[data-testid=preview-frame]').boundingBox())?.width).toBe(375);
    await page
      .getByTestId('logs')
      .getByText(/^Dev server ready at http/)
      .first()
      .waitFor();
    await shot('05b-mobile-width-and-logs');
    a11y.push(...(await auditThemes(page, 'IDE done, preview shown, logs open', ideReady)));
    await page.getByRole('button', { name: 'Logs' }).click();
    a11y.push(...(await auditThemes(page, 'IDE done, logs closed', ideReady)));
    await page.getByRole('button', { name: 'Logs' }).click();
    await page.getByRole('button', { name: 'Desktop (full width)' }).click();

    // The ZIP holds the project, with the edit.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download ZIP' }).click()]);
    const zipPath = join(ARTIFACTS, 'project.zip');
    await download.saveAs(zipPath);
    const entries = unzipSync(new Uint8Array(await readFile(zipPath)));
    const appEntry = Object.keys(entries).find((name) => name === 'src/App.tsx' || name.endsWith('/src/App.tsx'));
    expect(appEntry).toBeDefined();
    expect(strFromU8(entries[appEntry ?? ''] ?? new Uint8Array())).toContain(NEW_TITLE);

    // After a reload the files, the conversation and the state are all back.
    await page.reload();
    await page.locator('[data-testid=agent-state][data-state=COMPLETE]').waitFor();
    await page.locator('[data-path="src/App.tsx"]').waitFor();
    await page.locator('[data-path="src/components/TodoApp.tsx"]').waitFor();
    await page.getByTestId('chat-log').getByText('a todo app', { exact: true }).waitFor();
    await page
      .getByTestId('chat-log')
      .getByText(/^Done in \d+ phases?/)
      .waitFor();
    // The round's tokens show under its last message and the project's in the header (the offline model is free).
    const roundUsage = page.getByTestId('round-usage').first();
    await roundUsage.waitFor();
    expect(await roundUsage.textContent()).toMatch(/^[\d.]+k? tokens · \$0$/);
    const projectUsage = page.getByTestId('project-usage');
    await projectUsage.waitFor();
    expect(await projectUsage.textContent()).toMatch(/^[\d.]+k? tokens · \$0$/);
    await page.locator('[role=tab][aria-selected=true][title="src/App.tsx"]').waitFor();
    await page.waitForFunction(
      (title) => document.querySelector('.monaco-editor .view-lines')?.textContent?.replaceAll('\u00a0', ' ').includes(title),
      NEW_TITLE,
    );
    await page.locator('[data-testid=preview-frame]').waitFor();
    await shot('06-after-reload');

    // The blueprint the first design made is a collapsible plan above the chat.
    const plan = page.getByTestId('blueprint');
    await plan.locator('summary').click();
    expect(await plan.textContent()).toMatch(/^Plan: Todo List.*Core/s);
    // A follow-up answered with a search/replace edit block streams into the open file and the preview.
    const FOLLOW_TITLE = 'Groceries';
    await page.getByPlaceholder('Ask for a change…').fill(`change the title to ${FOLLOW_TITLE}`);
    await page.getByRole('button', { name: 'Send' }).click();
    await page.waitForFunction(
      (title) => document.querySelector('.monaco-editor .view-lines')?.textContent?.replaceAll('\u00a0', ' ').includes(`${title}</h1>`),
      FOLLOW_TITLE,
      { timeout: 170_000 },
    );
    await page.locator('[data-testid=agent-state][data-state=COMPLETE]').waitFor({ timeout: 170_000 });
    frame = await previewFrame(page);
    await frame.waitForFunction((title) => document.querySelector('h1')?.textContent === title, FOLLOW_TITLE);
    await shot('06b-blueprint-and-edit-follow-up');

    await page.getByRole('link', { name: 'All projects' }).click();
    await page.getByRole('link', { name: /a todo app/ }).waitFor();
    a11y.push(...(await auditThemes(page, 'project list', listHeading)));

    expect(errors).toEqual([]);
    expect(a11y.join('\n')).toBe('');

    // Signing out locks the project away again.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/login/);
    await page.goto(projectUrl);
    await page.waitForURL(/\/login\?redirect=/);
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    await shot('07-signed-out');
    await context.close();
  }, 600_000);

  it("keeps another user out of the first user's project and its preview", async () => {
    expect(projectId).not.toBe('');
    expect(previewUrl).not.toBe('');
    const other = await newContext();
    const page2 = await other.newPage();
    onTestFailed(() => page2.screenshot({ path: join(ARTIFACTS, 'failed-other-user.png') }).then(() => undefined));
    await register(page2, api.origin, 'eve');
    await page2.getByRole('heading', { name: 'What do you want to build?' }).waitFor();
    await page2.getByText('No projects yet').waitFor();

    await page2.goto(projectUrl);
    const notFound = page2.getByRole('heading', { name: 'Project not found' });
    await notFound.waitFor();
    expect(await page2.locator('[data-testid=preview-frame]').count()).toBe(0);
    expect((await auditThemes(page2, 'project not found', notFound)).join('\n')).toBe('');
    await page2.screenshot({ path: join(ARTIFACTS, '08-other-user.png') });

    // The API answers as if the project did not exist, so its preview host is never revealed.
    for (const path of ['', '/files', '/state', '/messages', '/events', '/ws-token', '/download']) {
      const res = await page2.request.get(`${api.origin}/api/projects/${projectId}${path}`);
      expect(res.status(), path).toBe(404);
      expect(await res.text()).not.toContain(new URL(previewUrl).hostname);
    }
    const list = await page2.request.get(`${api.origin}/api/projects`);
    expect(await list.json()).toEqual([]);
    // The preview is private: even with its URL, or the owner's spent sign-in link, it stays shut.
    const direct = await page2.goto(previewUrl);
    expect(direct?.status()).toBe(401);
    await page2.getByText('This preview is private').waitFor();
    await page2.screenshot({ path: join(ARTIFACTS, '09-other-user-preview.png') });
    expect((await page2.goto(usedTicket))?.status()).toBe(401);
    // A host that is not a project's token serves nothing.
    const guessed = await page2.goto(previewUrl.replace(/^http:\/\/[a-z0-9]+/, 'http://aaaaaaaaaaaaaaaaaaaaaaaa'));
    expect(guessed?.status()).toBe(404);

    // A round the user stops: the IDE in its stopped state passes the audit too.
    await page2.goto(`${api.origin}/`);
    await page2.getByLabel('What do you want to build?').fill('a counter');
    await page2.getByRole('button', { name: 'Build it' }).click();
    await page2.getByRole('button', { name: 'Stop' }).click();
    const stopped = page2.locator('[data-testid=agent-state][data-state=CANCELLED]');
    await stopped.waitFor();
    await page2.getByTestId('announcer').filter({ hasText: 'Stopped.' }).waitFor();
    expect((await auditThemes(page2, 'IDE stopped', stopped)).join('\n')).toBe('');
    await page2.screenshot({ path: join(ARTIFACTS, '10-stopped.png') });
    await other.close();
  }, 300_000);

  it('can be used with the keyboard alone, with visible focus and spoken progress', async () => {
    const context = await newContext();
    const page = await context.newPage();
    onTestFailed(async () => {
      await page.screenshot({ path: join(ARTIFACTS, 'failed-keyboard.png') });
      await writeFile(join(ARTIFACTS, 'failed-keyboard.html'), await page.content());
    });
    const errors = watchErrors(page, api.origin);
    const walk = await keyboardWalk(page, api.origin, 'kim', PASSWORD, (name) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`) }));

    expect(walk.savedContent).toContain(KEYBOARD_EDIT);
    expect(walk.previewTitle).toBe('Todo List');
    // The live region spoke each step and the result, never the files as they streamed.
    expect(walk.announcements).toContainEqual(expect.stringMatching(/^Phase 1, .+: Writing code…$/));
    expect(walk.announcements.at(-1)).toMatch(/^Build finished\. Done in \d+ phases?/);
    expect(walk.announcements.filter((a) => a.includes('.tsx'))).toEqual([]);
    expect(walk.announcements.length).toBeLessThan(20);
    expect(errors).toEqual([]);
    await context.close();
  }, 600_000);
});
