import type { Locator, Page } from 'playwright-core';

/**
 * Behaviour checks: what a user would do with the app, in a real browser. They are tolerant so
 * the same check works on any model's app of the kind: inputs and buttons are found by role and
 * common names, results by visible text. A check throws an Error saying what did not happen.
 */
export type BehaviourCheck = (page: Page) => Promise<void>;

const SHORT = 4_000;

async function poll(what: string, ok: () => Promise<boolean>, ms = SHORT): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    if (await ok().catch(() => false)) return;
    if (Date.now() > until) throw new Error(what);
    await new Promise((r) => setTimeout(r, 150));
  }
}

async function bodyText(page: Page): Promise<string> {
  // biome-ignore lint/performance/useDomNodeTextContent: the text a user sees (layout-aware, no hidden nodes) is the point
  return page.locator('body').innerText({ timeout: SHORT });
}

async function visibleText(page: Page, text: string | RegExp): Promise<boolean> {
  const loc = typeof text === 'string' ? page.getByText(text, { exact: false }) : page.getByText(text);
  const n = await loc.count();
  for (let i = 0; i < n; i++) if (await loc.nth(i).isVisible()) return true;
  return false;
}

export async function expectText(page: Page, text: string | RegExp, what?: string): Promise<void> {
  await poll(what ?? `expected to see ${String(text)} on the page`, () => visibleText(page, text));
}

async function firstVisible(loc: Locator): Promise<Locator | null> {
  const n = await loc.count();
  for (let i = 0; i < n; i++) if (await loc.nth(i).isVisible()) return loc.nth(i);
  return null;
}

/** The text field named like `name` (label or placeholder), else the `index`-th visible text field. */
async function textField(page: Page, name: RegExp | null, index = 0): Promise<Locator> {
  if (name) {
    const named = await firstVisible(page.getByRole('textbox', { name }).or(page.getByPlaceholder(name)));
    if (named) return named;
  }
  const all = page.locator('input:not([type]), input[type=text], input[type=search], textarea');
  const visible: Locator[] = [];
  for (let i = 0; i < (await all.count()); i++) if (await all.nth(i).isVisible()) visible.push(all.nth(i));
  const f = visible[index];
  if (!f) throw new Error(`no text field${name ? ` named ${String(name)}` : ''} on the page`);
  return f;
}

export async function button(page: Page, name: RegExp): Promise<Locator | null> {
  return firstVisible(page.getByRole('button', { name }));
}

export async function clickButton(page: Page, name: RegExp): Promise<void> {
  const b = await button(page, name);
  if (!b) throw new Error(`no button named ${String(name)}`);
  await b.click({ timeout: SHORT });
}

/** Types into a field and submits: Enter, then the submit-like button if Enter did nothing. */
async function submitText(page: Page, field: Locator, text: string, submit: RegExp, expect: string | RegExp): Promise<void> {
  await field.fill(text, { timeout: SHORT });
  await field.press('Enter');
  if (
    await poll('', () => visibleText(page, expect), 1_000).then(
      () => true,
      () => false,
    )
  )
    return;
  const b = await button(page, submit);
  if (!b) throw new Error(`after typing "${text}" and Enter nothing showed it, and no button named ${String(submit)}`);
  await b.click({ timeout: SHORT });
}

const ADD = /add|create|save|new|submit|\+|post|send/i;

/** Adds an item through the first text field and expects it listed. */
export function addsItem(item: string, field: RegExp | null = null): BehaviourCheck {
  return async (page) => {
    await submitText(page, await textField(page, field), item, ADD, item);
    await expectText(page, item, `added "${item}" but it is not listed`);
  };
}

export const todo: BehaviourCheck = addsItem('Buy oat milk', /todo|task|need|add/i);

