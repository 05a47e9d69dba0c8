import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { heredoc, phaseJson, type ScriptedModel, startScriptedModel } from '@lathe/agent';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { auditPage, formatFindings } from './axe';
import { named, tabTo } from './keyboard';
import { ApiServer, CHROMIUM, CHROMIUM_ARGS, inPreview, ROOT, registerAndBuild } from './support';

/**
 * Version history as a user meets it: a follow-up breaks a working app, the History panel shows
 * the rounds, a diff against the current files, and restoring the version before the break brings
 * the working app back in the preview. Real API, real local sandbox, real Chromium; the model is a
 * scripted OpenAI-compatible server.
 */

const ARTIFACTS = join(ROOT, 'test-artifacts/history');

const WORKING = `import { useState } from 'react';

export default function App() {
  const [count, setCount] = useState(0);
  return (
    <main className="p-8">
      <h1>Tally</h1>
      <button type="button" onClick={() => setCount(count + 1)}>
        Count {count}
      </button>
    </main>
  );
}
`;

const BROKEN = `import { useState } from 'react';

function Fancy(): never {
  throw new Error('The fancy counter is not ready');
}

export default function App() {
  const [count] = useState(0);
  return (
    <main className="p-8">
      <h1>Fancy tally {count}</h1>
      <Fancy />
    </main>
  );
}
`;

let api: ApiServer;
let model: ScriptedModel;
let browser: Browser;

beforeAll(async () => {
  await mkdir(ARTIFACTS, { recursive: true });
  model = await startScriptedModel({
    script: [
      { role: 'designer', kind: 'reply', content: phaseJson(['src/App.tsx'], 'Tally counter') },
      { role: 'implementer', kind: 'reply', content: heredoc('src/App.tsx', WORKING) },
      { role: 'designer', kind: 'reply', content: phaseJson(['src/App.tsx'], 'Fancy counter') },
      { role: 'implementer', kind: 'reply', content: heredoc('src/App.tsx', BROKEN) },
    ],
  });
  api = await ApiServer.start({
    LATHE_LLM_BASE_URL: model.url,
    LATHE_LLM_API_KEY: 'test-key',
    LATHE_MODEL: 'scripted-model',
    // The break must stay broken: no fixer rounds, and no review browser on a shared machine.
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

describe('version history in the IDE (scripted model, real API, Chromium)', () => {
  it('after a breaking follow-up, restoring the version before it brings the working app back, and the timeline shows the restore', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    context.setDefaultTimeout(120_000);
    const page = await context.newPage();
    onTestFailed(async () => {
      await page.screenshot({ path: join(ARTIFACTS, 'failed-history.png') });
      await writeFile(join(ARTIFACTS, 'failed-history-api.log'), api.output);
    });

    const projectId = await registerAndBuild(page, api.origin, 'ada', 'a tally counter');
    await inPreview(page, (frame) => frame.getByRole('heading', { name: 'Tally' }).waitFor());

    // The follow-up breaks the app: it throws while rendering, the preview is blank.
    await page.getByPlaceholder('Ask for a change…').fill('make the counter fancy');
    await page.getByRole('button', { name: 'Send' }).click();
    // The new round shows up first (the state says COMPLETE from the first round until it starts).
    await page.locator('[data-testid=phase-timeline]').getByText('Fancy counter').waitFor();
    await page.locator('[data-testid=agent-state][data-state=COMPLETE]').waitFor({ timeout: 240_000 });
    await inPreview(page, (frame) => frame.waitForFunction(() => document.readyState === 'complete' && !document.querySelector('h1')));
    await page.screenshot({ path: join(ARTIFACTS, '01-broken.png') });

    // The History panel, opened from the keyboard: rounds → phases, newest first.
    // From the header (Tab inside the code editor indents, as it should).
    await page.getByTestId('project-name').focus();
    await tabTo(page, named('History'), 'the History button');
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'History' });
    await dialog.waitFor();
    const items = dialog.locator('[data-testid=version-item]');
    await items.nth(1).waitFor();
    await dialog.locator('.monaco-diff-editor').waitFor();
    const findings = await auditPage(page);
    expect(findings, formatFindings('history panel', findings)).toEqual([]);
    expect(await items.evaluateAll((els) => els.map((e) => `${e.getAttribute('data-seq')}:${e.getAttribute('data-kind')}`))).toEqual([
      '2:phase',
      '1:phase',
    ]);
    const timeline = dialog.getByTestId('history-timeline');
    expect(await timeline.textContent()).toMatch(/Round 2.*Fancy counter.*Round 1.*Tally counter/s);

    // Version 1 against the current files: App.tsx changed since, shown in a Monaco diff.
    await dialog.locator('[data-testid=version-item][data-seq="1"]').click();
    await dialog.getByRole('heading', { name: 'Version 1: Tally counter' }).waitFor();
    await dialog.locator('[data-testid=version-file][data-status=modified]', { hasText: 'src/App.tsx' }).waitFor();
    await dialog.locator('.monaco-diff-editor').waitFor();
    await page.waitForFunction(() => {
      const text = document.querySelector('[data-testid=version-diff]')?.textContent?.replaceAll('\u00a0', ' ') ?? '';
      return text.includes('<h1>Tally</h1>') && text.includes('Fancy tally');
    });
    await page.screenshot({ path: join(ARTIFACTS, '02-diff.png') });

    // A ZIP of the version holds its files.
    const href = await dialog.getByTestId('version-download').getAttribute('href');
    const zip = await page.request.get(`${api.origin}${href}`);
    expect(zip.status()).toBe(200);
    expect(zip.headers()['content-type']).toBe('application/zip');

    // Restore, confirmed: a new version; the timeline shows it at once.
    await dialog.getByTestId('version-restore').click();
    // The confirmation takes the focus: Enter confirms.
    const confirm = dialog.getByTestId('version-restore-confirm');
    await confirm.waitFor();
    expect(await confirm.evaluate((el) => el === document.activeElement)).toBe(true);
    await page.keyboard.press('Enter');
    await dialog.getByTestId('restore-status').getByText('Restored version 1 as version 3').waitFor();
    await dialog.locator('[data-testid=version-item][data-seq="3"][data-kind=restore]').waitFor();
    expect(await dialog.locator('[data-testid=version-item]').first().getAttribute('data-kind')).toBe('restore');
    await page.screenshot({ path: join(ARTIFACTS, '03-restored.png') });
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });

    // The preview renders the working app again; the stored file is the working one.
    await inPreview(page, async (frame) => {
      await frame.getByRole('heading', { name: 'Tally' }).waitFor();
      await frame.getByRole('button', { name: 'Count 0' }).click();
      await frame.getByRole('button', { name: 'Count 1' }).waitFor();
    });
    const stored = (await (await page.request.get(`${api.origin}/api/projects/${projectId}/file?path=src%2FApp.tsx`)).json()) as {
      content: string;
    };
    expect(stored.content).toBe(WORKING);
    await page.screenshot({ path: join(ARTIFACTS, '04-working-again.png') });
    await context.close();
  }, 600_000);
});
