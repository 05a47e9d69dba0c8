import type { AgentEvent } from '@lathe/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ScriptedModel, type ScriptedModelOptions, type ScriptStep, startScriptedModel } from '../src/offline/scripted';
import { createProject, FAST_RETRIES, type Harness, startHarness, storedFiles } from './helpers/harness';
import { PORTS } from './helpers/sandbox';

/**
 * Answers written the way real models write them (prose, markdown, fences, reasoning, slips, cut
 * answers), each run through a real generation: real database, real sandbox, the scripted model
 * over HTTP. A case passes when the expected files are saved and the review's type check is clean.
 */

const TYPES = `export interface CounterState {
  count: number;
  step: number;
}

export const initialState: CounterState = { count: 0, step: 1 };
`;

const APP = `import { useState } from 'react';
import { type CounterState, initialState } from './types';

export default function App() {
  const [state, setState] = useState<CounterState>(initialState);
  return (
    <main className="grid min-h-screen place-items-center bg-slate-50">
      <div className="rounded-xl bg-white p-8 shadow">
        <h1 className="text-2xl font-bold">Counter</h1>
        <p className="text-5xl" data-testid="count">
          {state.count}
        </p>
        <button type="button" onClick={() => setState((s) => ({ ...s, count: s.count + s.step }))}>
          Add {state.step}
        </button>
      </div>
    </main>
  );
}
`;

const EXPECTED = new Map([
  ['src/types.ts', TYPES],
  ['src/App.tsx', APP],
]);

const PLAN = {
  name: 'Counter',
  description: 'A counter with a configurable step.',
  files: [
    { path: 'src/types.ts', purpose: 'Shared state type' },
    { path: 'src/App.tsx', purpose: 'The counter UI' },
  ],
  installCommands: [],
  lastPhase: true,
};

/** Claude-style: a sentence, the plan in a ```json fence, a friendly sentence after it. */
const CLAUDE_PLAN = `I'll set this up as a single phase, since a counter is small.\n\n\`\`\`json\n${JSON.stringify(PLAN, null, 2)}\n\`\`\`\n\nThis gives you a working counter right away. Let me know if you'd like persistence or keyboard shortcuts!`;

const heredoc = (path: string, content: string, marker = 'EOF') => `cat > ${path} << '${marker}'\n${content}${marker}\n`;

/** The usual implementer answer: prose, the heredocs inside a bash fence, a closing note. */
const FENCED_HEREDOCS = `Here's the implementation for the counter phase.\n\n\`\`\`bash\n${heredoc('src/types.ts', TYPES)}\n${heredoc('src/App.tsx', APP)}\`\`\`\n\nThe counter keeps its state in a typed object so later phases can add persistence.`;

const logs = (events: AgentEvent[]) => events.flatMap((e) => (e.type === 'log' ? [e.payload.text] : []));

function lastReview(events: AgentEvent[]) {
  return events.flatMap((e) => (e.type === 'review_result' ? [e.payload] : [])).at(-1);
}

