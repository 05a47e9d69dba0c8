import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { heredoc, phaseJson, type ScriptedModel, startScriptedModel } from '@lathe/agent';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { auditPage, formatFindings } from './axe';
import { ApiServer, CHROMIUM, CHROMIUM_ARGS, inPreview, ROOT, registerAndBuild } from './support';

/**
 * File operations as a user meets them: the tree's toolbar, F2 and Delete, uploads by the file
 * picker and by dropping files, seen live in a second tab of the same project, and an uploaded
 * image shown by the app in the preview. Real API, real local sandbox, real Chromium; the model
 * is a scripted OpenAI-compatible server.
 */

const ARTIFACTS = join(ROOT, 'test-artifacts/file-ops');

const APP = `export default function App() {
  return (
    <main className="p-8">
      <h1>Brand page</h1>
      <img src="/logo.png" alt="Company logo" width="64" height="64" />
    </main>
  );
}
`;

/** A 1×1 red PNG. */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGP4z8DwHwAFAAH/iZk9HQAAAABJRU5ErkJggg==', 'base64');

let api: ApiServer;
let model: ScriptedModel;
let browser: Browser;

beforeAll(async () => {
  await mkdir(ARTIFACTS, { recursive: true });
  model = await startScriptedModel({
    script: [
      { role: 'designer', kind: 'reply', content: phaseJson(['src/App.tsx'], 'Brand page') },
      { role: 'implementer', kind: 'reply', content: heredoc('src/App.tsx', APP) },
    ],
  });
  api = await ApiServer.start({
    LATHE_LLM_BASE_URL: model.url,
    LATHE_LLM_API_KEY: 'test-key',
    LATHE_MODEL: 'scripted-model',
    LATHE_FIX_ROUNDS: '0',
    LATHE_CHROMIUM_PATH: 'none',
  });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await api?.dispose();
  await model?.close();
}, 60_000);

const row = (page: Page, path: string) => page.locator(`[role=treeitem][data-path="${path}"]`);
const folderRow = (page: Page, name: string) => page.getByRole('treeitem', { name, exact: true });
const tab = (page: Page, name: string) => page.getByRole('tab', { name, exact: true });

