import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type ScriptedModel, startScriptedModel } from '@lathe/agent';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { ApiServer, CHROMIUM, CHROMIUM_ARGS, previewFrame, ROOT, registerAndBuild } from './support';

/**
 * Runtime errors as the user meets them: an app that renders fine and throws when a button is
 * clicked. Real API, real local sandbox, real Chromium; the model is a scripted OpenAI-compatible
 * server whose fix answers are used only when the request names the error.
 */

const ARTIFACTS = join(ROOT, 'test-artifacts/e2e');
const ERROR = 'Cannot split the bill: nobody is at the table';
const LOAD_ERROR = 'Could not read the saved bill';

const app = (guarded: boolean) => `import { useEffect, useState } from 'react';

export default function App() {
  const [total, setTotal] = useState(120);
  useEffect(() => {
    try {
      // A bill shared by link: ?bill={"total":80}
      const saved = JSON.parse(new URLSearchParams(window.location.search).get('bill') ${guarded ? "?? '{}'" : "?? ''"}) as { total?: number };
      if (typeof saved.total === 'number') setTotal(saved.total);
    } catch (e) {
      console.error('${LOAD_ERROR}', e);
    }
  }, []);
  const [people, setPeople] = useState(0);
  const [share, setShare] = useState<number | null>(null);
  const split = () => {
    ${guarded ? 'if (people === 0) return setShare(null);' : `if (people === 0) throw new Error('${ERROR}');`}
    setShare(total / people);
  };
  return (
    <main className="mx-auto max-w-sm space-y-3 p-8">
      <h1 className="text-2xl font-bold">Bill splitter</h1>
      <label className="block">
        Total <input type="number" value={total} onChange={(e) => setTotal(Number(e.target.value))} />
      </label>
      <label className="block">
        People <input type="number" value={people} onChange={(e) => setPeople(Number(e.target.value))} />
      </label>
      <button type="button" onClick={split}>
        Split
      </button>
      <p data-testid="share">{share === null ? ${guarded ? "'Add people first'" : "''"} : \`Each pays \${share.toFixed(2)}\`}</p>
    </main>
  );
}
`;

const plan = (name: string) =>
  JSON.stringify({
    name,
    description: 'A bill splitter.',
    files: [{ path: 'src/App.tsx', purpose: 'The splitter' }],
    installCommands: [],
    lastPhase: true,
  });

const files = (intro: string, content: string) => `${intro}\n\n\`\`\`bash\ncat > src/App.tsx << 'EOF'\n${content}EOF\n\`\`\`\n`;

let api: ApiServer;
let model: ScriptedModel;
let browser: Browser;

beforeAll(async () => {
  await mkdir(ARTIFACTS, { recursive: true });
  model = await startScriptedModel({
    script: [
      { role: 'designer', kind: 'reply', content: `I'll keep it to one phase.\n\n\`\`\`json\n${plan('Bill splitter')}\n\`\`\`` },
      { role: 'implementer', kind: 'reply', content: files("Here's the splitter.", app(false)) },
      // Review hands the fixer the console error of the first load; this model does not find the cause.
      {
        role: 'fixer',
        kind: 'reply',
        requires: [LOAD_ERROR],
        content: 'The code looks right to me; the error may come from old data in the browser.',
      },
      { role: 'fixer', kind: 'reply', requires: [LOAD_ERROR], content: 'I could not find anything to change.' },
      // The fix round: answered only when the request carries the error the user saw.
      { role: 'designer', kind: 'reply', requires: [ERROR], content: plan('Guard the split') },
      {
        role: 'implementer',
        kind: 'reply',
        requires: [ERROR],
        content: files('Splitting among nobody now asks for people first.', app(true)),
      },
    ],
  });
  api = await ApiServer.start({ LATHE_LLM_BASE_URL: model.url, LATHE_LLM_API_KEY: 'test-key', LATHE_MODEL: 'scripted-model' });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await api?.dispose();
  await model?.close();
}, 60_000);

describe('problems in the IDE (scripted model, real API, Chromium)', () => {
  it('an error thrown on a click in the preview shows under Problems; "Fix with AI" starts a round that fixes it', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    context.setDefaultTimeout(120_000);
    const page = await context.newPage();
    onTestFailed(async () => {
      await page.screenshot({ path: join(ARTIFACTS, 'failed-problems.png') });
      await writeFile(join(ARTIFACTS, 'failed-problems-api.log'), api.output);
    });

    await registerAndBuild(page, api.origin, 'grace', 'a bill splitter');

    // Review looked at the page in a browser: its thumbnail is the phase's picture. The console
    // error of the first load survived both fix rounds, and the round says so.
    const thumbnail = page.locator('[data-testid=phase-thumbnail]').first();
    await thumbnail.waitFor();
    expect(await thumbnail.getAttribute('src')).toMatch(/^data:image\/jpeg;base64,/);
    expect(await thumbnail.evaluate((img) => (img as HTMLImageElement).naturalWidth)).toBeGreaterThan(0);
    const problems = page.locator('[data-testid=problem-list]');
    await problems.getByText(LOAD_ERROR).waitFor();
    expect(await page.locator('[data-testid=problem-count]').textContent()).toBe('1');
    expect(await page.locator('[data-testid=agent-state]').textContent()).toBe('Done, 1 problem left');
    await page
      .getByText(/1 problem remains after the automatic fixes/)
      .first()
      .waitFor();
    const projectId = page.url().split('/').pop() ?? '';
    const listed = (await (await page.request.get(`${api.origin}/api/projects/${projectId}`)).json()) as { status: string };
    expect(listed.status).toBe('problems');

    // The user splits the bill with nobody at the table: the app throws, and Problems says so, live.
    const frame = await previewFrame(page);
    await frame.getByRole('button', { name: 'Split' }).click();
    await problems.getByText(ERROR).waitFor();
    expect(await page.locator('[data-testid=problem-count]').textContent()).toBe('2');
    await page.screenshot({ path: join(ARTIFACTS, 'problems-live-error.png') });

    // "Fix with AI" starts a round whose request names the error; it ends with the fix in place.
    await page.getByRole('button', { name: 'Fix with AI' }).click();
    await page
      .getByText(/Fix these problems in the app/)
      .first()
      .waitFor();
    await page.locator('[data-testid=phase-timeline]').getByText('Guard the split').waitFor();
    await page.locator('[data-testid=agent-state][data-state=COMPLETE]').waitFor({ timeout: 240_000 });
    expect(model.remaining()).toBe(0);
    expect(await page.locator('[data-testid=problem-count]').textContent()).toBe('0');
    expect(await page.locator('[data-testid=agent-state]').textContent()).toBe('Done');
    const after = (await (await page.request.get(`${api.origin}/api/projects/${projectId}`)).json()) as { status: string };
    expect(after.status).toBe('ready');
    const fixed = await previewFrame(page);
    await fixed.getByRole('button', { name: 'Split' }).click();
    await fixed.getByText('Add people first').waitFor();
    await page.screenshot({ path: join(ARTIFACTS, 'problems-fixed.png') });
    await context.close();
  }, 600_000);
});