describe('real model output through a real generation', () => {
  let h: Harness;
  const open: { model: ScriptedModel; close(): Promise<void> }[] = [];

  beforeAll(async () => {
    h = await startHarness([...PORTS.realOutput]);
  });
  afterAll(async () => {
    for (const o of open) await o.close();
    await h?.close();
  });

  async function generate(script: ScriptStep[], options: Partial<ScriptedModelOptions> & { policy?: typeof FAST_RETRIES } = {}) {
    const model = await startScriptedModel({ script, refuseJsonMode: options.refuseJsonMode });
    const p = await createProject(h, model.url, { policy: options.policy ?? FAST_RETRIES, fixRounds: 0 });
    open.push({
      model,
      close: async () => {
        await p.destroy();
        await model.close();
      },
    });
    await p.agent.generate('a counter with a step');
    await p.agent.whenIdle();
    return { model, p };
  }

  async function expectWorkingApp(p: Awaited<ReturnType<typeof generate>>['p']) {
    expect(p.agent.getState().lastError).toBeNull();
    expect(p.agent.getState().state).toBe('COMPLETE');
    const files = await storedFiles(h, p.projectId);
    for (const [path, content] of EXPECTED) expect(files.get(path), path).toBe(content);
    expect(lastReview(p.events)?.errors).toEqual([]);
  }

  it('a plan in a json fence with prose around it, heredocs inside a bash fence', async () => {
    const { model, p } = await generate([
      { role: 'designer', kind: 'reply', content: CLAUDE_PLAN },
      { role: 'implementer', kind: 'reply', content: FENCED_HEREDOCS },
    ]);
    await expectWorkingApp(p);
    // One designer call: the fenced plan was read at once; JSON mode was asked for.
    expect(model.requests.filter((r) => r.role === 'designer').map((r) => r.responseFormat)).toEqual(['json_object']);
  });

  it('a plan after a reasoning block full of braces, with a trailing comma, comments and a plain file list', async () => {
    const plan = `<think>
The user wants a counter. State shape could be {count, step} or just {count}.
I'll go with {"count": number, "step": number}. Files: {types.ts, App.tsx}.
</think>

{
  // one phase is enough
  "name": "Counter",
  "description": "A counter with a configurable step.",
  "files": ["src/types.ts", "src/App.tsx",],
}`;
    const { model, p } = await generate([
      { role: 'designer', kind: 'reply', content: plan },
      { role: 'implementer', kind: 'reply', content: FENCED_HEREDOCS },
    ]);
    await expectWorkingApp(p);
    expect(model.requests.filter((r) => r.role === 'designer')).toHaveLength(1);
    expect(p.agent.getState().phases[0]?.spec?.files.map((f) => f.path)).toEqual(['src/types.ts', 'src/App.tsx']);
  });

  it('an endpoint that refuses response_format is asked again without it, silently', async () => {
    const { model, p } = await generate(
      [
        { role: 'designer', kind: 'reply', content: JSON.stringify(PLAN) },
        { role: 'implementer', kind: 'reply', content: FENCED_HEREDOCS },
      ],
      { refuseJsonMode: true },
    );
    await expectWorkingApp(p);
    expect(model.requests.filter((r) => r.role === 'designer').map((r) => r.responseFormat)).toEqual(['json_object', null]);
    expect(p.events.some((e) => e.type === 'error')).toBe(false);
  });

  it('an answer cut at the token limit inside a file is completed by a continuation into the same block', async () => {
    const whole = FENCED_HEREDOCS;
    // Cut in the middle of a line of App.tsx.
    const cut = whole.indexOf('shadow">') + 4;
    const first = whole.slice(0, cut);
    // Like real models, the continuation starts by repeating the line it was cut in.
    const lineStart = first.lastIndexOf('\n') + 1;
    const continuation = whole.slice(lineStart);
    const { model, p } = await generate([
      { role: 'designer', kind: 'reply', content: CLAUDE_PLAN },
      { role: 'implementer', kind: 'reply', content: first, finishReason: 'length' },
      { role: 'implementer', kind: 'reply', content: continuation },
    ]);
    await expectWorkingApp(p);
    const implementer = model.requests.filter((r) => r.role === 'implementer');
    expect(implementer).toHaveLength(2);
    // The continuation request carries the cut answer and asks to go on from it.
    expect(implementer[1]?.messages.at(-2)).toEqual({ role: 'assistant', content: first });
    expect(String(implementer[1]?.messages.at(-1)?.content)).toMatch(/cut off by the output token limit/);
    expect(logs(p.events).some((l) => l.includes('reached the token limit'))).toBe(true);
    // Each file was started once: the open block went on, it did not restart.
    const starts = p.events.flatMap((e) => (e.type === 'file_start' ? [e.payload.path] : []));
    expect(starts).toEqual(['src/types.ts', 'src/App.tsx']);
  });

  it('a file left out is asked for again by name with the reason, and then written', async () => {
    const onlyApp = `Here is the UI:\n\n${heredoc('src/App.tsx', APP)}\nThe types file is straightforward: it exports CounterState and initialState.`;
    const { model, p } = await generate([
      { role: 'designer', kind: 'reply', content: CLAUDE_PLAN },
      { role: 'implementer', kind: 'reply', content: onlyApp },
      { role: 'implementer', kind: 'reply', content: `Sorry about that! Here it is:\n\n${heredoc('src/types.ts', TYPES)}` },
    ]);
    await expectWorkingApp(p);
    const reask = model.requests.filter((r) => r.role === 'implementer')[1];
    const text = String(reask?.messages.at(-1)?.content);
    expect(text).toContain('src/types.ts');
    expect(text).not.toContain('src/App.tsx:');
    expect(reask?.messages.at(-2)).toEqual({ role: 'assistant', content: onlyApp });
  });

  it('a phase that writes none of its files ends in an error the user sees, not "Done"', async () => {
    const prose =
      'To build this, create `src/types.ts` with the state type and `src/App.tsx` with the UI. Let me know if you need the code!';
    const { p } = await generate([
      { role: 'designer', kind: 'reply', content: CLAUDE_PLAN },
      { role: 'implementer', kind: 'reply', content: prose },
      { role: 'implementer', kind: 'reply', content: prose },
    ]);
    const state = p.agent.getState();
    expect(state.state).toBe('ERROR');
    expect(state.lastError?.code).toBe('phase_empty');
    const said = p.events.flatMap((e) => (e.type === 'message' && e.payload.role === 'assistant' ? [e.payload.content] : []));
    expect(said.some((m) => m.startsWith('Done'))).toBe(false);
    expect(said.some((m) => m.includes('wrote none of the files'))).toBe(true);
  });

  it('reasoning deltas and keep-alive comments keep a slow answer alive; reasoning never becomes content', async () => {
    const reasoning = "cat > src/evil.ts << 'EOF'\nthis is only thinking\nEOF\n";
    const { p } = await generate(
      [
        { role: 'designer', kind: 'reply', content: CLAUDE_PLAN, keepAliveMs: 2400 },
        { role: 'implementer', kind: 'reply', content: FENCED_HEREDOCS, reasoning, keepAliveMs: 2400 },
      ],
      { policy: { ...FAST_RETRIES, stallTimeoutMs: 1000 } },
    );
    await expectWorkingApp(p);
    expect(logs(p.events).some((l) => l.startsWith('Retrying'))).toBe(false);
    expect((await storedFiles(h, p.projectId)).has('src/evil.ts')).toBe(false);
  });

  it('a write to a template file is refused with the reason, and the plan leaves it out', async () => {
    const plan = { ...PLAN, files: [...PLAN.files, { path: 'vite.config.ts', purpose: 'Add an alias' }] };
    const viteConfig = "import { defineConfig } from 'vite';\nexport default defineConfig({ resolve: { alias: { '@': '/src' } } });\n";
    const answer = `${FENCED_HEREDOCS}\n\nI also added a path alias:\n\n${heredoc('vite.config.ts', viteConfig)}`;
    const { p } = await generate([
      { role: 'designer', kind: 'reply', content: JSON.stringify(plan) },
      { role: 'implementer', kind: 'reply', content: answer },
    ]);
    await expectWorkingApp(p);
    expect(p.agent.getState().phases[0]?.spec?.files.map((f) => f.path)).toEqual(['src/types.ts', 'src/App.tsx']);
    const refused = p.events.flatMap((e) => (e.type === 'error' ? [e.payload] : []));
    expect(refused).toEqual([
      expect.objectContaining({ code: 'protected_file', message: expect.stringContaining('vite.config is managed by Lathe') }),
    ]);
    expect(await p.sandbox.readFile('vite.config.ts')).not.toContain('alias');
    expect((await storedFiles(h, p.projectId)).has('vite.config.ts')).toBe(false);
  });

  it('an end marker with trailing spaces closes its block; later files are kept', async () => {
    const answer = `${heredoc('src/types.ts', TYPES, 'EOF  ')}\n${heredoc('src/App.tsx', APP).replace(/EOF\n$/, '  EOF\n')}`;
    const { p } = await generate([
      { role: 'designer', kind: 'reply', content: CLAUDE_PLAN },
      { role: 'implementer', kind: 'reply', content: answer.replace("<< 'EOF  '", "<< 'EOF'") },
    ]);
    await expectWorkingApp(p);
  });

  it('files as fenced code under their paths (the way chat models write files) are saved', async () => {
    const answer = `Sure! Here's the counter.\n\n**src/types.ts**\n\`\`\`ts\n${TYPES}\`\`\`\n\nAnd the component:\n\n\`\`\`tsx src/App.tsx\n${APP}\`\`\`\n\nRun it and click **Add**.`;
    const { p } = await generate([
      { role: 'designer', kind: 'reply', content: CLAUDE_PLAN },
      { role: 'implementer', kind: 'reply', content: answer },
    ]);
    await expectWorkingApp(p);
  });

  it('a file with an elision placeholder is refused, the model is told, and the complete file is saved', async () => {
    const elided = APP.replace(/ {6}<div className[\s\S]*<\/div>\n/, '      {/* ... rest of the component unchanged ... */}\n');
    const first = `${heredoc('src/types.ts', TYPES)}\n${heredoc('src/App.tsx', elided)}`;
    const { model, p } = await generate([
      { role: 'designer', kind: 'reply', content: CLAUDE_PLAN },
      { role: 'implementer', kind: 'reply', content: first },
      { role: 'implementer', kind: 'reply', content: heredoc('src/App.tsx', APP) },
    ]);
    await expectWorkingApp(p);
    expect(p.events.some((e) => e.type === 'error' && e.payload.code === 'placeholder')).toBe(true);
    const reask = String(model.requests.filter((r) => r.role === 'implementer')[1]?.messages.at(-1)?.content);
    expect(reask).toMatch(/src\/App\.tsx: .*placeholder/);
  });

  it('a sentence that starts with "npm install" installs nothing', async () => {
    const answer = `${FENCED_HEREDOCS}\nnpm install will pick these up automatically, nothing else is needed.\n`;
    const { p } = await generate([
      { role: 'designer', kind: 'reply', content: CLAUDE_PLAN },
      { role: 'implementer', kind: 'reply', content: answer },
    ]);
    await expectWorkingApp(p);
    const installs = p.events.flatMap((e) => (e.type === 'deps_installed' ? e.payload.packages : []));
    expect(installs).toEqual([]);
  });

  it('an unknown package is skipped and shown while the rest install', async () => {
    const answer = `${FENCED_HEREDOCS}\n\nInstall the helpers:\n\n\`\`\`bash\nnpm install is-number@7.0.0 lathe-no-such-package-7f3a9c\n\`\`\`\n`;
    const { p } = await generate([
      { role: 'designer', kind: 'reply', content: CLAUDE_PLAN },
      { role: 'implementer', kind: 'reply', content: answer },
    ]);
    await expectWorkingApp(p);
    expect(p.events.flatMap((e) => (e.type === 'deps_installed' ? [e.payload] : []))).toEqual([
      { packages: ['is-number@7.0.0'], ok: false },
    ]);
    const skipped = p.events.flatMap((e) => (e.type === 'error' && e.payload.code === 'package_skipped' ? [e.payload.message] : []));
    expect(skipped).toEqual([expect.stringMatching(/lathe-no-such-package-7f3a9c \(not found in the npm registry\)/)]);
    expect(JSON.parse((await storedFiles(h, p.projectId)).get('package.json') ?? '{}').dependencies).toMatchObject({
      'is-number': '7.0.0',
    });
  });

  it('a model-written package.json merges its new dependencies and nothing else', async () => {
    const manifest = JSON.stringify(
      { name: 'counter', scripts: { dev: 'vite --port 9999' }, dependencies: { react: '^18.0.0', 'is-number': '7.0.0' } },
      null,
      2,
    );
    const answer = `${FENCED_HEREDOCS}\n\n**package.json**\n\`\`\`json\n${manifest}\n\`\`\`\n`;
    const { p } = await generate([
      { role: 'designer', kind: 'reply', content: CLAUDE_PLAN },
      { role: 'implementer', kind: 'reply', content: answer },
    ]);
    await expectWorkingApp(p);
    const stored = JSON.parse(await p.sandbox.readFile('package.json')) as {
      scripts: Record<string, string>;
      dependencies: Record<string, string>;
    };
    expect(stored.scripts.dev).toBe('vite');
    expect(stored.dependencies).toMatchObject({ 'is-number': '7.0.0', react: '19.3.1' });
  });

  it("phase 2 sees phase 1's types; a follow-up sees the blueprint and the user's own edit as a diff", async () => {
    const blueprint = {
      title: 'Step Counter',
      description: 'Counts with a configurable step.',
      style: { palette: ['#4f46e5 accent', '#f8fafc background'], typography: 'system sans', layout: 'one centred card' },
      views: [{ name: 'Counter', description: 'the count and its buttons' }],
      components: ['Stepper'],
      dataModel: 'CounterState { count, step } in memory',
      roadmap: [
        { name: 'Counter', description: 'count and add' },
        { name: 'Stepper', description: 'choose the step' },
      ],
    };
    const stepper = `import type { CounterState } from '../types';\n\nexport function Stepper({ state }: { state: CounterState }) {\n  return <span>step {state.step}</span>;\n}\n`;
    const { model, p } = await generate([
      {
        role: 'designer',
        kind: 'reply',
        content: `Here is the plan.\n\n\`\`\`json\n${JSON.stringify({ blueprint, phase: { ...PLAN, lastPhase: false } })}\n\`\`\``,
      },
      { role: 'implementer', kind: 'reply', content: FENCED_HEREDOCS },
      {
        role: 'designer',
        kind: 'reply',
        content: JSON.stringify({
          name: 'Stepper',
          description: 'Show the step',
          files: [{ path: 'src/components/Stepper.tsx', purpose: 'step badge' }],
          lastPhase: true,
        }),
      },
      { role: 'implementer', kind: 'reply', content: heredoc('src/components/Stepper.tsx', stepper) },
      {
        role: 'designer',
        kind: 'reply',
        content: JSON.stringify({ name: 'Label', description: 'Rename', files: [{ path: 'src/App.tsx', purpose: 'label' }] }),
      },
      { role: 'implementer', kind: 'reply', content: heredoc('src/App.tsx', APP.replace('Add {state.step}', 'Plus {state.step}')) },
    ]);
    expect(p.agent.getState().state).toBe('COMPLETE');
    expect(p.agent.getState().blueprint?.title).toBe('Step Counter');
    expect(p.events.some((e) => e.type === 'blueprint_updated' && e.payload.blueprint.title === 'Step Counter')).toBe(true);
    const implementers = () => model.requests.filter((r) => r.role === 'implementer');
    const phase2 = String(implementers()[1]?.messages.at(-1)?.content);
    expect(phase2).toContain(`cat > src/types.ts << 'LATHE_FILE_END'\n${TYPES}LATHE_FILE_END`);
    expect(phase2).toContain('Blueprint: Step Counter');

    // The user edits a file by hand, then asks for a change.
    const edited = APP.replace('<h1 className="text-2xl font-bold">Counter</h1>', '<h1 className="text-3xl font-black">My Counter</h1>');
    await h.repos.files.upsert(p.projectId, { path: 'src/App.tsx', content: edited, phase: null });
    await p.sandbox.writeFiles([{ path: 'src/App.tsx', content: edited }]);
    await p.agent.message('call the button Plus');
    await p.agent.whenIdle();
    expect(p.agent.getState().state).toBe('COMPLETE');
    const followUp = String(
      model.requests
        .filter((r) => r.role === 'designer')
        .at(-1)
        ?.messages.at(-1)?.content,
    );
    expect(followUp).toContain('Blueprint: Step Counter');
    expect(followUp).toContain(
      '-        <h1 className="text-2xl font-bold">Counter</h1>\n+        <h1 className="text-3xl font-black">My Counter</h1>',
    );
    expect(followUp).toMatch(/Built so far:\nRound 1 \("a counter with a step"\):\n- Counter: .*\n- Stepper:/);
    expect(String(implementers().at(-1)?.messages.at(-1)?.content)).toContain('My Counter</h1>');
  });

  it('a follow-up edits with search/replace, recovers a failed edit by a whole-file rewrite, deletes and renames', async () => {
    const extra = 'export const extra = 2;\n';
    const round1 = `${FENCED_HEREDOCS}\n${heredoc('src/Old.tsx', 'export const old = 1;\n')}${heredoc('src/Extra.ts', extra)}`;
    const plan1 = { ...PLAN, files: [...PLAN.files, { path: 'src/Old.tsx', purpose: 'x' }, { path: 'src/Extra.ts', purpose: 'y' }] };
    const edits = [
      "I'll make the changes.",
      '',
      'src/App.tsx',
      '<<<<<<< SEARCH',
      '          Add {state.step}',
      '=======',
      '          Plus {state.step}',
      '>>>>>>> REPLACE',
      '',
      'src/types.ts',
      '<<<<<<< SEARCH',
      'export const initialState: CounterState = { count: 0, step: 2 };',
      '=======',
      'export const initialState: CounterState = { count: 0, step: 5 };',
      '>>>>>>> REPLACE',
      '',
      '```bash',
      'rm src/Old.tsx',
      'mv src/Extra.ts src/lib/extra.ts',
      '```',
      '',
    ].join('\n');
    const types5 = TYPES.replace('step: 1 }', 'step: 5 }');
    const { model, p } = await generate([
      { role: 'designer', kind: 'reply', content: JSON.stringify(plan1) },
      { role: 'implementer', kind: 'reply', content: round1 },
      {
        role: 'designer',
        kind: 'reply',
        content: JSON.stringify({
          name: 'Tweaks',
          description: 'd',
          files: [
            { path: 'src/App.tsx', purpose: 'label' },
            { path: 'src/types.ts', purpose: 'step' },
          ],
        }),
      },
      { role: 'implementer', kind: 'reply', content: edits },
      { role: 'implementer', kind: 'reply', content: heredoc('src/types.ts', types5) },
    ]);
    await p.agent.message('call the button Plus, start with step 5, drop Old, move Extra to lib');
    await p.agent.whenIdle();
    expect(p.agent.getState().lastError).toBeNull();
    expect(p.agent.getState().state).toBe('COMPLETE');
    const files = await storedFiles(h, p.projectId);
    expect(files.get('src/App.tsx')).toBe(APP.replace('Add {state.step}', 'Plus {state.step}'));
    expect(files.get('src/types.ts')).toBe(types5);
    expect(files.has('src/Old.tsx')).toBe(false);
    expect(files.has('src/Extra.ts')).toBe(false);
    expect(files.get('src/lib/extra.ts')).toBe(extra);
    // The sandbox follows the database.
    expect(await p.sandbox.readFile('src/App.tsx')).toContain('Plus {state.step}');
    expect(await p.sandbox.readFile('src/lib/extra.ts')).toBe(extra);
    await expect(p.sandbox.readFile('src/Old.tsx')).rejects.toMatchObject({ code: 'not_found' });
    await expect(p.sandbox.readFile('src/Extra.ts')).rejects.toMatchObject({ code: 'not_found' });
    // The IDE is told: deleted, renamed, and the failed edit as an error the model was re-asked about.
    expect(p.events.some((e) => e.type === 'file_deleted' && e.payload.path === 'src/Old.tsx')).toBe(true);
    expect(
      p.events.some((e) => e.type === 'file_renamed' && e.payload.from === 'src/Extra.ts' && e.payload.to === 'src/lib/extra.ts'),
    ).toBe(true);
    expect(p.events.some((e) => e.type === 'error' && e.payload.code === 'edit_failed' && e.payload.message.includes('src/types.ts'))).toBe(
      true,
    );
    const reask = String(
      model.requests
        .filter((r) => r.role === 'implementer')
        .at(-1)
        ?.messages.at(-1)?.content,
    );
    expect(reask).toMatch(/src\/types\.ts: .*SEARCH text was not found/);
    expect(lastReview(p.events)?.errors).toEqual([]);
  });
});