describe('file operations in the IDE (scripted model, real API, Chromium)', () => {
  it('creates, renames, deletes and uploads from the tree; a second tab follows live; the uploaded image shows in the preview', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    context.setDefaultTimeout(60_000);
    const page = await context.newPage();
    onTestFailed(async () => {
      await page.screenshot({ path: join(ARTIFACTS, 'failed-file-ops.png') });
      await writeFile(join(ARTIFACTS, 'failed-file-ops-api.log'), api.output);
    });

    await registerAndBuild(page, api.origin, 'grace', 'a brand page with our logo');
    await row(page, 'src/App.tsx').waitFor();

    // The same project in a second tab of the same user.
    const other = await context.newPage();
    await other.goto(page.url());
    await row(other, 'src/App.tsx').waitFor();

    // New file, in the folder of the selected file (src/).
    await row(page, 'src/App.tsx').click();
    await page.getByRole('button', { name: 'New file', exact: true }).click();
    const dialog = page.getByTestId('file-dialog');
    const name = dialog.getByLabel('Path in the project');
    expect(await name.inputValue()).toBe('src/');
    await name.fill('src/Note.tsx');
    await dialog.getByRole('button', { name: 'Create' }).click();
    await row(other, 'src/Note.tsx').waitFor();
    // A taken name is refused in the dialog, which stays open to fix it.
    await page.getByRole('button', { name: 'New file', exact: true }).click();
    await name.fill('src/App.tsx');
    await dialog.getByRole('button', { name: 'Create' }).click();
    await expect.poll(() => dialog.getByRole('alert').textContent()).toContain('already exists');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });

    // The other tab has the file open; F2 in the first tab renames it, and the open tab follows.
    await row(other, 'src/Note.tsx').click();
    await tab(other, 'Note.tsx').waitFor();
    await row(page, 'src/Note.tsx').focus();
    await page.keyboard.press('F2');
    expect(await name.inputValue()).toBe('src/Note.tsx');
    await name.fill('src/Memo.tsx');
    await page.keyboard.press('Enter');
    await row(other, 'src/Memo.tsx').waitFor();
    await row(other, 'src/Note.tsx').waitFor({ state: 'detached' });
    await tab(other, 'Memo.tsx').waitFor();

    // Delete asks first; the file leaves both trees and the other tab's editor.
    await row(page, 'src/Memo.tsx').focus();
    await page.keyboard.press('Delete');
    await dialog.getByText('The version history keeps it').waitFor();
    await page.screenshot({ path: join(ARTIFACTS, '01-delete-dialog.png') });
    const inDialog = await auditPage(page);
    expect(inDialog, formatFindings('delete dialog', inDialog)).toEqual([]);
    await dialog.getByRole('button', { name: 'Delete' }).click();
    await row(other, 'src/Memo.tsx').waitFor({ state: 'detached' });
    await tab(other, 'Memo.tsx').waitFor({ state: 'detached' });

    // A folder, then the image uploaded into it with the file picker.
    await page.getByRole('button', { name: 'New folder', exact: true }).click();
    await name.fill('public');
    await dialog.getByRole('button', { name: 'Create' }).click();
    await folderRow(page, 'public').focus();
    await page.getByTestId('upload-input').setInputFiles({ name: 'logo.png', mimeType: 'image/png', buffer: PNG });
    await row(other, 'public/logo.png').waitFor();
    await page.getByRole('status').getByText('Uploaded public/logo.png').waitFor();

    // A file dropped from the desktop onto the tree's empty space goes to the project root.
    const dropped = await page.evaluateHandle(() => {
      const data = new DataTransfer();
      data.items.add(new File(['# Brand notes\n'], 'NOTES.md', { type: 'text/markdown' }));
      return data;
    });
    await page.getByRole('tree', { name: 'Files' }).dispatchEvent('dragover', { dataTransfer: dropped });
    await page.getByRole('tree', { name: 'Files' }).dispatchEvent('drop', { dataTransfer: dropped });
    await row(other, 'NOTES.md').waitFor();

    // A row dragged onto a folder moves there (the other tab follows).
    await row(page, 'NOTES.md').dragTo(folderRow(page, 'public'));
    await row(other, 'public/NOTES.md').waitFor();
    await row(other, 'NOTES.md').waitFor({ state: 'detached' });
    await page.getByRole('status').getByText('Moved NOTES.md to public/NOTES.md').waitFor();

    // The binary opens as an image, not as text in the editor.
    await row(page, 'public/logo.png').click();
    await page.getByTestId('binary-file').getByRole('img', { name: 'logo.png' }).waitFor();

    // The app's <img src="/logo.png"> now loads in the preview (a reload: Vite serves new public files as they come).
    await page.getByRole('button', { name: 'Reload preview' }).click();
    await inPreview(page, async (frame) => {
      await frame.getByRole('heading', { name: 'Brand page' }).waitFor();
      await frame.waitForFunction(() => {
        const img = document.querySelector<HTMLImageElement>('img[alt="Company logo"]');
        return !!img && img.complete && img.naturalWidth > 0;
      });
    });
    await page.waitForTimeout(1500);
    await page.screenshot({ path: join(ARTIFACTS, '02-uploaded.png') });

    const findings = await auditPage(page);
    expect(findings, formatFindings('IDE with an uploaded image', findings)).toEqual([]);

    // History compares a binary as images, not as base64 text: the build's version had no logo.
    await page.getByRole('button', { name: 'History', exact: true }).click();
    const history = page.getByRole('dialog', { name: 'History' });
    await history.locator('[data-testid=version-item][data-kind=phase]').first().click();
    await history.locator('[data-testid=version-file]', { hasText: 'public/logo.png' }).click();
    const binaryDiff = history.getByTestId('binary-diff');
    await binaryDiff.getByRole('region', { name: 'Now' }).getByRole('img', { name: 'logo.png' }).waitFor();
    await binaryDiff
      .getByRole('region', { name: /^Version \d+$/ })
      .getByText('No file at this path.')
      .waitFor();
    expect(await history.locator('[data-testid=version-diff]').textContent()).not.toContain(PNG.toString('base64').slice(0, 40));
    await page.screenshot({ path: join(ARTIFACTS, '03-history-binary.png') });
    const inHistory = await auditPage(page);
    expect(inHistory, formatFindings('history with a binary file', inHistory)).toEqual([]);
    await context.close();
  }, 600_000);
});
