import type { Page } from 'playwright-core';

/** What has keyboard focus: enough to recognise a control and to check that it is visibly marked. */
export interface FocusInfo {
  tag: string;
  role: string | null;
  name: string;
  testId: string | null;
  path: string | null;
  inEditor: boolean;
  /** An outline or ring on the element itself or on the wrapper that shows focus-within. */
  visibleIndicator: boolean;
}

/** Describes document.activeElement; runs in the page. */
function describeFocus(): FocusInfo | null {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const shows = (node: Element | null) => {
    if (!node) return false;
    const style = getComputedStyle(node);
    const outline = style.outlineStyle !== 'none' && Number.parseFloat(style.outlineWidth) > 0;
    return outline || style.boxShadow !== 'none';
  };
  // Text fields draw the focus ring on their framed wrapper (focus-within), Monaco on its own frame.
  const visibleIndicator =
    shows(el) || shows(el.parentElement) || shows(el.parentElement?.parentElement ?? null) || !!el.closest('.monaco-editor.focused');
  const label = 'labels' in el ? (el as HTMLInputElement).labels?.[0]?.textContent : null;
  return {
    tag: el.tagName.toLowerCase(),
    role: el.getAttribute('role'),
    name: (el.getAttribute('aria-label') || label || el.textContent || '').trim(),
    testId: el.getAttribute('data-testid'),
    path: el.getAttribute('data-path'),
    inEditor: !!el.closest('.monaco-editor'),
    visibleIndicator,
  };
}

export const focused = (page: Page): Promise<FocusInfo | null> => page.evaluate(describeFocus);

/**
 * Presses Tab (or Shift+Tab) until the focused element matches, as a keyboard user would. Fails
 * when a whole round of the page passes without a match, so an unreachable control is an error.
 */
export async function tabTo(page: Page, matches: (f: FocusInfo) => boolean, what: string, backward = false): Promise<FocusInfo> {
  const seen: string[] = [];
  for (let i = 0; i < 80; i++) {
    await page.keyboard.press(backward ? 'Shift+Tab' : 'Tab');
    const f = await focused(page);
    if (f && matches(f)) {
      if (!f.visibleIndicator) throw new Error(`${what} has keyboard focus but no visible focus indicator`);
      return f;
    }
    seen.push(f ? `${f.tag}${f.role ? `[${f.role}]` : ''} "${f.name.slice(0, 40)}"` : 'body');
  }
  throw new Error(`could not reach ${what} with ${backward ? 'Shift+Tab' : 'Tab'}; focus went through:\n${seen.join('\n')}`);
}

/** Matches a control by its accessible name. */
export const named =
  (name: string | RegExp) =>
  (f: FocusInfo): boolean =>
    typeof name === 'string' ? f.name === name : name.test(f.name);

/** Records every text the IDE's live region takes, from page load on (it may change between polls). */
export const recordAnnouncements = `(() => {
  const heard = [];
  Object.defineProperty(window, '__latheAnnouncements', { value: heard });
  new MutationObserver(() => {
    const text = document.querySelector('[data-testid=announcer]')?.textContent ?? '';
    if (text && heard.at(-1) !== text) heard.push(text);
  }).observe(document, { subtree: true, childList: true, characterData: true });
})();`;

export const announcements = (page: Page): Promise<string[]> =>
  page.evaluate(() => (window as unknown as { __latheAnnouncements?: string[] }).__latheAnnouncements ?? []);

export const KEYBOARD_EDIT = '// edited with the keyboard';

export interface WalkResult {
  projectId: string;
  /** The edited file as the server has it, read before signing out. */
  savedContent: string;
  previewTitle: string;
  announcements: string[];
}

/**
 * A keyboard-only session, no mouse event at all: register, describe an app, wait for it to be
 * built, open a file from the tree, edit and save it, open the preview in a new tab, sign out.
 * Every control is reached with Tab and must show where the focus is.
 */