export const calculator: BehaviourCheck = async (page) => {
  const press = async (names: string[]) => {
    for (const n of names) {
      const b = await firstVisible(page.getByRole('button', { name: n, exact: true }));
      if (b) return b.click({ timeout: SHORT });
    }
    throw new Error(`no calculator key ${names.join(' / ')}`);
  };
  await press(['1']);
  await press(['2']);
  await press(['×', '*', 'x', 'X', '✕', '✖', 'multiply', 'Multiply', 'times']);
  await press(['3']);
  await press(['=', 'Equals', 'equals', 'Calculate']);
  await expectText(page, /(^|\D)36(\D|$)/, 'pressed 1 2 × 3 = and the display does not show 36');
};

const clockTimes = (text: string) => (text.match(/\d{1,2}:\d{2}/g) ?? []).join(' ');

export const timer: BehaviourCheck = async (page) => {
  const before = clockTimes(await bodyText(page));
  if (!before) throw new Error('no mm:ss time on the page');
  await clickButton(page, /start|play|resume|begin|go/i);
  await poll(
    `pressed Start and the time ${before} did not change within 5 s`,
    async () => clockTimes(await bodyText(page)) !== before,
    5_000,
  );
};

export const counter: BehaviourCheck = async (page) => {
  const count = async () => Number((await bodyText(page)).match(/-?\d+/)?.[0] ?? Number.NaN);
  const before = await count();
  await clickButton(page, /add|\+|increment|plus|count/i);
  await poll(`clicked the counter's button and the count stayed ${before}`, async () => (await count()) !== before);
};

export const notes: BehaviourCheck = async (page) => {
  const title = 'Grocery ideas';
  const field = await textField(page, /title|note/i);
  await field.fill(title, { timeout: SHORT });
  const area = await firstVisible(page.locator('textarea'));
  if (area && (await page.locator('input:visible, textarea:visible').count()) > 1) await area.fill('# Weekend\n- oat milk').catch(() => {});
  const b = await button(page, /save|add|create|new|\+/i);
  if (b) await b.click({ timeout: SHORT });
  else await field.press('Enter');
  await expectText(page, title, `saved a note "${title}" but it is not shown`);
};

export const expenses: BehaviourCheck = async (page) => {
  await (await textField(page, /desc|name|what|item|title|label/i)).fill('Lunch', { timeout: SHORT });
  const amount =
    (await firstVisible(page.getByRole('spinbutton'))) ??
    (await firstVisible(page.getByRole('textbox', { name: /amount|price|cost|\$/i }))) ??
    (await textField(page, null, 1));
  await amount.fill('12.50', { timeout: SHORT });
  await clickButton(page, /add|save|create|\+|submit|record/i);
  await expectText(page, 'Lunch', 'added an expense "Lunch" but it is not listed');
  await expectText(page, /12[.,]5/, 'added an expense of 12.50 but the amount is not shown');
  if ((await page.locator('svg, canvas').count()) === 0) throw new Error('no chart (svg or canvas) on the page');
};

export const tictactoe: BehaviourCheck = async (page) => {
  const buttons = page.locator('button, [role=button], [role=gridcell]');
  const cells: Locator[] = [];
  for (let i = 0; i < (await buttons.count()); i++) {
    const b = buttons.nth(i);
    if ((await b.isVisible()) && ((await b.textContent()) ?? '').trim() === '') cells.push(b);
  }
  if (cells.length < 9) throw new Error(`expected 9 empty squares, found ${cells.length}`);
  for (const i of [0, 3, 1, 4, 2]) await cells[i]?.click({ timeout: SHORT });
  await expectText(page, /win|wins|winner|won/i, 'X took the top row and no winner is announced');
};

export const quiz: BehaviourCheck = async (page) => {
  const before = await bodyText(page);
  const choices = page.getByRole('button');
  const nav = /start|next|restart|reset|submit|skip/i;
  const startB = await button(page, /start|begin/i);
  if (startB) await startB.click({ timeout: SHORT });
  for (let i = 0; i < (await choices.count()); i++) {
    const c = choices.nth(i);
    if ((await c.isVisible()) && !nav.test((await c.textContent()) ?? '')) {
      await c.click({ timeout: SHORT });
      await poll('answered a question and nothing changed', async () => (await bodyText(page)) !== before);
      await expectText(
        page,
        /score|correct|wrong|incorrect|right|result|\d+\s*\/\s*\d+|of \d+/i,
        'answered and no score or feedback is shown',
      );
      return;
    }
  }
  throw new Error('no answer buttons');
};

