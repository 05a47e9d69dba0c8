import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { auditPage, formatFindings } from './axe';
import { ApiServer, CHROMIUM, CHROMIUM_ARGS, previewFrame, ROOT, register } from './support';

const ARTIFACTS = join(ROOT, 'test-artifacts/narrow');
const EDIT = '// edited on a phone';

let api: ApiServer;
let browser: Browser;

beforeAll(async () => {
  await mkdir(ARTIFACTS, { recursive: true });
  api = await ApiServer.start({ LATHE_OFFLINE_TOKENS_PER_SECOND: '0' });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await api?.dispose();
}, 60_000);

async function newContext(width: number, height: number): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width, height }, hasTouch: width < 1024 });
  context.setDefaultTimeout(120_000);
  context.setDefaultNavigationTimeout(120_000);
  return context;
}

/** The page never scrolls sideways: its content fits the viewport's width. */
async function expectNoHorizontalScroll(page: Page, where: string): Promise<void> {
  const { scrollWidth, clientWidth } = await page.evaluate(() => {
    const el = document.scrollingElement ?? document.documentElement;
    return { scrollWidth: el.scrollWidth, clientWidth: el.clientWidth };
  });
  expect(scrollWidth, `${where}: scrollWidth ${scrollWidth} > clientWidth ${clientWidth}`).toBeLessThanOrEqual(clientWidth);
}

/** Buttons, links and tabs a finger must hit are at least 40 px in both directions (hidden ones aside). */
async function smallTargets(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const out: string[] = [];
    for (const el of document.querySelectorAll<HTMLElement>('header button, header a, [role=tab], [data-testid=status-strip] button')) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 || r.height === 0) continue;
      if (r.width < 40 || r.height < 40) out.push(`${el.getAttribute('aria-label') ?? el.textContent?.trim()} ${r.width}×${r.height}`);
    }
    return out;
  });
}

const tab = (page: Page, name: string) => page.getByRole('tablist', { name: 'IDE panels' }).getByRole('tab', { name });