export async function keyboardWalk(
  page: Page,
  origin: string,
  name: string,
  password: string,
  shot: (name: string) => Promise<unknown> = async () => undefined,
): Promise<WalkResult> {
  const context = page.context();
  await page.addInitScript(recordAnnouncements);
  const type = (text: string) => page.keyboard.type(text);

  await page.goto(`${origin}/register`);
  // Enabled once the page is hydrated: pressing Enter before that does nothing.
  await page.waitForFunction(() => document.querySelector<HTMLButtonElement>('form button[type=submit]')?.disabled === false);
  await tabTo(page, named('Name'), 'the name field');
  await type(name);
  await tabTo(page, named('Email'), 'the email field');
  await type(`${name}-${Date.now()}@example.test`);
  await tabTo(page, named('Password'), 'the password field');
  await type(password);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'What do you want to build?' }).waitFor();

  // Settings: focus moves into the dialog, and back to the button that opened it on Escape.
  await tabTo(page, named('Settings'), 'the settings button');
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Settings' }).waitFor();
  const inDialog = await page.evaluate(() => !!document.activeElement?.closest('dialog[open]'));
  if (!inDialog) throw new Error('opening Settings did not move the focus into the dialog');
  await page.keyboard.press('Escape');
  await page.locator('dialog[open]').waitFor({ state: 'detached' });
  const back = await focused(page);
  if (back?.name !== 'Settings') throw new Error(`closing Settings left the focus on ${JSON.stringify(back)}`);

  await tabTo(page, named('What do you want to build?'), 'the prompt');
  await type('a todo app');
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/project\/[^/]+$/);
  const projectId = page.url().split('/').pop() ?? '';
  await page.locator('[data-testid=agent-state][data-state=COMPLETE]').waitFor({ timeout: 300_000 });
  await page
    .getByTestId('announcer')
    .filter({ hasText: /^Build finished\./ })
    .waitFor();

  // The file tree is one tab stop; arrow keys walk it and Enter opens a file.
  const editedPath = 'src/App.tsx';
  await tabTo(page, (f) => f.role === 'treeitem', 'the file tree');
  await page.keyboard.press('Home');
  for (let i = 0; i < 20; i++) {
    const f = await focused(page);
    if (f?.path === editedPath) break;
    await page.keyboard.press('ArrowDown');
  }
  const onFile = await focused(page);
  if (onFile?.path !== editedPath) throw new Error(`ArrowDown never reached ${editedPath}`);
  if (!onFile.visibleIndicator) throw new Error('the focused tree item shows no focus indicator');
  await shot('kb-01-tree-focus');
  await page.keyboard.press('Enter');
  await page.locator(`[role=tab][aria-selected=true][title="${editedPath}"]`).waitFor();

  // Into the editor: the next tab stops are the tab strip and then Monaco's text input.
  await tabTo(page, (f) => f.inEditor, 'the code editor');
  await page.keyboard.press('Control+End');
  await type(`\n${KEYBOARD_EDIT}\n`);
  await page.keyboard.press('Control+S');
  await page.locator('[data-testid=save-state][data-state=saved]').waitFor();
  await shot('kb-02-edited-and-saved');
  // Monaco keeps Tab for indentation until Ctrl+M hands it back to focus navigation.
  await page.keyboard.press('Control+M');

  const [tab] = await Promise.all([
    context.waitForEvent('page'),
    (async () => {
      await tabTo(page, named('Open preview in a new tab'), 'the open-in-new-tab button');
      await shot('kb-03-preview-button-focus');
      await page.keyboard.press('Enter');
    })(),
  ]);
  await tab.waitForURL((url) => url.hostname.endsWith('.preview.localhost') && url.pathname === '/');
  const previewTitle = (await tab.locator('h1').first().textContent()) ?? '';
  await tab.close();

  const saved = await page.request.get(`${origin}/api/projects/${projectId}/file?path=${encodeURIComponent(editedPath)}`);
  const savedContent = ((await saved.json()) as { content?: string }).content ?? '';
  const heard = await announcements(page);
  await tabTo(page, named('Sign out'), 'the sign-out button', true);
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/login/);
  return { projectId, savedContent, previewTitle, announcements: heard };
}