export const habits: BehaviourCheck = async (page) => {
  await addsItem('Drink water', /habit|name|add/i)(page);
  const before = await bodyText(page);
  const toggle = (await firstVisible(page.getByRole('checkbox'))) ?? (await button(page, /done|complete|check|mark|✓|today|toggle/i));
  if (!toggle) throw new Error('no checkbox or done button for the habit');
  await toggle.click({ timeout: SHORT });
  await poll('marked the habit done and nothing changed', async () => {
    const checked = await toggle.isChecked().catch(() => false);
    return checked || (await bodyText(page)) !== before;
  });
};

export const kanban: BehaviourCheck = async (page) => {
  for (const col of [/to ?do|backlog/i, /doing|in progress/i, /done|complete/i])
    await expectText(page, col, `no column named ${String(col)}`);
  await addsItem('Write spec', /card|task|title|add/i)(page);
};

export const chat: BehaviourCheck = async (page) => {
  const field = await textField(page, /message|type|say|chat/i);
  await submitText(page, field, 'Hello there', /send|submit|post/i, 'Hello there');
  await expectText(page, 'Hello there', 'sent "Hello there" and it is not in the conversation');
};

export const landing: BehaviourCheck = async (page) => {
  if (!(await firstVisible(page.getByRole('heading', { level: 1 })))) throw new Error('no main heading (h1)');
  const cta = await firstVisible(
    page
      .getByRole('link', { name: /get started|sign up|try|start|contact|join|buy|learn more|book/i })
      .or(page.getByRole('button', { name: /get started|sign up|try|start|contact|join|buy|learn more|book/i })),
  );
  if (!cta) throw new Error('no call-to-action link or button');
  if ((await page.locator('section, header, footer').count()) < 2) throw new Error('fewer than two sections');
};

export const gallery: BehaviourCheck = async (page) => {
  const n = await page.locator('img').count();
  if (n < 4) throw new Error(`expected at least 4 images, found ${n}`);
  const before = await page.locator('img:visible, [role=dialog]').count();
  await page.locator('img').first().click({ timeout: SHORT });
  await poll('clicked an image and nothing opened', async () => {
    const dialogs = await page.locator('[role=dialog], dialog[open]').count();
    return dialogs > 0 || (await page.locator('img:visible, [role=dialog]').count()) !== before;
  });
};

export const dashboard: BehaviourCheck = async (page) => {
  const numbers = (await bodyText(page)).match(/\d[\d,.]*/g) ?? [];
  if (numbers.length < 3) throw new Error('fewer than three figures on the dashboard');
  if ((await page.locator('svg, canvas, table').count()) === 0) throw new Error('no chart or table');
};

export const recipes: BehaviourCheck = addsItem('Lemon pancakes', /recipe|name|title|add/i);

export const budget: BehaviourCheck = async (page) => {
  const before = await bodyText(page);
  const label = await textField(page, /desc|name|item|label|category|title/i).catch(() => null);
  if (label) await label.fill('Rent');
  const amount = (await firstVisible(page.getByRole('spinbutton'))) ?? (await textField(page, /amount|budget|income|\$/i, 1));
  await amount.fill('1200', { timeout: SHORT });
  await clickButton(page, /add|save|set|create|\+|submit/i);
  await expectText(page, /1,?200/, 'added 1200 and it is not shown');
  await poll('added an amount and no total changed', async () => (await bodyText(page)) !== before);
};

export const CHECKS = {
  todo,
  calculator,
  timer,
  counter,
  notes,
  expenses,
  tictactoe,
  quiz,
  habits,
  kanban,
  chat,
  landing,
  gallery,
  dashboard,
  recipes,
  budget,
} as const satisfies Record<string, BehaviourCheck>;

export type CheckName = keyof typeof CHECKS;

/** Runs checks one after another. */
export function all(...checks: BehaviourCheck[]): BehaviourCheck {
  return async (page) => {
    for (const c of checks) await c(page);
  };
}