describe('the IDE on narrow screens (375 px), against the real API', () => {
  let projectUrl = '';

  it('registers, generates, uses the app in Preview, edits in Code and runs a terminal, never scrolling sideways', async () => {
    const context = await newContext(375, 740);
    const page = await context.newPage();
    const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });
    // WCAG 2.1 A/AA (axe-core) of each narrow state, collected and checked at the end.
    const a11y: string[] = [];
    const audit = async (state: string) => {
      const findings = await auditPage(page);
      if (findings.length > 0) a11y.push(formatFindings(state, findings));
    };
    onTestFailed(async () => {
      await shot('failed-375');
      await writeFile(join(ARTIFACTS, 'failed-375.html'), await page.content());
      await writeFile(join(ARTIFACTS, 'failed-api.log'), api.output);
    });

    await page.goto(`${api.origin}/login`);
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    await expectNoHorizontalScroll(page, 'sign-in');
    await shot('375-01-sign-in');
    await register(page, api.origin, 'pia');
    await expectNoHorizontalScroll(page, 'project list');
    await shot('375-02-project-list');
    await page.getByRole('button', { name: 'Settings' }).click();
    await page.getByRole('button', { name: 'Save models' }).waitFor();
    await expectNoHorizontalScroll(page, 'settings');
    await shot('375-03-settings');
    await page.keyboard.press('Escape');
    await page.locator('dialog[open]').waitFor({ state: 'detached' });

    await page.getByLabel('What do you want to build?').fill('a todo app');
    await page.getByRole('button', { name: 'Build it' }).click();
    await page.waitForURL(/\/project\/[^/]+$/);
    projectUrl = page.url();
    const projectId = projectUrl.split('/').pop() ?? '';

    // Tabs, with Chat first; the agent's progress shows above them whichever tab is open.
    await tab(page, 'Chat').waitFor();
    expect(await tab(page, 'Chat').getAttribute('aria-selected')).toBe('true');
    const strip = page.getByTestId('status-strip');
    await strip.getByTestId('agent-state').waitFor();
    await expectNoHorizontalScroll(page, 'IDE, chat, generating');
    await shot('375-04-chat-generating');
    await audit('375 chat tab, generating');
    await tab(page, 'Code').click();
    expect(await strip.isVisible()).toBe(true);
    await expectNoHorizontalScroll(page, 'IDE, code, generating');
    await shot('375-05-code-generating');
    expect(await smallTargets(page)).toEqual([]);

    await page.locator('[data-testid=agent-state][data-state=COMPLETE]').waitFor({ timeout: 240_000 });

    // The header's project actions sit behind one menu at phone width; History opens from it.
    await page.getByRole('button', { name: 'Project actions' }).click();
    await expect.poll(() => page.getByRole('link', { name: 'Download ZIP' }).isVisible()).toBe(true);
    await page.getByRole('button', { name: 'History', exact: true }).click();
    await page.getByRole('dialog', { name: 'History' }).waitFor();
    await expectNoHorizontalScroll(page, 'IDE, history dialog');
    await page.keyboard.press('Escape');
    await page.locator('dialog[open]').waitFor({ state: 'detached' });

    // Preview: the generated app works at phone width.
    await tab(page, 'Preview').click();
    await page.locator('[data-testid=preview-frame]').waitFor();
    const frame = await previewFrame(page);
    await frame.getByPlaceholder('What needs doing?').fill('Buy milk');
    await frame.getByRole('button', { name: 'Add' }).click();
    await frame.getByText('Buy milk').waitFor();
    await expectNoHorizontalScroll(page, 'IDE, preview');
    await shot('375-06-preview');
    await audit('375 preview tab');

    // Code: open App.tsx from the files list and edit it.
    await tab(page, 'Code').click();
    const filesToggle = page.getByRole('button', { name: /^(Hide files|Files \(\d+\))/ });
    if ((await filesToggle.getAttribute('aria-expanded')) !== 'true') await filesToggle.click();
    await page.locator('[data-path="src/App.tsx"]').click();
    await page.locator('[role=tab][aria-selected=true][title="src/App.tsx"]').waitFor();
    await page.waitForFunction(() => (document.querySelector('.monaco-editor .view-lines')?.textContent ?? '').includes('Todo'));
    await page.locator('.monaco-editor .view-lines').click();
    await page.keyboard.press('Control+End');
    await page.keyboard.type(`\n${EDIT}\n`);
    await page.keyboard.press('Control+S');
    await page.locator('[data-testid=save-state][data-state=saved]').waitFor();
    const saved = await page.request.get(`${api.origin}/api/projects/${projectId}/file?path=src%2FApp.tsx`);
    expect(((await saved.json()) as { content: string }).content).toContain(EDIT);
    await expectNoHorizontalScroll(page, 'IDE, code, edited');
    await shot('375-07-code-edited');
    await audit('375 code tab');

    // Logs, and a terminal in the sandbox; the command typed shows in the logs.
    await tab(page, 'Logs').click();
    await page.getByRole('button', { name: 'Open a terminal' }).click();
    await page.locator('[data-testid=terminal-status][data-status=open]').waitFor();
    await page.locator('.xterm').click();
    await page.keyboard.type('ls src\n');
    await page.waitForFunction(() => /App\.tsx/.test(document.querySelector('.xterm-rows')?.textContent ?? ''));
    await page.getByTestId('logs').getByText('$ ls src').waitFor();
    await expectNoHorizontalScroll(page, 'IDE, logs and terminal');
    await shot('375-08-logs-terminal');
    await audit('375 logs tab with a terminal');

    // Keyboard: Alt+1 goes back to Chat.
    await page.locator('body').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('Alt+1');
    expect(await tab(page, 'Chat').getAttribute('aria-selected')).toBe('true');
    expect(a11y.join('\n')).toBe('');
    await context.close();
  }, 600_000);

  it('lays out the IDE at 768 and 1280 px (screenshots), with quick open and the shortcuts dialog', async () => {
    for (const [width, height] of [
      [768, 1024],
      [1280, 800],
    ] as const) {
      const context = await newContext(width, height);
      const page = await context.newPage();
      onTestFailed(() => page.screenshot({ path: join(ARTIFACTS, `failed-${width}.png`) }).then(() => undefined));
      await page.goto(`${api.origin}/login`);
      await page.getByLabel('Email').waitFor();
      await expectNoHorizontalScroll(page, `sign-in at ${width}`);
      await register(page, api.origin, `w${width}`);
      await page.screenshot({ path: join(ARTIFACTS, `${width}-01-project-list.png`) });
      await page.getByLabel('What do you want to build?').fill('a counter');
      await page.getByRole('button', { name: 'Build it' }).click();
      await page.locator('[data-testid=agent-state][data-state=COMPLETE]').waitFor({ timeout: 240_000 });
      // Below 1024 px the preview runs in its tab, hidden until chosen.
      await page.locator('[data-testid=preview-frame]').waitFor({ state: 'attached' });
      await expectNoHorizontalScroll(page, `IDE at ${width}`);
      expect(await page.getByRole('tablist', { name: 'IDE panels' }).count()).toBe(width < 1024 ? 1 : 0);
      await page.screenshot({ path: join(ARTIFACTS, `${width}-02-ide.png`) });

      // Ctrl+P: type part of a name, arrows choose, Enter opens it.
      await page.locator('body').click({ position: { x: 5, y: 5 } });
      await page.keyboard.press('Control+P');
      await page.getByRole('combobox', { name: 'File name' }).fill('src/');
      await page.keyboard.press('ArrowUp');
      const chosen = (await page.getByRole('option', { selected: true }).textContent()) ?? '';
      expect(chosen).toMatch(/^src\//);
      await page.keyboard.press('Enter');
      await page.locator(`[role=tab][aria-selected=true][title="${chosen}"]`).waitFor();
      // "?" lists the shortcuts.
      await page.locator('body').click({ position: { x: 5, y: 5 } });
      await page.keyboard.press('Shift+Slash');
      const shortcuts = page.getByTestId('shortcuts');
      await shortcuts.waitFor();
      expect(await shortcuts.textContent()).toMatch(/Ctrl\+P.*Ctrl\+Enter.*Esc/s);
      await page.screenshot({ path: join(ARTIFACTS, `${width}-03-shortcuts.png`) });
      await page.keyboard.press('Escape');
      await page.locator('dialog[open]').waitFor({ state: 'detached' });
      if (width >= 1024) {
        // Ctrl+` opens the terminal beside the logs.
        await page.keyboard.press('Control+Backquote');
        await page.locator('[data-testid=terminal-status][data-status=open]').waitFor();
        await page.screenshot({ path: join(ARTIFACTS, `${width}-04-terminal.png`) });
      }
      await context.close();
    }
  }, 600_000);
});
